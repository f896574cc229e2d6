"""Helpers shared by the accounts tests."""

import json
import re
from types import SimpleNamespace

import pyotp
from django.db import connection

from dgov.accounts import services
from dgov.accounts.models import TotpDevice
from dgov.accounts.testing import make_citizen, make_user
from dgov.core.models import AuditEntry

# A fixed instant for everything that depends on the TOTP clock (see `frozen_totp_clock`).
TOTP_NOW = 1_700_000_000.0
CJK = re.compile(r"[\u4e00-\u9fff]")


def post_json(client, url: str, payload: dict):
    return client.post(url, data=json.dumps(payload), content_type="application/json")


def freeze_totp_clock(monkeypatch, now: float = TOTP_NOW) -> float:
    """Make the services' TOTP clock read `now` (only the services module's clock: the rest of
    Django keeps the real time)."""
    monkeypatch.setattr(services, "time", SimpleNamespace(time=lambda: now))
    return now


def totp_code(user, at: float = TOTP_NOW) -> str:
    return pyotp.TOTP(TotpDevice.objects.get(user=user).secret).at(at)


def make_otp_admin(username: str = "otp_admin", **kwargs):
    """An official with an administrative role (second factor required) and a confirmed authenticator."""
    kwargs.setdefault("department_code", "360600036")
    kwargs.setdefault("roles", [("city_admin", "all", None)])
    return make_user(username, totp=True, **kwargs)


def make_identity_officer(username: str = "id_officer", county: str = "360603"):
    return make_user(username, department_code=f"{county}000", roles=[("identity_officer", "region", county)])


def make_county_citizen(username: str, county: str, **kwargs):
    return make_citizen(username, region_code=f"{county}000000", **kwargs)


def last_audit(action: str, **filters) -> AuditEntry:
    entry = AuditEntry.objects.filter(action=action, **filters).order_by("-seq").first()
    assert entry is not None, f"no audit entry {action!r} {filters}"
    return entry


def database_cells_containing(needle: str) -> list[tuple[str, str]]:
    """Every (table, column) of the database whose value, read as text, contains `needle`.
    Every column of every table is read, cast to text, so JSON (audit changes) and any text
    column count."""
    hits = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            for column in columns:
                cursor.execute(
                    f"SELECT COUNT(*) FROM {quote(table)} WHERE CAST({quote(column)} AS TEXT) LIKE %s",
                    [f"%{needle}%"])
                if cursor.fetchone()[0]:
                    hits.append((table, column))
    return hits
