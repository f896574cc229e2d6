"""Reads of service items: the public guides (published implementations of published items, searched,
filtered and counted for the guide page) and the officials' scope (every status)."""

from django.db.models import Count, Prefetch, Q

from dgov.core.errors import NotFound
from dgov.orgs.models import Department, Region
from dgov.services import search as text_search
from dgov.services.models import (
    Implementation,
    ImplementationVersion,
    ItemType,
    Material,
    PublishStatus,
    ServiceItem,
    ServiceObject,
    Theme,
)

RELATED = ("item", "department", "region")


def published_implementations():
    """The implementations the public sees: published, of a published item."""
    return (Implementation.objects.filter(status=PublishStatus.PUBLISHED, item__status=PublishStatus.PUBLISHED)
            .select_related(*RELATED))


def _department(value):
    if value is None or value == "":
        return None
    if isinstance(value, Department):
        return value
    return Department.objects.filter(code=str(value)).first() or False  # False: unknown, matches nothing


def _region(value):
    if value is None or value == "":
        return None
    if isinstance(value, Region):
        return value
    code = str(value).strip()
    if code.isdigit() and len(code) < 12:
        code = code.ljust(12, "0")
    return Region.objects.filter(code=code).first() or False


def _theme(value):
    if value is None or value == "":
        return None
    if isinstance(value, Theme):
        return value
    return Theme.objects.filter(code=str(value)).first() or False


def apply_filters(queryset, *, department=None, region=None, item_type=None, service_object=None, theme=None,
                  online=None):
    """`queryset` narrowed by the guide filters. `department`: a Department or its code (its sub-units
    too); `region`: a Region or its code, 6 or 12 digits (the regions within it too); `item_type`: an
    ItemType value; `service_object`: "person" or "enterprise" (items for both count for either); `theme`:
    a Theme or its code; `online`: True for items applied for online. An unknown code matches nothing."""
    department, region, theme = _department(department), _region(region), _theme(theme)
    if False in (department, region, theme):
        return queryset.none()
    if department is not None:
        queryset = queryset.filter(department__path__startswith=department.path)
    if region is not None:
        queryset = queryset.filter(region__path__startswith=region.path)
    if item_type:
        queryset = queryset.filter(item__item_type=item_type)
    if service_object:
        if service_object in (ServiceObject.PERSON, ServiceObject.ENTERPRISE):
            queryset = queryset.filter(service_object__in=[service_object, ServiceObject.BOTH])
        else:
            queryset = queryset.filter(service_object=service_object)
    if theme is not None:
        queryset = queryset.filter(themes=theme)
    if online is not None:
        queryset = queryset.filter(online_apply=bool(online))
    return queryset


def search(q: str = "", *, department=None, region=None, item_type=None, service_object=None, theme=None,
           online=None):
    """The published implementations matching the query `q` (every word in the guide's text; two-character
    Chinese words such as 结婚, 社保, 养老 work) and the filters (`apply_filters`), best match first."""
    queryset = apply_filters(published_implementations(), department=department, region=region,
                             item_type=item_type, service_object=service_object, theme=theme, online=online)
    return text_search.rank(text_search.filter_query(queryset, q), q)


def implementation_by_code(code: str) -> Implementation:
    """The published implementation with this code, with its materials and themes, or NotFound."""
    found = (published_implementations().filter(code=str(code or "")[:40])
             .select_related("result_license_type", "supervising_department")
             .prefetch_related(Prefetch("materials", Material.objects.select_related("license_type")), "themes")
             .first())
    if found is None:
        raise NotFound()
    return found


def facets(qs) -> dict[str, list[dict]]:
    """Counts of `qs` (implementations) per department, region, item type and theme, for the guide search
    page: {"department": [{"value": code, "label": name, "count": n}, …], "region": […], "item_type": […],
    "theme": […]}, each list by count (most first), then label."""
    ids = qs.order_by().values("pk")
    base = Implementation.objects.filter(pk__in=ids).order_by()

    def rows(values, label_of):
        out = [{"value": v, "label": label_of(v, extra), "count": n} for v, extra, n in values]
        return sorted(out, key=lambda r: (-r["count"], str(r["label"])))

    departments = base.values_list("department__code", "department__name").annotate(n=Count("pk"))
    regions = base.values_list("region__code", "region__name").annotate(n=Count("pk"))
    types = base.values_list("item__item_type").annotate(n=Count("pk"))
    themes = (Theme.objects.filter(implementations__in=ids).values_list("code", "name")
              .annotate(n=Count("implementations")).order_by())
    type_labels = dict(ItemType.choices)
    return {
        "department": rows(departments, lambda v, name: name),
        "region": rows(regions, lambda v, name: name),
        "item_type": rows(((v, None, n) for v, n in types), lambda v, _none: str(type_labels.get(v, v))),
        "theme": rows(themes, lambda v, name: name),
    }


def visible_implementations(user, action: str = "view"):
    """The implementations in the official's scope for `action`, in every status."""
    return Implementation.objects.restrict(user, action).select_related(*RELATED)


def filter_implementations(queryset, *, q: str = "", status: str = "", department=None, region=None,
                           item_type=None, online=None):
    """The officials' list filters (a query over the same text as the guides, by code too)."""
    queryset = apply_filters(queryset, department=department, region=region, item_type=item_type, online=online)
    if status:
        queryset = queryset.filter(status=status)
    if q and q.strip():
        return text_search.rank(text_search.filter_query(queryset, q), q)
    return queryset.order_by("code")


def implementation_in_scope(user, code: str, action: str = "view") -> Implementation:
    """The implementation with this code in the user's scope for `action` (403 without the permission at all,
    404 when missing or outside the scope)."""
    from dgov.core.permissions import get_scoped

    return get_scoped(user, action, Implementation.objects.select_related(
        *RELATED, "result_license_type", "supervising_department").prefetch_related(
        Prefetch("materials", Material.objects.select_related("license_type")), "themes"), code=str(code)[:40])


def versions(implementation) -> list[ImplementationVersion]:
    return list(ImplementationVersion.objects.filter(implementation=implementation).select_related("actor")
                .order_by("-version"))


def themes(audience: str | None = None, *, with_counts: bool = True):
    """The themes (of one audience), each with the number of published implementations it groups."""
    queryset = Theme.objects.all()
    if audience:
        queryset = queryset.filter(audience=audience)
    if with_counts:
        published = published_implementations().order_by().values("pk")
        queryset = queryset.annotate(published_count=Count("implementations",
                                                           filter=Q(implementations__in=published)))
    return queryset.order_by("audience", "order", "code")


def items(*, q: str = "", item_type: str = ""):
    """The base catalog (shared reference data)."""
    queryset = ServiceItem.objects.all()
    if q and q.strip():
        for word in text_search.words(q):
            queryset = queryset.filter(Q(name__icontains=word) | Q(base_code__icontains=word))
    if item_type:
        queryset = queryset.filter(item_type=item_type)
    return queryset.order_by("base_code")
