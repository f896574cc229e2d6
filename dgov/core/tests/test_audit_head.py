"""The head anchor outside the database: deleting the newest audit entries is detected."""

import json

import pytest
from django.db import connection

from dgov.core import audit
from dgov.core.models import AuditEntry


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Record entries and run their on-commit work, as a real request's commit would."""
    def record(n):
        with django_capture_on_commit_callbacks(execute=True):
            for i in range(n):
                audit.record("test.event", audit.Target("test", str(i), "x"))
    return record


def test_the_head_follows_the_chain(db, committed, settings):
    committed(3)
    last = AuditEntry.objects.order_by("-seq").first()
    assert audit.read_head() == (last.seq, last.hash)
    assert audit.verify().ok


def test_deleting_the_newest_entries_is_detected(db, committed):
    committed(4)
    last = AuditEntry.objects.order_by("-seq").first()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE seq >= %s", [last.seq - 1])
    result = audit.verify()
    assert not result.ok
    assert "newest entries were deleted" in result.reason and f"#{last.seq}" in result.reason


def test_replacing_the_head_entry_with_a_recomputed_one_is_detected(db, committed):
    committed(2)
    last = AuditEntry.objects.order_by("-seq").first()
    AuditEntry.objects.filter(pk=last.pk).delete()
    forged = audit.record("forged.event", audit.Target("test", "9", "x"))  # same seq, other content
    assert forged.seq == last.seq
    result = audit.verify()
    assert not result.ok and "differs from the recorded head" in result.reason


def test_a_tampered_head_file_is_reported(db, committed, settings):
    committed(1)
    data = json.loads(settings.DGOV_AUDIT_HEAD_FILE.read_text())
    data["seq"] += 5
    settings.DGOV_AUDIT_HEAD_FILE.write_text(json.dumps(data))
    result = audit.verify()
    assert not result.ok and "altered" in result.reason


def test_the_head_never_moves_back(db, settings):
    audit.advance_head(7, "a" * 64)
    audit.advance_head(5, "b" * 64)
    assert audit.read_head() == (7, "a" * 64)
