"""The SM3 hash chain of the audit log: appends, verification against raw-SQL tampering, purge with
anchors, retention, and masking of sensitive values."""

import datetime as dt
import io
import json
import runpy
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from dgov.core import audit
from dgov.core.context import RequestContext, use_context
from dgov.core.models import AuditAnchor, AuditEntry
from dgov.crypto.primitives import sm3

pytestmark = pytest.mark.django_db

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "settings" / "base.py"


def _record_three():
    return [audit.record(f"test.thing.{verb}", audit.Target("test.thing", str(i), f"thing {i}"),
                         changes={"n": [i, i + 1]})
            for i, verb in enumerate(["create", "change", "delete"])]


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))


def _verify_command():
    """`dgov audit verify` in-process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


# --- appending -------------------------------------------------------------------------------

def test_record_builds_a_contiguous_chain():
    before = AuditEntry.objects.order_by("-seq").first()
    entries = _record_three()
    start = before.seq + 1 if before else 1
    assert [e.seq for e in entries] == [start, start + 1, start + 2]
    assert entries[0].prev_hash == (before.hash if before else audit.GENESIS)
    assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash
    assert len({e.hash for e in entries}) == 3
    for entry in entries:
        stored = AuditEntry.objects.get(pk=entry.pk)
        assert stored.hash == audit.compute_hash(stored.prev_hash, stored)


def test_verify_passes_on_an_untouched_chain():
    _record_three()
    result = audit.verify()
    assert result.ok, result
    assert result.checked == AuditEntry.objects.count()
    assert result.last_seq == AuditEntry.objects.order_by("-seq").first().seq
    status, out, err = _verify_command()
    assert status == 0 and "intact" in out and err == ""


def test_verify_in_small_chunks():
    _record_three()
    assert audit.verify(chunk_size=1).ok


def test_the_chain_key_is_not_a_plain_hash():
    entry = _record_three()[0]
    # Recomputing with a public hash function (what a forger without the master key could do) fails.
    assert entry.hash != sm3(entry.prev_hash.encode() + b"|" + audit._canonical(entry)).hex()


def test_entry_carries_the_request_context(world):
    ctx = RequestContext(request_id="req-12345678", ip="192.0.2.7", user=world.admin, source="api")
    with use_context(ctx):
        entry = audit.record("test.context", None)
    assert (entry.actor_id, entry.actor_username) == (world.admin.pk, "t_admin")
    assert (entry.ip, entry.request_id, entry.source) == ("192.0.2.7", "req-12345678", "api")


def test_entry_outside_a_request_is_from_the_command_line():
    entry = audit.record("test.cli", None)
    assert (entry.actor_id, entry.actor_username, entry.source, entry.ip) == (None, "", "cli", None)


def test_long_values_are_cut_to_the_column_size():
    entry = audit.record("x" * 200, audit.Target("t", "9" * 100, "r" * 500))
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (len(stored.action), len(stored.object_id), len(stored.object_repr)) == (80, 64, 200)
    assert audit.verify().ok


def test_changes_round_trip_through_the_json_column():
    entry = audit.record("test.json", None, changes={
        "float": 1.5, "date": dt.date(2024, 2, 18), "nested": {"k": [1, None, True]}, 7: "int key",
        "text": "中文 \"quoted\" \\ back"})
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.changes["float"] == "1.5" and stored.changes["date"] == "2024-02-18"
    assert stored.changes["7"] == "int key"
    assert audit.verify().ok


def test_record_read_and_record_failure(world):
    read = audit.record_read(world.citizen, ["phone", "id_number"], actor=world.admin)
    assert (read.action, read.changes, read.object_type) == (
        "personal_data.read", {"fields": ["id_number", "phone"]}, "accounts.user")
    failed = audit.record_failure("orgs.department.change", outcome="denied", reason="out_of_scope",
                                  actor=world.yujiang_admin)
    assert (failed.outcome, failed.changes) == ("denied", {"reason": "out_of_scope"})
    assert audit.verify().ok


# --- tampering with raw SQL ------------------------------------------------------------------

EDITS = {
    "action": "test.thing.forged",
    "changes": json.dumps({"n": [0, 99]}),
    "occurred_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    "actor_id": 424242,
    "actor_username": "mallory",
    "object_type": "test.other",
    "object_id": "999",
    "object_repr": "forged",
    "outcome": "denied",
    "ip": "10.9.8.7",
    "request_id": "forged-request",
    "source": "web",
    "prev_hash": "0" * 63 + "1",
    "hash": "f" * 64,
}


@pytest.mark.parametrize("column", sorted(EDITS))
def test_editing_any_column_is_detected_and_named(column):
    first, middle, last = _record_three()
    _sql(f"UPDATE core_auditentry SET {column} = %s WHERE seq = %s", [EDITS[column], middle.seq])
    result = audit.verify()
    assert not result.ok
    assert (result.broken_seq, result.broken_id) == (middle.seq, middle.pk)
    status, out, err = _verify_command()
    assert status == 1
    assert f"#{middle.seq}" in err and "BROKEN" in err


def test_a_subtle_edit_inside_the_json_is_detected():
    _, middle, _ = _record_three()
    changes = dict(middle.changes)
    changes["n"] = [changes["n"][0], changes["n"][1] + 1]
    _sql("UPDATE core_auditentry SET changes = %s WHERE seq = %s", [json.dumps(changes), middle.seq])
    assert audit.verify().broken_seq == middle.seq


def test_restoring_the_original_value_heals_the_chain():
    _, middle, _ = _record_three()
    _sql("UPDATE core_auditentry SET action = %s WHERE seq = %s", ["test.forged", middle.seq])
    assert not audit.verify().ok
    _sql("UPDATE core_auditentry SET action = %s WHERE seq = %s", [middle.action, middle.seq])
    assert audit.verify().ok


def test_editing_the_sequence_number_is_detected():
    _, middle, last = _record_three()
    _sql("UPDATE core_auditentry SET seq = %s WHERE seq = %s", [last.seq + 10, middle.seq])
    result = audit.verify()
    assert not result.ok
    assert result.broken_seq in (last.seq, last.seq + 10)


def test_recomputing_a_hash_without_the_key_does_not_help():
    _, middle, last = _record_three()
    # A forger edits the row and "fixes" its hash with plain SM3; the key-less hash does not match.
    middle.action = "test.forged"
    forged_hash = sm3(middle.prev_hash.encode() + b"|" + audit._canonical(middle)).hex()
    _sql("UPDATE core_auditentry SET action = %s, hash = %s WHERE seq = %s", ["test.forged", forged_hash, middle.seq])
    _sql("UPDATE core_auditentry SET prev_hash = %s WHERE seq = %s", [forged_hash, last.seq])
    assert audit.verify().broken_seq == middle.seq


def test_deleting_a_middle_row_is_detected():
    _, middle, last = _record_three()
    _sql("DELETE FROM core_auditentry WHERE seq = %s", [middle.seq])
    result = audit.verify()
    assert not result.ok
    assert result.broken_seq == last.seq
    assert f"#{middle.seq}" in result.reason
    status, _, err = _verify_command()
    assert status == 1 and f"#{last.seq}" in err


def test_deleting_the_first_rows_is_detected():
    first_seq = AuditEntry.objects.order_by("seq").values_list("seq", flat=True).first()
    _record_three()
    _sql("DELETE FROM core_auditentry WHERE seq <= %s", [first_seq + 1])
    result = audit.verify()
    assert not result.ok and result.broken_seq == first_seq + 2


def test_a_forged_row_appended_is_detected():
    last = _record_three()[-1]
    _sql("INSERT INTO core_auditentry (seq, occurred_at, actor_id, actor_username, action, object_type, object_id, "
         "object_repr, changes, outcome, ip, request_id, source, prev_hash, hash) "
         "VALUES (%s, %s, NULL, 'mallory', 'auth.login', '', '', '', %s, 'success', NULL, '', 'web', %s, %s)",
         [last.seq + 1, timezone.now(), "{}", last.hash, "e" * 64])
    result = audit.verify()
    assert not result.ok and result.broken_seq == last.seq + 1
    assert "hash" in result.reason


def test_a_forged_row_after_a_gap_is_detected():
    last = _record_three()[-1]
    _sql("INSERT INTO core_auditentry (seq, occurred_at, actor_username, action, object_type, object_id, "
         "object_repr, changes, outcome, request_id, source, prev_hash, hash) "
         "VALUES (%s, %s, '', 'x', '', '', '', %s, 'success', '', 'web', %s, %s)",
         [last.seq + 5, timezone.now(), "{}", last.hash, "d" * 64])
    assert audit.verify().broken_seq == last.seq + 5


def test_a_forged_anchor_does_not_hide_deleted_entries():
    first, middle, last = _record_three()
    # An intruder deletes the early history and plants an anchor as if a purge had happened.
    _sql("DELETE FROM core_auditentry WHERE seq <= %s", [middle.seq])
    AuditAnchor.objects.create(seq=middle.seq, hash=middle.hash)
    result = audit.verify()
    assert not result.ok
    assert result.broken_seq == last.seq


# --- purge and retention ---------------------------------------------------------------------

@pytest.fixture
def history(monkeypatch):
    """Entries 400, 200, 179 and 10 days before a moment `base` in the future (after every existing
    entry, so the log stays in time order). Returns (base, [entries])."""
    base = timezone.now() + dt.timedelta(days=2000)
    entries = []
    for days in (400, 200, 179, 10):
        moment = base - dt.timedelta(days=days)
        monkeypatch.setattr(timezone, "now", lambda moment=moment: moment)
        entries.append(audit.record(f"test.age.{days}", None))
    monkeypatch.undo()
    return base, entries


def test_purge_deletes_only_entries_past_180_days(history, settings):
    settings.DGOV_AUDIT_RETENTION_DAYS = 180
    base, (d400, d200, d179, d10) = history
    deleted = audit.purge(now=base)
    assert deleted >= 2
    assert not AuditEntry.objects.filter(seq__lte=d200.seq).exists()
    assert set(AuditEntry.objects.filter(seq__in=[d179.seq, d10.seq]).values_list("seq", flat=True)) == {
        d179.seq, d10.seq}
    anchor = AuditAnchor.objects.get()
    assert (anchor.seq, anchor.hash) == (d200.seq, d200.hash)
    purge_entry = AuditEntry.objects.order_by("-seq").first()
    assert purge_entry.action == "audit.purge"
    assert purge_entry.changes["deleted"] == deleted and purge_entry.changes["retention_days"] == 180
    result = audit.verify()
    assert result.ok, result
    assert result.first_seq == d179.seq and result.checked == 3
    assert _verify_command()[0] == 0


def test_purge_uses_a_longer_configured_retention(history, settings):
    settings.DGOV_AUDIT_RETENTION_DAYS = 365
    base, (d400, d200, d179, d10) = history
    audit.purge(now=base)
    assert not AuditEntry.objects.filter(seq=d400.seq).exists()
    assert AuditEntry.objects.filter(seq=d200.seq).exists()
    assert audit.verify().ok


def test_purge_never_uses_less_than_180_days(history, settings):
    settings.DGOV_AUDIT_RETENTION_DAYS = 30  # cannot come from the environment; even so it is ignored
    base, (d400, d200, d179, d10) = history
    audit.purge(now=base)
    assert AuditEntry.objects.filter(seq=d179.seq).exists()
    assert AuditEntry.objects.filter(action="audit.purge").get().changes["retention_days"] == 180


def test_purge_with_nothing_old_enough_changes_nothing():
    count = AuditEntry.objects.count()
    assert audit.purge() == 0
    assert AuditEntry.objects.count() == count and not AuditAnchor.objects.exists()


def test_two_purges_then_verify(history, settings):
    settings.DGOV_AUDIT_RETENTION_DAYS = 180
    base, (d400, d200, d179, d10) = history
    audit.purge(now=base - dt.timedelta(days=150))  # only the 400-day-old entry and older
    assert AuditAnchor.objects.count() == 1 and audit.verify().ok
    audit.purge(now=base)
    assert AuditAnchor.objects.count() == 2 and audit.verify().ok


def test_deleting_the_first_entry_after_an_anchor_is_detected(history, settings):
    base, (d400, d200, d179, d10) = history
    audit.purge(now=base)
    _sql("DELETE FROM core_auditentry WHERE seq = %s", [d179.seq])
    result = audit.verify()
    assert not result.ok and result.broken_seq == d10.seq


def test_purge_command(history, settings):
    out = io.StringIO()
    call_command("audit", "purge", stdout=out)
    assert "purged 0 entries" in out.getvalue()  # nothing is 180 days old yet


@pytest.mark.parametrize(("configured", "effective"), [("30", 180), ("179", 180), ("180", 180), ("400", 400)])
def test_retention_setting_is_clamped_to_180_days(configured, effective, monkeypatch, tmp_path):
    monkeypatch.setenv("DGOV_AUDIT_RETENTION_DAYS", configured)
    monkeypatch.setenv("DGOV_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DGOV_SECRET_KEY", "x" * 50)
    assert runpy.run_path(str(SETTINGS_FILE))["DGOV_AUDIT_RETENTION_DAYS"] == effective


# --- masking -----------------------------------------------------------------------------------

def test_created_masks_encrypted_fields_and_passwords(world):
    from dgov.accounts.models import User
    from dgov.notifications.models import OutboxMessage

    message = OutboxMessage(channel="sms", recipient="13912345678", recipient_masked="139****5678",
                            subject="验证码", body="code 135790")
    changes = audit.created(message)
    assert changes["recipient"] == [None, audit.MASKED] and changes["body"] == [None, audit.MASKED]
    assert changes["subject"] == [None, "验证码"]
    assert "13912345678" not in json.dumps(changes) and "135790" not in json.dumps(changes)
    user = User(username="someone", password="argon2$secret-hash")
    assert audit.created(user, ["username", "password"])["password"] == [None, audit.MASKED]


def test_diff_masks_changed_sensitive_fields_and_skips_unchanged():
    from dgov.notifications.models import OutboxMessage

    message = OutboxMessage(channel="sms", recipient="13912345678", recipient_masked="139****5678",
                            subject="a", body="one")
    before = audit.snapshot(message)
    message.recipient, message.subject = "13800000000", "b"
    changes = audit.diff(before, message)
    assert changes == {"recipient": [audit.MASKED, audit.MASKED], "subject": ["a", "b"]}


def test_model_audit_masked_fields_are_masked_through_the_generic_service(world, monkeypatch):
    from dgov.core.services import save_object
    from dgov.orgs.models import Department

    monkeypatch.setattr(Department, "audit_masked_fields", ("note",), raising=False)
    department = Department.objects.get(code="360603901")
    department.note = "internal phone 0701-1234567"
    save_object(actor=world.admin, instance=department)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "orgs.department.change"
    assert entry.changes["note"] == [audit.MASKED, audit.MASKED]
    assert "1234567" not in json.dumps(entry.changes)


def test_sensitive_fields_lists_encrypted_and_declared_fields():
    from dgov.notifications.models import OutboxMessage
    from dgov.orgs.models import Department

    assert audit.sensitive_fields(OutboxMessage) >= {"recipient", "body", "password"}
    assert "name" not in audit.sensitive_fields(Department)


def test_deleting_the_purge_entry_that_vouches_for_the_anchor_is_detected(history, settings):
    base, (d400, d200, d179, d10) = history
    audit.purge(now=base)
    _sql("DELETE FROM core_auditentry WHERE action = %s", ["audit.purge"])
    result = audit.verify()
    assert not result.ok
    assert result.broken_seq == d179.seq and "anchor" in result.reason


def test_a_concurrent_duplicate_is_a_conflict_not_a_server_error(world, monkeypatch):
    """full_clean checks uniqueness first; a record written by another request between that check
    and the insert surfaces as the database's IntegrityError, answered as 409 conflict."""
    from dgov.core.errors import Conflict
    from dgov.core.services import save_object
    from dgov.orgs.models import Department

    existing = Department.objects.get(code="360603901")
    twin = Department(code=existing.code, name="重复部门", region=existing.region, parent=existing.parent)
    monkeypatch.setattr(Department, "full_clean", lambda self, *a, **k: None)  # the check passed earlier
    before = AuditEntry.objects.count()
    with pytest.raises(Conflict) as exc:
        save_object(actor=world.admin, instance=twin)
    assert exc.value.status == 409
    assert AuditEntry.objects.count() == before
    assert Department.objects.filter(code=existing.code).count() == 1


# --- deferred blocks: the chain's lock only at the end of a unit of work --------------------------------------
def test_a_deferred_block_writes_its_entries_at_its_end_chained_in_order():
    before = audit.record("test.before", None)
    with audit.deferred():
        first = audit.record("test.deferred.one", audit.Target("test.thing", "1", "one"))
        with audit.deferred():  # nested: joins the outer block
            second = audit.record("test.deferred.two", audit.Target("test.thing", "2", "two"))
        assert first.seq is None and second.seq is None
        assert not AuditEntry.objects.filter(action__startswith="test.deferred").exists()
    assert (first.seq, second.seq) == (before.seq + 1, before.seq + 2)
    assert second.prev_hash == first.hash and first.prev_hash == before.hash
    stored = list(AuditEntry.objects.filter(action__startswith="test.deferred").order_by("seq"))
    assert [(e.action, e.hash) for e in stored] == [("test.deferred.one", first.hash),
                                                    ("test.deferred.two", second.hash)]
    after = audit.record("test.after", None)
    assert after.seq == second.seq + 1 and after.prev_hash == second.hash
    assert audit.verify().ok


def test_a_deferred_block_that_fails_writes_nothing_and_the_next_entry_chains_on():
    before = audit.record("test.before", None)
    with pytest.raises(RuntimeError), audit.deferred():
        audit.record("test.deferred.lost", None)
        raise RuntimeError("the unit of work failed")
    assert not AuditEntry.objects.filter(action="test.deferred.lost").exists()
    with audit.deferred():
        pass  # nothing recorded: nothing written
    after = audit.record("test.after", None)
    assert after.seq == before.seq + 1 and after.prev_hash == before.hash
    assert audit.verify().ok
