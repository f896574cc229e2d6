"""Reads for identity. User-facing reads start from `restrict(user, action)`."""

from dgov.accounts.models import EnterpriseAgent, NaturalPerson, RoleAssignment, TotpDevice, User
from dgov.core import audit
from dgov.core.permissions import get_scoped, has_permission, require_permission
from dgov.core.validators import mask_id_number

USER_RELATED = ("region", "department")


def users_visible(actor):
    require_permission(actor, User, "view")
    return User.objects.restrict(actor, "view").select_related(*USER_RELATED).order_by("username")


def user_get(actor, user_id: int) -> User:
    return get_scoped(actor, "view", User.objects.select_related(*USER_RELATED), pk=user_id)


def enterprise_agents(enterprise):
    """An enterprise's agents, current ones first (shown to the enterprise itself)."""
    return (EnterpriseAgent.objects.filter(enterprise=enterprise).select_related("agent")
            .order_by("revoked_at", "-created_at"))


def requires_second_factor(user, assignments=None) -> bool:
    """Administrative accounts cannot skip the second factor; anyone who enrolled one uses it.
    `assignments`: the user's role assignments with their roles, when already loaded."""
    if user.is_superuser:
        return True
    if TotpDevice.objects.filter(user=user, confirmed=True).exists():
        return True
    if assignments is not None:
        return any(a.role.requires_2fa for a in assignments)
    return RoleAssignment.objects.filter(user=user, role__requires_2fa=True).exists()


def role_grants(user):
    return (RoleAssignment.objects.filter(user=user)
            .select_related("role", "region", "department").order_by("role__code"))


def me(user) -> dict:
    """The caller's own account: profile, roles with scope, and masked identity."""
    person = NaturalPerson.objects.filter(user=user).order_by().first()
    enterprise = getattr(user, "enterprise", None) if user.kind == "enterprise" else None
    assignments = list(role_grants(user))
    return {
        "user": user,
        "roles": [{"role": a.role.code, "role_name": a.role.name, "scope_kind": a.scope_kind,
                   "region": a.region, "department": a.department} for a in assignments],
        "second_factor": requires_second_factor(user, assignments),
        "identity_verified": person.verified if person else (enterprise.verified if enterprise else None),
        "id_number_masked": mask_id_number(person.id_number) if person else None,
        "enterprise": enterprise,
        "agent_for": [{"enterprise": a.enterprise, "valid_until": a.valid_until}
                      for a in EnterpriseAgent.objects.filter(agent=user).select_related("enterprise")
                      if a.is_valid()],
    }


def personal_data(actor, user_id: int) -> dict:
    """Unmasked personal data of one user: needs `view_personal_data` on natural persons in scope
    (or being that person), and is audited as a read."""
    user = user_get(actor, user_id) if actor.pk != user_id else actor
    person = NaturalPerson.objects.filter(user=user).first()
    if actor.pk != user.pk:
        require_permission(actor, NaturalPerson, "view_personal_data")
        if person is not None:
            get_scoped(actor, "view_personal_data", NaturalPerson, pk=person.pk)
    fields = ["phone"] + (["id_number"] if person else [])
    audit.record_read(user, fields, actor=actor)
    return {"user_id": user.pk, "real_name": user.real_name,
            "id_number": person.id_number if person else None, "phone": user.phone}


def can_view_personal_data(actor) -> bool:
    return has_permission(actor, NaturalPerson, "view_personal_data")
