"""Reads of electronic licences within the reader's reach.

Who may read a licence (`license_for`):
- its holder: the citizen whose 身份证号 it carries, or the enterprise whose credit code it carries
  (matched on the blind index, never on the plaintext);
- an official holding `licenses.view_license` whose scope covers the issuing department;
- a department the holder granted access (`LicenseGrant`), for as long as the grant runs: an official
  holding `licenses.use_licensegrant` whose scope covers the granted department, or an application of
  that department (its service account) — a pull, recorded as a `LicenseUse` the holder sees.
Anyone else gets 404, the same answer as for a licence that does not exist (403 only for an official or
application that holds none of the permissions at all).
"""

from django.db.models import Q, QuerySet
from django.utils import timezone

from dgov.accounts.models import UserKind
from dgov.core.errors import NotFound, PermissionDenied, ValidationError
from dgov.core.permissions import has_permission, require_permission
from dgov.licenses.identifier import IdentifierError, parse
from dgov.licenses.models import (
    HolderKind,
    License,
    LicenseGrant,
    LicenseStatus,
    LicenseType,
    LicenseUse,
    TypeStatus,
)

#: the fields of a licence list: never its file
LIST_FIELDS = ("pdf",)


def licenses() -> QuerySet:
    """Licences with their type and issuer, without the file."""
    return License.objects.select_related("license_type", "issuer", "seal").defer(*LIST_FIELDS)


def normalise_identifier(identifier: str, field: str = "identifier") -> str:
    """The identifier as stored; a ValidationError naming what is wrong (the check character among it)."""
    from dgov.licenses.services import identifier_message

    try:
        return str(parse(identifier))
    except IdentifierError as exc:
        raise ValidationError(identifier_message(exc), code="invalid_identifier",
                              details={field: [identifier_message(exc)]}) from None


# --- holders ----------------------------------------------------------------------------------------
def _identity(user):
    """The citizen's or enterprise's identity record (NaturalPerson, Enterprise), else None."""
    kind = getattr(user, "kind", None)
    if kind == UserKind.CITIZEN:
        return getattr(user, "person", None)
    if kind == UserKind.ENTERPRISE:
        return getattr(user, "enterprise", None)
    return None


def holder_q(user) -> Q | None:
    """Q on the licences `user` holds, None when the user holds none: an official, an application, and
    a citizen or enterprise whose identity is not verified (实名核验) — the 身份证号 or credit code typed
    at registration is only a claim until an identity officer has checked the documents."""
    identity = _identity(user)
    if identity is None or not identity.verified:
        return None
    if getattr(user, "kind", None) == UserKind.CITIZEN:
        return Q(holder_kind=HolderKind.PERSON, holder_code_index=identity.id_number_index)
    from dgov.licenses.services import holder_index

    return Q(holder_kind=HolderKind.ENTERPRISE, holder_code_index=holder_index(identity.credit_code))


def awaits_verification(user) -> bool:
    """A citizen or enterprise that would hold licences once its identity is verified."""
    identity = _identity(user)
    return identity is not None and not identity.verified


def is_holder(user, license_obj: License) -> bool:
    q = holder_q(user)
    return q is not None and License.objects.filter(q, pk=license_obj.pk).exists()


def wallet(user, *, current_only: bool = False) -> QuerySet:
    """The licences `user` holds, newest first (none for officials and applications)."""
    q = holder_q(user)
    if q is None:
        return License.objects.none()
    qs = licenses().filter(q)
    if current_only:
        qs = qs.exclude(status=LicenseStatus.CHANGED)
    return qs.order_by("-issued_on", "-pk")


def _of_held(user, qs: QuerySet) -> QuerySet:
    """The rows of `qs` (grants, uses) about licences `user` holds."""
    q = holder_q(user)
    if q is None:
        return qs.none()
    return qs.filter(license__in=License.objects.filter(q).values("pk")).select_related("license__license_type",
                                                                                         "department")


def holder_grants(user) -> QuerySet:
    return _of_held(user, LicenseGrant.objects.order_by("-created_at", "-pk"))


def holder_uses(user) -> QuerySet:
    return _of_held(user, LicenseUse.objects.order_by("-at", "-pk"))


# --- officials' reads -------------------------------------------------------------------------------
def visible_licenses(user) -> QuerySet:
    """The licences of the issuing departments in the user's scope: 403 without the permission."""
    require_permission(user, License, "view")
    return licenses().restrict(user, "view")


def catalogue() -> QuerySet:
    """The types in use, which every signed-in user may read (the catalogue is public information)."""
    return (LicenseType.objects.filter(status=TypeStatus.ACTIVE).select_related("defining_department")
            .prefetch_related("issuing_departments").order_by("code"))


def issuer_departments(user, action: str = "add") -> list:
    """The departments where `user` may `action` licences (the licence's scope is its issuer's)."""
    from dgov.core.permissions import resolver
    from dgov.orgs.models import Department

    if not has_permission(user, License, action):
        return []
    return [d for d in Department.objects.select_related("region").filter(is_active=True).order_by("path")
            if resolver().allows(user, action, License(issuer=d))]


def issuable_types(user) -> QuerySet:
    """The types in use that `user` may issue at one of their issuing departments."""
    return catalogue().filter(issuing_departments__in=[d.pk for d in issuer_departments(user)]).distinct()


def issuers_for(user, license_type: LicenseType) -> list:
    """The type's issuing departments where `user` may issue."""
    allowed = {d.pk for d in issuer_departments(user)}
    return [d for d in license_type.issuing_departments.order_by("path") if d.pk in allowed]


# --- pulls through grants ---------------------------------------------------------------------------
def _application_departments(user) -> list[int] | None:
    """For an application's service account: its own department (a grant to a department lets that
    department's systems pull, not those of the units below or above it)."""
    if getattr(user, "kind", None) != UserKind.APPLICATION:
        return None
    from dgov.accounts.models import Application

    return list(Application.objects.filter(account=user).values_list("department_id", flat=True))


def usable_grants(user) -> QuerySet | None:
    """The grants `user` may pull through (whatever their state), None when the user may pull none."""
    departments = _application_departments(user)
    if departments is not None:
        return LicenseGrant.objects.filter(department__in=departments)
    if not has_permission(user, LicenseGrant, "use"):
        return None
    return LicenseGrant.objects.restrict(user, "use")


def active_grant(user, license_obj: License, case_reference: str = "") -> LicenseGrant | None:
    """The grant through which `user` may pull `license_obj` now: running, not withdrawn, and for the
    named case if the holder limited it to one."""
    grants = usable_grants(user)
    if grants is None:
        return None
    now = timezone.now()
    grants = grants.filter(license=license_obj, revoked_at__isnull=True, valid_from__lte=now, expires_at__gt=now)
    grants = grants.filter(Q(case_reference="") | Q(case_reference=case_reference)) if case_reference \
        else grants.filter(case_reference="")
    return grants.select_related("department").order_by("-expires_at").first()


def license_for(user, identifier: str, *, case_reference: str = "", with_file: bool = False
                ) -> tuple[License, LicenseGrant | None]:
    """The licence `identifier` as `user` may read it, and the grant when the read is a pull (None for
    the holder and for officials in scope). 422 for a malformed identifier; 404 when it is missing or
    out of reach; 403 only for officials and applications without any of the permissions."""
    identifier = normalise_identifier(identifier)
    qs = License.objects.select_related("license_type", "issuer", "seal")
    lic = (qs if with_file else qs.defer(*LIST_FIELDS)).filter(identifier=identifier).first()
    if lic is not None and is_holder(user, lic):
        return lic, None
    may_view = has_permission(user, License, "view")
    if lic is not None and may_view and License.objects.restrict(user, "view").filter(pk=lic.pk).exists():
        return lic, None
    grants = usable_grants(user)
    if lic is not None and grants is not None:
        grant = active_grant(user, lic, case_reference)
        if grant is not None:
            return lic, grant
    if not may_view and grants is None and _identity(user) is None:
        raise PermissionDenied()  # a citizen or enterprise, verified or not, gets 404 like for any other licence
    raise NotFound()


def department_grants(user) -> QuerySet:
    """Grants given to the departments in the user's scope (officials: view), newest first."""
    require_permission(user, LicenseGrant, "view")
    return (LicenseGrant.objects.restrict(user, "view")
            .select_related("license__license_type", "department").order_by("-created_at", "-pk"))
