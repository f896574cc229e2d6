"""The deployment self-check behind `dgov check`, check by check."""

import datetime as dt
import types

import pytest

from dgov.core import checks

pytestmark = pytest.mark.django_db


def _run(label):
    return dict((name, (status, message)) for name, status, message in checks.run_all())[label]


def _on(monkeypatch, day):
    class Fixed(dt.date):
        @classmethod
        def today(cls):
            return cls(day.year, day.month, day.day)

    monkeypatch.setattr(checks, "dt", types.SimpleNamespace(date=Fixed))


@pytest.mark.parametrize(("day", "status"), [
    (dt.date(2025, 6, 1), checks.OK),
    (dt.date(2025, 11, 15), checks.OK),    # next year's schedule already loaded
    (dt.date(2026, 10, 31), checks.OK),
    (dt.date(2026, 11, 1), checks.WARN),   # November, and the next year's schedule is missing
    (dt.date(2027, 3, 1), checks.FAIL),    # no schedule at all for this year
])
def test_calendar_check_follows_the_loaded_years(monkeypatch, day, status):
    _on(monkeypatch, day)
    assert _run("working-day calendar")[0] == status


def test_calendar_check_names_the_missing_year(monkeypatch):
    _on(monkeypatch, dt.date(2027, 3, 1))
    assert "2027" in _run("working-day calendar")[1]


def test_audit_chain_check_fails_on_a_broken_chain():
    from django.db import connection

    from dgov.core.models import AuditEntry

    assert _run("audit chain")[0] == checks.OK
    entry = AuditEntry.objects.order_by("seq").first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET object_repr = %s WHERE id = %s", ["forged", entry.pk])
    status, message = _run("audit chain")
    assert status == checks.FAIL and f"#{entry.seq}" in message


def test_debug_and_hosts(settings):
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = ["*"]
    assert _run("debug")[0] == checks.FAIL
    assert _run("allowed hosts")[0] == checks.WARN


def test_short_secret_key_fails(settings):
    settings.SECRET_KEY = "short"
    assert _run("secret key")[0] == checks.FAIL


def test_cookies_warn_when_not_secure(settings):
    settings.SESSION_COOKIE_SECURE = False
    assert _run("cookies")[0] == checks.WARN


def test_the_core_checks_pass_on_the_test_installation(monkeypatch):
    _on(monkeypatch, dt.date(2026, 6, 1))
    results = {label: (status, message) for label, status, message in checks.run_all()}
    assert results["database"][0] == checks.OK and results["migrations"] == (checks.OK, "all applied")
    assert results["cryptography"][0] == checks.OK and "SM3/SM4" in results["cryptography"][1]
    assert results["audit chain"][0] == checks.OK and results["working-day calendar"][0] == checks.OK
    assert all(status != checks.FAIL for label, (status, _) in results.items() if label != "static files")


def test_a_crashing_check_is_reported_as_a_failure(monkeypatch):
    def boom():
        raise RuntimeError("disk gone")

    monkeypatch.setattr(checks, "CHECKS", [("boom", boom)])
    assert checks.run_all() == [("boom", checks.FAIL, "RuntimeError: disk gone")]
