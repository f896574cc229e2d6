import re

from django.utils.translation import gettext as _

from dgov.core.errors import NotFound, ValidationError
from dgov.core.permissions import resolver
from dgov.orgs.models import Department, Region


def normalize_region_code(code: str) -> str:
    """Accept a 6-digit GB/T 2260 code, a 9-digit township code or a 12-digit NBS code; return
    the 12-digit form."""
    code = (code or "").strip()
    if not re.fullmatch(r"\d{6}|\d{9}|\d{12}", code):
        raise ValidationError(details={"code": [_("A region code has 6, 9 or 12 digits.")]})
    return code.ljust(12, "0")


def region_get(code: str) -> Region:
    try:
        return Region.objects.select_related("parent").get(code=normalize_region_code(code))
    except Region.DoesNotExist:
        raise NotFound(_("No region has this code.")) from None


def regions_within(code: str | None = None, level: str | None = None, include_self: bool = True):
    """The regions in the subtree of `code` (all regions without it), optionally at one level."""
    qs = Region.objects.select_related("parent").order_by("code")
    if code:
        try:  # only the root's path and id are needed
            root = Region.objects.only("path").get(code=normalize_region_code(code))
        except Region.DoesNotExist:
            raise NotFound(_("No region has this code.")) from None
        qs = qs.filter(path__startswith=root.path)
        if not include_self:
            qs = qs.exclude(pk=root.pk)
    if level:
        qs = qs.filter(level=level)
    return qs


def region_rows_within(code: str | None = None, level: str | None = None):
    """`regions_within` as rows of what a list shows: code, name, level and parent__code. Rows,
    not model instances: building a page of regions and their parents cost more than the query."""
    return regions_within(code, level).values("code", "name", "level", "parent__code")


def region_page(code: str | None, level: str | None, limit: int, offset: int) -> dict:
    """One page of `region_rows_within`, with the total count."""
    rows = region_rows_within(code, level)
    return {"count": rows.count(), "items": list(rows[offset:offset + limit])}


def department_get(code: str) -> Department:
    try:
        return Department.objects.select_related("region", "parent").get(code=code)
    except Department.DoesNotExist:
        raise NotFound() from None


def departments_for(user, model, action: str, *, keep: Department | None = None):
    """The active departments in which `user` may `action` a `model` owned by a department (one
    whose data scope is its department, and its region where it has one): the pick list of a form,
    which then offers nothing the service would refuse. `keep`: the object's current department,
    offered even when it is no longer active or in scope."""
    has_region = any(f.name == "region" for f in model._meta.fields)

    def owned_by(department):
        return model(department=department, **({"region": department.region} if has_region else {}))

    allowed = [d.pk for d in Department.objects.select_related("region").filter(is_active=True)
               if resolver().allows(user, action, owned_by(d))]
    if keep is not None:
        allowed.append(keep.pk)
    return Department.objects.filter(pk__in=allowed).order_by("path")
