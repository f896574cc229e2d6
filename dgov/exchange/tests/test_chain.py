"""The exchange log's chain: sealing in order, verification catching an edited, deleted or inserted
row and a cut chain, the JSON Lines export verifying offline (and failing once changed), and the
`dgov exchange-log` command."""

import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from dgov.core.testing import audited
from dgov.exchange import chain, offline
from dgov.exchange.models import ExchangeLogEntry

pytestmark = pytest.mark.django_db


def _append(n: int, **fields):
    for i in range(n):
        chain.append(occurred_at=timezone.now(), request_id=f"req{i:05d}", app_code="app", key_id="app.k",
                     service_code="307000000/000001", method="GET", path="/exchange/v1/allowed", status=200,
                     rows=i, latency_ms=3, body_sm3="0" * 64, ip="127.0.0.1", **fields)


def test_rows_are_sealed_in_order_into_one_chain():
    _append(5)
    entries = list(ExchangeLogEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == offline.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    assert chain.read_head() == (5, entries[-1].hash) or chain.read_head() is None  # head after commit
    assert chain.verify().ok


def test_unsealed_rows_are_sealed_by_verify():
    ExchangeLogEntry.objects.create(occurred_at=timezone.now(), request_id="late", method="GET", path="/x",
                                    status=200, body_sm3="0" * 64)
    assert ExchangeLogEntry.objects.filter(seq__isnull=True).count() == 1
    result = chain.verify()
    assert result.ok and result.checked == 1


@pytest.mark.parametrize("change", [
    {"rows": 999}, {"status": 403}, {"app_code": "other"}, {"ip": "10.0.0.1"}, {"hash": "f" * 64},
])
def test_changing_one_record_makes_verification_fail(change):
    _append(4)
    assert chain.verify().ok
    ExchangeLogEntry.objects.filter(seq=2).update(**change)
    result = chain.verify()
    assert not result.ok and result.broken_seq in (2, 3), result


def test_deleting_a_record_or_the_newest_ones_is_caught():
    _append(4)
    ExchangeLogEntry.objects.filter(seq=2).delete()
    assert "expected entry #2" in chain.verify().reason
    ExchangeLogEntry.objects.all().delete()
    _append(4)
    chain.advance_head(4, ExchangeLogEntry.objects.get(seq=4).hash)  # as after the commit
    ExchangeLogEntry.objects.filter(seq=4).delete()
    result = chain.verify()
    assert not result.ok and "newest entries were deleted" in result.reason


def test_an_altered_head_file_is_caught():
    _append(2)
    chain.advance_head(2, ExchangeLogEntry.objects.get(seq=2).hash)
    data = json.loads(chain.head_file().read_text())
    data["seq"] = 1
    chain.head_file().write_text(json.dumps(data))
    assert "MAC" in chain.verify().reason


def _export() -> str:
    out = io.StringIO()
    chain.export(out)
    return out.getvalue()


def test_the_export_verifies_offline_and_fails_once_changed():
    _append(3)
    text = _export()
    ok, checked, message = offline.verify_lines(text.splitlines())
    assert ok and checked == 3, message
    lines = text.splitlines()
    record = json.loads(lines[2])
    record["rows"] = 42
    changed = [lines[0], lines[1], json.dumps(record, ensure_ascii=False), lines[3]]
    ok, _checked, message = offline.verify_lines(changed)
    assert not ok and "entry #2" in message
    ok, _checked, message = offline.verify_lines(lines[:-1])  # the last entry removed
    assert not ok
    ok, _checked, message = offline.verify_lines([lines[0], lines[2], lines[3]])  # the first removed
    assert not ok


def test_an_empty_log_exports_and_verifies():
    assert offline.verify_lines(_export().splitlines())[0]


def test_the_offline_verifier_runs_without_dgov(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    _append(2)
    export = tmp_path / "log.jsonl"
    export.write_text(_export(), encoding="utf-8")
    script = tmp_path / "offline.py"  # copied away from the package, as a third party would
    script.write_text(Path(offline.__file__).read_text(encoding="utf-8"), encoding="utf-8")
    done = subprocess.run([sys.executable, "-I", str(script), str(export)], capture_output=True, text=True,
                          cwd=tmp_path, check=False)
    assert done.returncode == 0 and done.stdout.startswith("OK"), done
    text = export.read_text(encoding="utf-8")
    assert '"rows": 1,' in text
    export.write_text(text.replace('"rows": 1,', '"rows": 7,'), encoding="utf-8")
    done = subprocess.run([sys.executable, "-I", str(script), str(export)], capture_output=True, text=True,
                          cwd=tmp_path, check=False)
    assert done.returncode == 1 and done.stdout.startswith("BROKEN"), done


def test_the_command_verifies_exports_and_seals(tmp_path, capsys):
    _append(3)
    call_command("exchange_log", "verify")
    assert "intact: 3 entries" in capsys.readouterr().out
    assert audited("exchange.log.verify").changes["ok"] is True
    output = tmp_path / "x.jsonl"
    call_command("exchange_log", "export", "--output", str(output))
    assert audited("exchange.log.export").changes["end_hash"] == ExchangeLogEntry.objects.get(seq=3).hash
    call_command("exchange_log", "verify", "--file", str(output))
    assert "intact" in capsys.readouterr().out
    call_command("exchange_log", "seal")
    ExchangeLogEntry.objects.filter(seq=1).update(rows=77)
    with pytest.raises(SystemExit) as exit_:
        call_command("exchange_log", "verify")
    assert exit_.value.code == 1
    assert "BROKEN at entry #1" in capsys.readouterr().err
