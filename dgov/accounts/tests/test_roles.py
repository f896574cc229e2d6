"""Role and assignment services: no privilege escalation, built-in roles kept, every write audited."""

import pytest
from django.contrib.auth.models import Permission

from dgov.accounts import services
from dgov.accounts.models import Role, RoleAssignment
from dgov.accounts.permissions import load_grants
from dgov.accounts.testing import department, grant, make_user, region
from dgov.accounts.tests.support import last_audit, make_county_citizen
from dgov.core.errors import Conflict, PermissionDenied, ValidationError
from dgov.core.models import AuditEntry


def perm(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def role(code: str) -> Role:
    return Role.objects.get(code=code)


@pytest.fixture
def yj_clerk(db):
    return make_user("yj_clerk", department_code="360603903")


@pytest.fixture
def gx_clerk(db):
    return make_user("gx_clerk", department_code="360681903")


# --- role_assign --------------------------------------------------------------------------------

def test_county_admin_grants_a_role_it_holds_within_its_county(world, yj_clerk):
    assignment = services.role_assign(actor=world.yujiang_admin, user=yj_clerk, role=role("staff"),
                                      scope_kind="region", region=region("360603"))
    assert assignment.granted_by == world.yujiang_admin
    assert "orgs.view_region" in load_grants(yj_clerk)
    entry = last_audit("accounts.roleassignment.create")
    assert (entry.actor_id, entry.object_id) == (world.yujiang_admin.pk, str(assignment.pk))
    assert entry.changes["role"] == [None, role("staff").pk]
    assert entry.changes["scope_kind"] == [None, "region"]


def test_county_admin_may_grant_a_narrower_region(world, yj_clerk):
    township = region("360603001")
    assignment = services.role_assign(actor=world.yujiang_admin, user=yj_clerk, role=role("county_admin"),
                                      scope_kind="region", region=township)
    assert assignment.region == township


def test_county_admin_cannot_grant_a_permission_it_lacks(world, yj_clerk):
    for code in ("city_admin", "security_admin", "auditor", "identity_officer"):
        with pytest.raises(PermissionDenied) as exc:
            services.role_assign(actor=world.yujiang_admin, user=yj_clerk, role=role(code),
                                 scope_kind="region", region=region("360603"))
        assert exc.value.code == "escalation"
    assert not RoleAssignment.objects.filter(user=yj_clerk).exists()
    assert not AuditEntry.objects.filter(action="accounts.roleassignment.create").exists()


def test_county_admin_cannot_grant_a_region_outside_its_scope(world, yj_clerk):
    for scope in ({"scope_kind": "region", "region": region("360681")},
                  {"scope_kind": "region", "region": region("360600")},
                  {"scope_kind": "all"}):
        with pytest.raises(PermissionDenied) as exc:
            services.role_assign(actor=world.yujiang_admin, user=yj_clerk, role=role("staff"), **scope)
        assert exc.value.code == "escalation"
    assert not RoleAssignment.objects.filter(user=yj_clerk).exists()


def test_county_admin_cannot_grant_to_a_user_outside_its_scope(world, gx_clerk):
    with pytest.raises(PermissionDenied) as exc:
        services.role_assign(actor=world.yujiang_admin, user=gx_clerk, role=role("staff"),
                             scope_kind="region", region=region("360603"))
    assert exc.value.code == "out_of_scope"
    assert not RoleAssignment.objects.filter(user=gx_clerk).exists()


def test_users_without_the_permission_cannot_grant(world, yj_clerk):
    for actor in (world.official, world.citizen, world.auditor):
        with pytest.raises(PermissionDenied):
            services.role_assign(actor=actor, user=yj_clerk, role=role("staff"), scope_kind="own")


def test_nobody_can_grant_themselves_more(world):
    with pytest.raises(PermissionDenied):
        services.role_assign(actor=world.yujiang_admin, user=world.yujiang_admin, role=role("county_admin"),
                             scope_kind="all")
    with pytest.raises(PermissionDenied):
        services.role_assign(actor=world.yujiang_admin, user=world.yujiang_admin, role=role("security_admin"),
                             scope_kind="region", region=region("360603"))


def test_security_admin_grants_anything_it_holds(world, gx_clerk):
    security = make_user("sec", department_code="360600036", roles=[("security_admin", "all", None)])
    services.role_assign(actor=security, user=gx_clerk, role=role("security_admin"), scope_kind="all")
    # ...but not the auditor's permissions (separation of duties).
    with pytest.raises(PermissionDenied) as exc:
        services.role_assign(actor=security, user=gx_clerk, role=role("auditor"), scope_kind="all")
    assert exc.value.code == "escalation"


def test_scope_target_must_match_the_scope_kind(world, yj_clerk):
    with pytest.raises(ValidationError):
        services.role_assign(actor=world.admin, user=yj_clerk, role=role("staff"), scope_kind="region")
    with pytest.raises(ValidationError):
        services.role_assign(actor=world.admin, user=yj_clerk, role=role("staff"), scope_kind="all",
                             region=region("360603"))


def test_duplicate_grant_is_refused(world, yj_clerk):
    services.role_assign(actor=world.admin, user=yj_clerk, role=role("staff"), scope_kind="own")
    with pytest.raises(ValidationError):
        services.role_assign(actor=world.admin, user=yj_clerk, role=role("staff"), scope_kind="own")


def test_department_scope_grant_by_a_department_scoped_admin(world, yj_clerk):
    head = make_user("yj_finance_head", department_code="360603903")
    grant(head, "county_admin", "department", "360603903")
    assignment = services.role_assign(actor=head, user=yj_clerk, role=role("staff"), scope_kind="department",
                                      department=department("360603903"))
    assert assignment.department.code == "360603903"
    with pytest.raises(PermissionDenied) as exc:
        services.role_assign(actor=head, user=yj_clerk, role=role("county_admin"), scope_kind="department",
                             department=department("360603000"))
    assert exc.value.code == "escalation"


# --- role_unassign ------------------------------------------------------------------------------

def test_county_admin_withdraws_a_grant_in_its_county(world, yj_clerk):
    assignment = grant(yj_clerk, "staff", "region", "360603")
    pk = assignment.pk
    services.role_unassign(actor=world.yujiang_admin, assignment=assignment)
    assert not RoleAssignment.objects.filter(pk=pk).exists()
    assert load_grants(yj_clerk) == {}
    entry = last_audit("accounts.roleassignment.delete")
    assert (entry.actor_id, entry.object_id) == (world.yujiang_admin.pk, str(pk))


def test_county_admin_cannot_withdraw_a_grant_outside_its_county(world, gx_clerk):
    assignment = grant(gx_clerk, "staff", "region", "360681")
    with pytest.raises(PermissionDenied):
        services.role_unassign(actor=world.yujiang_admin, assignment=assignment)
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_county_admin_cannot_withdraw_a_role_it_could_not_grant(world, yj_clerk):
    """Withdrawing follows the same rule as granting: a county administrator cannot strip a city-wide
    security administrator who happens to sit in its county."""
    assignment = grant(yj_clerk, "security_admin", "all")
    with pytest.raises(PermissionDenied) as exc:
        services.role_unassign(actor=world.yujiang_admin, assignment=assignment)
    assert exc.value.code == "escalation"
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_without_permission_nothing_is_withdrawn(world, yj_clerk):
    assignment = grant(yj_clerk, "staff", "own")
    with pytest.raises(PermissionDenied):
        services.role_unassign(actor=world.citizen, assignment=assignment)
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


# --- role_save and role_delete -----------------------------------------------------------------

def test_security_admin_creates_and_changes_a_role(world):
    created = services.role_save(actor=world.admin, role=None, code="archivist", name="档案员",
                                 permissions=[perm("orgs.view_region")])
    assert set(created.permissions.all()) == {perm("orgs.view_region")} and not created.is_builtin
    entry = last_audit("accounts.role.create")
    assert (entry.actor_id, entry.object_id) == (world.admin.pk, str(created.pk))
    both = [perm("orgs.view_region"), perm("orgs.view_department")]
    services.role_save(actor=world.admin, role=created, code="archivist", name="档案管理员", permissions=both,
                       requires_2fa=True)
    created.refresh_from_db()
    assert created.name == "档案管理员" and created.requires_2fa
    entry = last_audit("accounts.role.change")
    assert entry.actor_id == world.admin.pk
    assert entry.changes["name"] == ["档案员", "档案管理员"]
    assert entry.changes["permissions"] == [[perm("orgs.view_region").pk], sorted(p.pk for p in both)]


def test_role_cannot_carry_a_permission_the_actor_lacks(world):
    with pytest.raises(PermissionDenied) as exc:
        services.role_save(actor=world.admin, role=None, code="spy", name="spy",
                           permissions=[perm("core.view_auditentry")])
    assert exc.value.code == "escalation"
    assert not Role.objects.filter(code="spy").exists()


def test_region_scoped_permission_is_not_enough_to_put_it_in_a_role(world):
    """A role is platform-wide, so its permissions must be held with scope "all"."""
    maker = Role.objects.create(code="role_maker", name="role maker")
    maker.permissions.set([perm("accounts.add_role")])
    grant(world.yujiang_admin, "role_maker", "all")
    with pytest.raises(PermissionDenied) as exc:
        services.role_save(actor=world.yujiang_admin, role=None, code="local", name="local",
                           permissions=[perm("accounts.view_user")])  # held on 余江区 only
    assert exc.value.code == "escalation"
    local = services.role_save(actor=world.yujiang_admin, role=None, code="local", name="local")
    assert local.permissions.count() == 0


def test_roles_are_written_only_with_scope_all(world):
    """Roles are platform-wide: a region-scoped grant may read them all but write none."""
    grant(world.yujiang_admin, "security_admin", "region", "360603")
    assert Role.objects.restrict(world.yujiang_admin, "view").count() == Role.objects.count()
    with pytest.raises(PermissionDenied) as exc:
        services.role_save(actor=world.yujiang_admin, role=None, code="local", name="local")
    assert exc.value.code == "out_of_scope"
    custom = services.role_save(actor=world.admin, role=None, code="custom", name="custom")
    with pytest.raises(PermissionDenied):
        services.role_save(actor=world.yujiang_admin, role=custom, code="custom", name="renamed")
    with pytest.raises(PermissionDenied):
        services.role_delete(actor=world.yujiang_admin, role=custom)
    assert Role.objects.get(pk=custom.pk).name == "custom"


def test_roles_are_visible_to_anyone_who_may_view_roles(world):
    assert Role.objects.restrict(world.yujiang_admin, "view").count() == Role.objects.count()
    assert not Role.objects.restrict(world.citizen, "view").exists()
    assert not Role.objects.restrict(world.official, "view").exists()


def test_county_admin_cannot_define_roles(world):
    with pytest.raises(PermissionDenied):
        services.role_save(actor=world.yujiang_admin, role=None, code="mine", name="mine")
    with pytest.raises(PermissionDenied):
        services.role_save(actor=world.yujiang_admin, role=role("staff"), code="staff", name="x")


def test_invalid_role_code_is_a_validation_error(world):
    with pytest.raises(ValidationError) as exc:
        services.role_save(actor=world.admin, role=None, code="not a slug", name="x")
    assert "code" in exc.value.details
    with pytest.raises(ValidationError):
        services.role_save(actor=world.admin, role=None, code="staff", name="duplicate")


def test_builtin_roles_cannot_be_deleted(world):
    for code in ("city_admin", "security_admin", "auditor", "county_admin", "identity_officer", "staff"):
        with pytest.raises(Conflict):
            services.role_delete(actor=world.admin, role=role(code))
        assert Role.objects.filter(code=code).exists()
    assert not AuditEntry.objects.filter(action="accounts.role.delete").exists()


def test_custom_role_is_deleted_with_an_audit_entry(world):
    custom = services.role_save(actor=world.admin, role=None, code="temp", name="temp")
    pk = custom.pk
    services.role_delete(actor=world.admin, role=custom)
    assert not Role.objects.filter(pk=pk).exists()
    entry = last_audit("accounts.role.delete")
    assert (entry.actor_id, entry.object_id) == (world.admin.pk, str(pk))


def test_role_delete_needs_the_permission(world):
    custom = services.role_save(actor=world.admin, role=None, code="temp", name="temp")
    with pytest.raises(PermissionDenied):
        services.role_delete(actor=world.yujiang_admin, role=custom)
    assert Role.objects.filter(pk=custom.pk).exists()


# --- enterprise agents ------------------------------------------------------------------------

def test_enterprise_authorises_an_agent(world):
    from dgov.accounts.models import Enterprise

    account = make_user("company", kind="enterprise", region_code="360602")
    company = Enterprise.objects.create(name="示例公司", credit_code="91350100M000100Y43",
                                        legal_representative="王五", account=account, region=region("360602"))
    link = services.enterprise_agent_add(actor=account, enterprise=company, agent=world.citizen)
    assert link.is_valid() and link.authorised_by == account
    assert last_audit("accounts.enterpriseagent.create").actor_id == account.pk
    with pytest.raises(ValidationError):
        services.enterprise_agent_add(actor=account, enterprise=company, agent=world.official)
    stranger = make_county_citizen("stranger", "360681")
    with pytest.raises(PermissionDenied):
        services.enterprise_agent_add(actor=stranger, enterprise=company, agent=stranger)


def test_built_in_roles_cannot_be_changed_even_by_a_security_admin(world):
    auditor_role = Role.objects.get(code="auditor")
    before = set(auditor_role.permissions.values_list("pk", flat=True))
    with pytest.raises(Conflict):
        services.role_save(actor=world.admin, role=auditor_role, code="auditor", name="审计管理员", permissions=[])
    assert set(auditor_role.permissions.values_list("pk", flat=True)) == before
