"""A lost or different master key is refused, never silently replaced."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from dgov.crypto import keys
from dgov.crypto.models import MasterKeyCheck


@pytest.fixture
def key_file(tmp_path, settings):
    settings.MASTER_KEY_FILE = tmp_path / "master.key"
    settings.DGOV_MASTER_KEY_AUTOCREATE = False
    keys.master_key.cache_clear()
    keys.purpose_key.cache_clear()
    yield settings.MASTER_KEY_FILE
    keys.master_key.cache_clear()
    keys.purpose_key.cache_clear()


def test_init_creates_the_key_once_and_records_its_check_value(db, key_file, monkeypatch):
    monkeypatch.delenv("DGOV_MASTER_KEY", raising=False)
    MasterKeyCheck.objects.all().delete()
    keys.ensure_master_key()
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    check = MasterKeyCheck.objects.get()
    assert check.kcv == keys.key_check_value(keys.master_key())
    assert key_file.read_text().strip() not in check.kcv  # the check value does not reveal the key
    keys.ensure_master_key()  # again: nothing changes
    assert MasterKeyCheck.objects.get().kcv == check.kcv


def test_a_lost_key_file_is_reported_not_replaced(db, key_file, monkeypatch):
    monkeypatch.delenv("DGOV_MASTER_KEY", raising=False)
    MasterKeyCheck.objects.all().delete()
    keys.ensure_master_key()
    key_file.unlink()
    keys.master_key.cache_clear()
    with pytest.raises(keys.MasterKeyMismatch, match="restore"):
        keys.ensure_master_key()
    assert not key_file.exists()
    with pytest.raises(ImproperlyConfigured, match="missing"):
        keys.master_key()


def test_a_different_key_is_refused(db, key_file, monkeypatch):
    monkeypatch.delenv("DGOV_MASTER_KEY", raising=False)
    MasterKeyCheck.objects.all().delete()
    keys.ensure_master_key()
    monkeypatch.setenv("DGOV_MASTER_KEY", "ab" * 32)
    keys.master_key.cache_clear()
    with pytest.raises(keys.MasterKeyMismatch):
        keys.verify_master_key()


def test_audit_verify_names_a_key_problem_instead_of_blaming_the_entries(db, key_file, monkeypatch):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    monkeypatch.delenv("DGOV_MASTER_KEY", raising=False)
    MasterKeyCheck.objects.all().delete()
    keys.ensure_master_key()
    monkeypatch.setenv("DGOV_MASTER_KEY", "cd" * 32)
    keys.master_key.cache_clear()
    keys.purpose_key.cache_clear()
    with pytest.raises(CommandError, match="does not match"):
        call_command("audit", "verify")
