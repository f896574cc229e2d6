"""GET /api/v1/audit/entries and the audit log export, for auditors."""

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from dgov.accounts.models import Role
from dgov.accounts.testing import api_client, grant, make_user
from dgov.core import audit
from dgov.core.models import AuditEntry
from dgov.core.testing import ApiContract, Case, assert_error

pytestmark = pytest.mark.django_db
URL = "/api/v1/audit/entries"


class TestListAuditEntries(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="get", url=URL, authorised=world.auditor, unauthorised=world.admin,
                    bad_url=f"{URL}?outcome=maybe")

    # The audit log has no data scope: an auditor sees all of it, anyone else none.
    test_out_of_scope = None


def test_newest_first_with_every_field(world):
    entry = audit.record("test.api.one", audit.Target("test.thing", "7", "thing 7"), changes={"a": [1, 2]},
                         actor=world.admin)
    body = api_client(world.auditor).get(f"{URL}?limit=5").json()
    first = next(item for item in body["items"] if item["seq"] == entry.seq)
    assert body["items"][0]["seq"] > body["items"][-1]["seq"]
    assert first == {**first, "action": "test.api.one", "object_type": "test.thing", "object_id": "7",
                     "changes": {"a": [1, 2]}, "actor_username": "t_admin", "outcome": "success",
                     "hash": entry.hash}
    assert body["count"] == AuditEntry.objects.count()


@pytest.mark.parametrize(("query", "check"), [
    ("action=test.api", lambda e: e["action"].startswith("test.api")),
    ("outcome=denied", lambda e: e["outcome"] == "denied"),
    ("actor=t_admin", lambda e: e["actor_username"] == "t_admin"),
    ("object_type=test.thing&object_id=8", lambda e: e["object_id"] == "8"),
])
def test_filters(world, query, check):
    audit.record("test.api.two", audit.Target("test.thing", "8"), actor=world.admin)
    audit.record_failure("test.api.three", outcome="denied", reason="out_of_scope", actor=world.yujiang_admin)
    items = api_client(world.auditor).get(f"{URL}?{query}&limit=500").json()["items"]
    assert items and all(check(e) for e in items)


def test_time_window(world):
    now = timezone.now()
    since = (now - dt.timedelta(minutes=1)).isoformat()
    client = api_client(world.auditor)
    audit.record("test.api.recent", None)
    items = client.get(URL, {"since": since, "limit": 500}).json()["items"]
    assert "test.api.recent" in {e["action"] for e in items}
    assert client.get(URL, {"until": since}).json()["count"] < AuditEntry.objects.count()


@pytest.mark.parametrize("query", ["since=yesterday", "limit=0", "action=" + "x" * 81])
def test_bad_filters(world, query):
    assert_error(api_client(world.auditor).get(f"{URL}?{query}"), 422, "invalid")


def test_county_admin_and_citizen_are_refused(world):
    for user in (world.yujiang_admin, world.citizen, world.official):
        assert_error(api_client(user).get(URL), 403, "permission_denied")


def test_export_for_auditors(world):
    client = Client()
    client.force_login(world.auditor)
    response = client.get("/system/audit/?export=csv&outcome=success")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) > 1 and all(len(r[-1]) == 64 for r in rows[1:])  # the hash column, for re-checking
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor_username) == ("core.auditentry.export", "t_auditor")


def test_export_needs_the_export_permission(world):
    role = Role.objects.create(code="t_audit_reader", name="审计只读（测试）")
    role.permissions.add(Permission.objects.get(content_type__app_label="core", codename="view_auditentry"))
    reader = make_user("t_audit_reader_user", department_code="360600036")
    grant(reader, "t_audit_reader")
    client = Client()
    client.force_login(reader)
    assert client.get("/system/audit/").status_code == 200
    assert client.get("/system/audit/?export=csv").status_code == 403
    assert not AuditEntry.objects.filter(action="core.auditentry.export").exists()
