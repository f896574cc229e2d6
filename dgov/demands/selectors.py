"""Reads of the data supply–demand list: the demands a user may see (filed by or addressed to a
department in their scope; the big-data centre sees all), the list's filters, and the catalog
entries suggested for a demand."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.catalog import search
from dgov.catalog import selectors as catalog_selectors
from dgov.catalog.models import CatalogEntry, DataItem, SearchTerm
from dgov.catalog.models import Status as EntryStatus
from dgov.core.errors import ValidationError
from dgov.core.permissions import get_scoped, require_permission, scope_q
from dgov.demands.models import PROVIDER, REQUESTER, DataDemand, State, overdue_q, retarget
from dgov.demands.services import matched_items, sharing_refusal
from dgov.orgs.models import Department

ROLES = ("requester", "provider")


def visible_demands(user) -> QuerySet:
    """The demands `user` may read: 403 without the permission."""
    require_permission(user, DataDemand, "view")
    return DataDemand.objects.restrict(user, "view").select_related("department", "provider", "entry")


def demand_for(user, number: str, action: str = "view") -> DataDemand:
    """The demand with this number within the user's scope for `action` (403 / 404)."""
    return get_scoped(user, action, DataDemand.objects.select_related("department", "provider", "entry",
                                                                      "filed_by"), number=number)


def _side_q(user, role: str) -> Q:
    """The demands of the user's side: filed by (requester) or addressed to (provider) a department
    in their scope, or, for a user whose scope is the whole city, their own department."""
    q = scope_q(user, DataDemand, "view")
    if not q:  # None (no permission: nothing) or Q() (scope all: one's own department)
        department = getattr(user, "department", None)
        if q is None or department is None:
            return Q(pk__in=[])
        q = Q(department__path__startswith=department.path)
    return q if role == "requester" else retarget(q, REQUESTER, PROVIDER)


def filter_demands(queryset, user, *, state: str = "", overdue: bool | None = None, role: str = "",
                   department: str = "", q: str = "", today: dt.date | None = None) -> QuerySet:
    """`queryset` narrowed: by state, overdue or not, the user's side (requester / provider), a
    department taking part (code: requesting or providing), and text (number, title, fields)."""
    errors = {}
    if state and state not in State.values:
        errors["state"] = [_("Choose one of the allowed values.")]
    if role and role not in ROLES:
        errors["role"] = [_("Choose one of the allowed values.")]
    if errors:
        raise ValidationError(details=errors)
    if state:
        queryset = queryset.filter(state=state)
    if overdue is not None:
        queryset = queryset.filter(overdue_q(today)) if overdue else queryset.exclude(overdue_q(today))
    if role:
        queryset = queryset.filter(_side_q(user, role))
    if department:
        dept = Department.objects.filter(code=department.strip()).first()
        queryset = queryset.filter(Q(department=dept) | Q(provider=dept)) if dept else queryset.none()
    if q and q.strip():
        text = q.strip()
        queryset = queryset.filter(Q(number__icontains=text) | Q(title__icontains=text)
                                   | Q(fields__icontains=text) | Q(purpose__icontains=text))
    return queryset


# --- suggestions ----------------------------------------------------------------------------------
#: words that say nothing about which data is meant
STOP_TERMS = {"信息", "数据", "资源", "相关", "情况", "查询", "核验", "共享", "需求", "申请", "提供", "使用"}
CANDIDATES = 40


@dataclass
class Suggestion:
    entry: CatalogEntry
    fields: dict[str, list[str]]  # wanted field → the entry's items answering it
    title_terms: int  # how many of the title's terms the entry holds
    refusal: list[str] = field(default_factory=list)  # why it cannot be shared (不予共享, negative list)

    @property
    def found(self) -> int:
        return sum(1 for names in self.fields.values() if names)

    @property
    def missing(self) -> list[str]:
        return [f for f, names in self.fields.items() if not names]


def _title_terms(title: str) -> set[str]:
    return {t for t in search.terms(title) if len(t) > 1 and t not in STOP_TERMS}


def suggestions(user, demand: DataDemand, limit: int = 5) -> list[Suggestion]:
    """The published catalog entries (of other departments) that best answer the demand: found by
    the catalog's own search index, from the demand's title (the whole title as the catalog's search
    takes it, and each of its two-character terms) and the wanted field names; ranked by how many of
    the wanted fields the entry's data items hold, then by how many of the title's terms it holds."""
    published = catalog_selectors.visible_entries(user).filter(status=EntryStatus.PUBLISHED).exclude(
        department_id=demand.department_id)
    terms = _title_terms(demand.title)
    overlap: dict[int, int] = {}
    if terms:
        overlap = dict(SearchTerm.objects.filter(term__in=sorted(terms), entry__in=published.values("pk"))
                       .values("entry").annotate(n=Count("*")).order_by("-n", "entry").values_list("entry", "n")
                       [:CANDIDATES])
    exact = set(search.filter_query(published, demand.title).values_list("pk", flat=True)[:CANDIDATES])
    by_fields = (DataItem.objects.filter(entry__in=published.values("pk"), name__in=demand.fields)
                 .values("entry").annotate(n=Count("*")).order_by("-n", "entry").values_list("entry", flat=True)
                 [:CANDIDATES])
    ids = set(overlap) | exact | set(by_fields)
    if not ids:
        return []
    if exact - set(overlap) and terms:  # entries found by the whole title count its terms too
        overlap.update(SearchTerm.objects.filter(term__in=sorted(terms), entry__in=list(exact - set(overlap)))
                       .values("entry").annotate(n=Count("*")).values_list("entry", "n"))
    entries = CatalogEntry.objects.filter(pk__in=ids).select_related("department").prefetch_related("items")
    found = []
    for entry in entries:
        suggestion = Suggestion(entry, matched_items(demand, entry), overlap.get(entry.pk, 0))
        if suggestion.found or suggestion.title_terms >= 2 or entry.pk in exact:
            found.append(suggestion)
    found.sort(key=lambda s: (-s.found, -s.title_terms, s.entry.code))
    best = found[:limit]
    for suggestion in best:
        suggestion.refusal = sharing_refusal(demand, suggestion.entry)
    return best


def counts(user, today: dt.date | None = None) -> dict:
    """For the list's header: how many demands the user sees per state, and how many are overdue."""
    qs = DataDemand.objects.restrict(user, "view")
    by_state = dict(qs.order_by().values_list("state").annotate(n=Count("*")).values_list("state", "n"))
    return {"states": by_state, "overdue": qs.filter(overdue_q(today or timezone.localdate())).count()}
