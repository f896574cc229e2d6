"""Reads for the alignment of the city's catalog with the provincial catalog (省级目录对接): who may
map which entries, suggestions by name similarity, the unmapped entries and the provincial entries
no city entry maps to. (The writes are `dgov.catalog.services.map_to_provincial` and
`dgov.catalog.provincial.import_provincial`.)

Who maps: a department's catalog editor its own department's entries (their `change` scope), the
big-data centre's reviewers every entry in their `review` scope, in any state of the entry's life
cycle. The provincial catalog itself is reference data every holder of its view permission reads
whole.

Suggestions compare names by their character bigrams, as the catalog's search cuts them (so 婚姻登记
matches 婚姻登记信息), after dropping the area a name belongs to (余江区…, 全省…) and the bigrams
every resource name holds (信息, 数据…): the Dice coefficient of the two sets, plus a bonus when the
classification codes agree. An inverted index over the provincial names, built per call, finds the
candidates sharing at least one bigram.
"""

import functools
from collections import Counter
from dataclasses import dataclass

from django.db.models import Case, Count, F, Q, QuerySet, Value, When

from dgov.catalog import search
from dgov.catalog.models import CatalogEntry, ProvincialEntry, Status
from dgov.core.errors import NotFound, PermissionDenied
from dgov.core.permissions import require_permission, resolver, scope_q
from dgov.orgs.models import Department, Region, RegionLevel

#: how alike a provincial entry's name must be to be suggested (Dice coefficient of bigrams, plus
#: SAME_CLASSIFICATION when the classification codes agree)
SUGGEST_MIN = 0.35
SAME_CLASSIFICATION = 0.15
#: bigrams almost every resource name holds: they say nothing about which resource it is
_COMMON_BIGRAMS = {"信息", "数据", "资源", "目录", "名单", "情况", "记录"}
#: words before a name that say whose copy it is (全省…, 全市…) rather than what it holds
_AREA_WORDS = ("全省", "全市", "省级", "市级", "县级", "本级")


def _mapping_q(user) -> Q | None:
    """The entries `user` may map: their scopes for change (a department's editor) and review
    (the big-data centre). None without either permission."""
    parts = [q for q in (scope_q(user, CatalogEntry, action) for action in ("change", "review")) if q is not None]
    if not parts:
        return None
    combined = Q(pk__in=[])
    for part in parts:
        if not part:
            return Q()
        combined |= Q(pk__in=CatalogEntry.objects.filter(part).values("pk"))
    return combined


def mappable_entries(user) -> QuerySet:
    """The entries `user` may map to the provincial catalog (403 without the permission)."""
    q = _mapping_q(user)
    if q is None:
        raise PermissionDenied()
    return CatalogEntry.objects.filter(q)


def entry_for_mapping(user, code: str) -> CatalogEntry:
    """The entry with this code, for mapping: 403 without the permission, 404 outside the scope."""
    entry = mappable_entries(user).select_related("department", "classification", "region").filter(code=code).first()
    if entry is None:
        raise NotFound()
    return entry


def can_map(user, entry: CatalogEntry) -> bool:
    q = _mapping_q(user)
    return q is not None and CatalogEntry.objects.filter(q, pk=entry.pk).exists()


def provincial_entries(user, *, q: str = "", withdrawn: bool | None = False) -> QuerySet:
    """The provincial catalog (reference data: anyone who may read it sees all of it), searched by
    code, name or provider; `withdrawn` None includes the withdrawn entries."""
    require_permission(user, ProvincialEntry, "view")
    entries = ProvincialEntry.objects.all()
    if withdrawn is not None:
        entries = entries.filter(withdrawn=withdrawn)
    for word in (q or "").split():
        entries = entries.filter(Q(code__icontains=word) | Q(name__icontains=word) | Q(provider__icontains=word))
    return entries


@functools.cache
def _area_names() -> tuple[str, ...]:
    """Province, city and county names (江西省, 鹰潭市, 余江区…), longest first."""
    names = Region.objects.filter(level__in=[RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY])
    return tuple(sorted({*names.values_list("name", flat=True), *_AREA_WORDS}, key=len, reverse=True))


def name_bigrams(name: str) -> set[str]:
    """What a resource's name is compared by: its bigrams (as the search cuts them), without the
    area it belongs to (余江区…, 全省…) and the bigrams every name holds (信息, 数据…)."""
    for area in _area_names():
        name = name.replace(area, " ")
    return {t for t in search.terms(name) if len(t) > 1} - _COMMON_BIGRAMS


def _same_classification(city: str, provincial: str) -> bool:
    return bool(city and provincial) and (city.startswith(provincial) or provincial.startswith(city))


@dataclass(frozen=True)
class Suggestion:
    provincial: ProvincialEntry
    score: float  # 0…1

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def suggestions(entries, *, limit: int = 3) -> dict[int, list[Suggestion]]:
    """For each entry, the current provincial entries whose names are most alike (bigram overlap,
    the Dice coefficient, with a bonus for the same classification), best first: entry id → list."""
    entries = list(entries)
    if not entries:
        return {}
    candidates = list(ProvincialEntry.objects.filter(withdrawn=False))
    grams = [name_bigrams(p.name) for p in candidates]
    index: dict[str, list[int]] = {}
    for position, bigrams in enumerate(grams):
        for gram in bigrams:
            index.setdefault(gram, []).append(position)
    out = {}
    for entry in entries:
        mine = name_bigrams(entry.name)
        shared = Counter(position for gram in mine for position in index.get(gram, ()))
        scored = []
        for position, common in shared.items():
            score = 2 * common / (len(mine) + len(grams[position]))
            if _same_classification(entry.classification.code, candidates[position].classification_code):
                score = min(1.0, score + SAME_CLASSIFICATION)
            if score >= SUGGEST_MIN:
                scored.append(Suggestion(candidates[position], round(score, 3)))
        scored.sort(key=lambda s: (-s.score, s.provincial.code))
        out[entry.pk] = scored[:limit]
    return out


#: an entry without a mapping, or mapped to a provincial entry withdrawn since (to be mapped anew)
_UNMAPPED = Q(provincial_mapping__isnull=True) | Q(provincial_mapping__provincial__withdrawn=True)


def _published_first(queryset) -> QuerySet:
    return queryset.annotate(unpublished=Case(When(status=Status.PUBLISHED, then=Value(0)), default=Value(1))
                             ).order_by("unpublished", "department__code", "code")


def unmapped_entries(user, *, department: str = "") -> QuerySet:
    """The entries `user` may map that have no current provincial entry — none at all, or one the
    province has since withdrawn — (withdrawn entries left out), published first. `department`
    (a code) narrows it: 404 for a department outside the scope."""
    entries = mappable_entries(user).exclude(status=Status.WITHDRAWN).filter(_UNMAPPED)
    if department:
        if not mappable_entries(user).filter(department__code=department).exists() and not \
                _department_in_scope(user, department):
            raise NotFound()
        entries = entries.filter(department__code=department)
    entries = entries.annotate(withdrawn_mapping=F("provincial_mapping__provincial__code"))  # only withdrawn here
    return _published_first(entries.select_related("department", "classification", "region"))


def _department_in_scope(user, code: str) -> bool:
    """Whether a department (even one without entries) lies in the user's mapping scope."""
    department = Department.objects.filter(code=code).first()
    if department is None:
        return False
    probe = CatalogEntry(department=department, region=department.region)
    return any(resolver().allows(user, action, probe) for action in ("change", "review"))


def alignment_summary(user) -> list[dict]:
    """Per department in the user's mapping scope: entries (withdrawn left out), mapped (to a
    current provincial entry), unmapped; most unmapped first."""
    rows = (mappable_entries(user).exclude(status=Status.WITHDRAWN).order_by()
            .values("department__code", "department__name")
            .annotate(total=Count("pk"), mapped=Count("provincial_mapping",
                                                       filter=Q(provincial_mapping__provincial__withdrawn=False))))
    out = [{"code": r["department__code"], "name": r["department__name"], "total": r["total"],
            "mapped": r["mapped"], "unmapped": r["total"] - r["mapped"]} for r in rows]
    return sorted(out, key=lambda r: (-r["unmapped"], r["code"]))


def unreferenced_provincial(user) -> QuerySet:
    """Current provincial entries no city entry is mapped to."""
    return provincial_entries(user).filter(mappings__isnull=True)
