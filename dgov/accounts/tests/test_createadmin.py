"""`dgov createadmin`: one account per administrative duty (MLPS), optionally limited to a region."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dgov.accounts.models import RoleAssignment, TotpDevice, User
from dgov.core.models import AuditEntry

PASSWORD = "Admin-pass-2026!"


@pytest.mark.parametrize("kind, roles", [("system", {"city_admin", "security_admin"}), ("auditor", {"auditor"}),
                                         ("identity", {"identity_officer"})])
def test_each_duty_gets_its_roles_and_a_second_factor(db, kind, roles):
    out = io.StringIO()
    call_command("createadmin", kind=kind, username=f"t_{kind}", password=PASSWORD, stdout=out)
    user = User.objects.get(username=f"t_{kind}")
    assignments = RoleAssignment.objects.filter(user=user)
    assert {a.role.code for a in assignments} == roles
    assert {a.scope_kind for a in assignments} == {"all"}
    device = TotpDevice.objects.get(user=user)
    assert device.confirmed and device.secret in out.getvalue()
    assert AuditEntry.objects.filter(action="accounts.user.create", object_id=str(user.pk)).exists()


def test_a_county_auditor(db):
    call_command("createadmin", kind="auditor", username="t_yj_auditor", password=PASSWORD, region="360603",
                 stdout=io.StringIO())
    assignment = RoleAssignment.objects.get(user__username="t_yj_auditor")
    assert assignment.scope_kind == "region" and assignment.region.code == "360603000000"


def test_refusals(db):
    with pytest.raises(CommandError, match="360699"):
        call_command("createadmin", kind="auditor", username="t_x", password=PASSWORD, region="360699",
                     stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("createadmin", username="t_weak", password="short", stdout=io.StringIO())
    call_command("createadmin", username="t_twice", password=PASSWORD, stdout=io.StringIO())
    with pytest.raises(CommandError, match="exists"):
        call_command("createadmin", username="t_twice", password=PASSWORD, stdout=io.StringIO())
