"""Data scope through `restrict(user, action)`: all, region subtree, department subtree, own records."""

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.db.models.query import EmptyQuerySet

from dgov.accounts.models import Role, User
from dgov.accounts.permissions import RoleScopeResolver, forget_grants, load_grants
from dgov.accounts.testing import api_client, grant, make_citizen, make_user
from dgov.accounts.tests.support import make_county_citizen
from dgov.calendars.models import CalendarDay
from dgov.core import audit
from dgov.core.errors import NotFound, PermissionDenied
from dgov.core.models import AuditEntry
from dgov.core.permissions import get_scoped, has_permission, require_in_scope, require_permission
from dgov.orgs.models import Region

GUIXI_PATH = "360000000000/360600000000/360681000000/"


def visible(user) -> set[str]:
    return set(User.objects.restrict(user, "view").values_list("username", flat=True))


def test_yujiang_admin_lists_no_guixi_user(world):
    make_county_citizen("gx_citizen", "360681")
    make_user("gx_official", department_code="360681903")
    names = visible(world.yujiang_admin)
    guixi = set(User.objects.filter(region__path__startswith=GUIXI_PATH).values_list("username", flat=True))
    assert {"t_guixi_admin", "gx_citizen", "gx_official"} <= guixi
    assert not names & guixi
    assert "t_yujiang_admin" in names
    assert "t_admin" not in names  # a city-level official is outside a county's scope


def test_yujiang_admin_gets_404_for_guixi_admin_and_admin_gets_200(world):
    assert api_client(world.yujiang_admin).get(f"/api/v1/users/{world.guixi_admin.pk}").status_code == 404
    assert api_client(world.admin).get(f"/api/v1/users/{world.guixi_admin.pk}").status_code == 200
    with pytest.raises(NotFound):
        get_scoped(world.yujiang_admin, "view", User, pk=world.guixi_admin.pk)


def test_region_scope_includes_everything_below(world):
    for level in ("township", "village"):
        place = Region.objects.filter(level=level, code__startswith="360603").order_by("code").first()
        make_citizen(f"{level}_person", region_code=place.code)
    names = visible(world.yujiang_admin)
    assert {"township_person", "village_person"} <= names
    assert not {"township_person", "village_person"} & visible(world.guixi_admin)


def test_city_admin_sees_everyone(world):
    assert visible(world.admin) == set(User.objects.values_list("username", flat=True))


def test_restrict_without_permission_is_none(world):
    for user in (world.citizen, world.official, world.auditor):
        qs = User.objects.restrict(user, "view")
        assert isinstance(qs, EmptyQuerySet)
        assert not has_permission(user, User, "view")
        with pytest.raises(PermissionDenied):
            require_permission(user, User, "view")
        with pytest.raises(PermissionDenied):
            get_scoped(user, "view", User, pk=user.pk)


def test_restrict_for_anonymous_and_inactive_users_is_none(world):
    assert isinstance(User.objects.restrict(AnonymousUser(), "view"), EmptyQuerySet)
    User.objects.filter(pk=world.admin.pk).update(is_active=False)
    world.admin.refresh_from_db()
    forget_grants(world.admin)
    assert isinstance(User.objects.restrict(world.admin, "view"), EmptyQuerySet)


def test_action_matters(world):
    # county_admin may view and change users but not delete them.
    assert visible(world.yujiang_admin)
    assert isinstance(User.objects.restrict(world.yujiang_admin, "delete"), EmptyQuerySet)


def test_department_scoped_grant(world):
    clerk = make_user("yj_finance_head", department_code="360603903")
    colleague = make_user("yj_finance_clerk", department_code="360603903")
    other = make_user("yj_office_clerk", department_code="360603901")
    resident = make_county_citizen("yj_resident", "360603")  # region inside 余江 but no department
    grant(clerk, "county_admin", "department", "360603903")
    names = visible(clerk)
    assert {"yj_finance_head", "yj_finance_clerk"} == names
    assert other.username not in names and resident.username not in names
    assert colleague.username in names
    with pytest.raises(NotFound):
        get_scoped(clerk, "view", User, pk=other.pk)


def test_department_grant_covers_subunits(world):
    head = make_user("yj_gov_head", department_code="360603000")
    grant(head, "county_admin", "department", "360603000")
    make_user("yj_finance_clerk", department_code="360603903")
    make_user("gx_finance_clerk", department_code="360681903")
    names = visible(head)
    assert "yj_finance_clerk" in names and "gx_finance_clerk" not in names


def test_own_scope(world):
    role = Role.objects.create(code="self_service", name="self service")
    role.permissions.set([Permission.objects.get(content_type__app_label="accounts", codename="view_user"),
                          Permission.objects.get(content_type__app_label="accounts", codename="change_user")])
    grant(world.official, "self_service", "own")
    assert visible(world.official) == {"t_official"}
    require_in_scope(world.official, "change", world.official)
    with pytest.raises(PermissionDenied) as exc:
        require_in_scope(world.official, "change", world.citizen)
    assert exc.value.code == "out_of_scope"
    assert api_client(world.official).get(f"/api/v1/users/{world.citizen.pk}").status_code == 404
    assert api_client(world.official).get(f"/api/v1/users/{world.official.pk}").status_code == 200


def test_several_grants_add_up(world):
    grant(world.yujiang_admin, "county_admin", "region", "360681")
    assert "t_guixi_admin" in visible(world.yujiang_admin)
    assert "t_yujiang_admin" in visible(world.yujiang_admin)


def test_superuser_holds_everything(world):
    boss = make_user("superuser_x", is_superuser=True)
    assert visible(boss) == set(User.objects.values_list("username", flat=True))
    assert RoleScopeResolver().allows(boss, "delete", world.citizen) is True


def test_grants_are_cached_until_forgotten(world):
    user = make_user("cached")
    assert load_grants(user) == {}
    grant(user, "county_admin", "region", "360603")  # grant() forgets the cache
    assert "accounts.view_user" in load_grants(user)


def test_allows_answers_none_false_true(world):
    resolver = RoleScopeResolver()
    assert resolver.allows(world.citizen, "view", world.guixi_admin) is None
    assert resolver.allows(world.yujiang_admin, "view", world.guixi_admin) is False
    assert resolver.allows(world.yujiang_admin, "view", world.yujiang_admin) is True
    with pytest.raises(PermissionDenied) as exc:
        require_in_scope(world.citizen, "view", world.guixi_admin)
    assert exc.value.code == "permission_denied"


def test_shared_models_are_not_data_scoped(world):
    """Calendar days are shared reference data: a region-scoped grant covers them all."""
    assert CalendarDay.objects.exists()
    assert CalendarDay.objects.restrict(world.yujiang_admin, "view").count() == CalendarDay.objects.count()
    assert isinstance(CalendarDay.objects.restrict(world.citizen, "view"), EmptyQuerySet)
    day = CalendarDay.objects.first()
    assert RoleScopeResolver().allows(world.yujiang_admin, "view", day) is True
    assert RoleScopeResolver().allows(world.yujiang_admin, "delete", day) is None


def test_scoped_grant_on_model_without_scope_declaration_sees_nothing(db):
    """The audit log declares no scope dimension and is not shared reference data: a grant of its
    view permission limited to a region must not silently widen to every entry."""
    audit.record("test.event", audit.Target("test", "1", "x"))
    role = Role.objects.create(code="county_auditor", name="区县审计员")
    role.permissions.add(Permission.objects.get(codename="view_auditentry"))
    user = make_user("t_county_auditor", department_code="360603000", roles=[("county_auditor", "region", "360603")])
    assert has_permission(user, AuditEntry, "view")
    assert AuditEntry.objects.restrict(user, "view").count() == 0


def test_shared_reference_data_is_covered_by_any_scope(db):
    user = make_user("t_county_viewer", department_code="360603000", roles=[("county_admin", "region", "360603")])
    assert Role.objects.restrict(user, "view").count() == Role.objects.count()
    assert CalendarDay.objects.restrict(user, "view").count() == CalendarDay.objects.count() > 100
