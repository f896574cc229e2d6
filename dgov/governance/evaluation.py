"""Data-application evaluation (数据应用评价, issue 6 point 7): how much, how well and how freshly each
data resource is used, per resource and per department, combined into one score and ranked.

The resources are the published catalog entries that have a dataset in the data store (and so a data
service at the gateway). For a period [start, end] (dates, Asia/Shanghai), each resource gets:

- **usage** U ∈ [0, 1] = ½·ln(1 + calls) / ln(1 + max calls) + ½·ln(1 + consumers) / ln(1 + max consumers),
  where calls are the gateway's successful calls (HTTP status below 400) of the entry's service in the
  period (the exchange log), consumers the distinct applications that made them, and the maxima those
  of all ranked resources in the period (a part is 0 when its maximum is 0). The logarithm keeps one
  heavily called service from flattening the rest;
- **rating** R = (mean rating − 1) / 4, from the consuming departments' ratings (1–5) of the entry;
  missing without ratings;
- **quality** Q = the score (0–100) of the latest finished quality run of the entry's data-store table,
  divided by 100; missing without a run;
- **timeliness** T = 1 when the dataset was last loaded at most one update cycle
  (`catalog.models.UPDATE_CYCLE_DAYS`) before the end of the period, falling linearly to 0 at two
  cycles (T = max(0, 2 − age / cycle)); 0 when never loaded; missing for an irregular update cycle.

**score** = 100 · (0.3·U + 0.2·R + 0.3·Q + 0.2·T) / (sum of the weights of the parts not missing),
rounded to one decimal. A department's score is the mean of its resources' scores; its usage figures
are their sums. Ranking: by score, highest first; ties by resource code (department code).
"""

import datetime as dt
import math
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.aggregation.models import Dataset
from dgov.catalog.models import UPDATE_CYCLE_DAYS, CatalogEntry
from dgov.catalog.models import Status as EntryStatus
from dgov.exchange.models import ExchangeLogEntry
from dgov.governance.lineage import latest_scores
from dgov.governance.models import ResourceFeedback
from dgov.metadata.models import DATASTORE, MetaTable
from dgov.sharing.models import Grant

WEIGHTS = {"usage": 0.3, "rating": 0.2, "quality": 0.3, "timeliness": 0.2}
DEFAULT_DAYS = 30
MAX_DAYS = 366
TZ = ZoneInfo("Asia/Shanghai")


def formula() -> dict:
    """The formula in words with its weights, as the page states it and a publication freezes it."""
    return {
        "weights": dict(WEIGHTS),
        "text": _("score = 100 × (0.3 × usage + 0.2 × rating + 0.3 × quality + 0.2 × timeliness) ÷ "
                  "(sum of the weights of the parts that are not missing)"),
        "usage": _("usage = ½ × ln(1 + calls) ÷ ln(1 + most calls) + ½ × ln(1 + consumer applications) ÷ "
                   "ln(1 + most consumer applications); successful gateway calls in the period"),
        "rating": _("rating = (mean rating of the consuming departments − 1) ÷ 4; missing without ratings"),
        "quality": _("quality = score of the latest finished quality run of the data-store table ÷ 100; "
                     "missing without a run"),
        "timeliness": _("timeliness = 1 if last loaded within one update cycle before the end of the period, "
                        "falling linearly to 0 at two cycles; 0 if never loaded; missing for an irregular cycle"),
        "department": _("a department's score is the mean of its resources' scores"),
    }


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    end = today or timezone.localdate()
    return end - dt.timedelta(days=DEFAULT_DAYS - 1), end


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return (dt.datetime.combine(start, dt.time.min, TZ), dt.datetime.combine(end + dt.timedelta(days=1),
                                                                             dt.time.min, TZ))


def _log_share(value: int, peak: int) -> float:
    return math.log1p(value) / math.log1p(peak) if peak else 0.0


def timeliness(update_cycle: str, last_loaded_at: dt.datetime | None, end: dt.date) -> float | None:
    cycle = UPDATE_CYCLE_DAYS.get(update_cycle)
    if cycle is None:
        return None
    if last_loaded_at is None:
        return 0.0
    as_of = _bounds(end, end)[1]
    age = (as_of - last_loaded_at).total_seconds() / 86400
    return max(0.0, min(1.0, 2 - age / cycle))


def combine(parts: dict) -> float:
    present = {k: v for k, v in parts.items() if v is not None}
    total = sum(WEIGHTS[k] for k in present)
    return round(100 * sum(WEIGHTS[k] * v for k, v in present.items()) / total, 1) if total else 0.0


def resources(entries=None):
    """The entries ranked: published, with a dataset."""
    qs = entries if entries is not None else CatalogEntry.objects.all()
    return qs.filter(status=EntryStatus.PUBLISHED, dataset__isnull=False).select_related("department", "dataset")


def evaluate(start: dt.date, end: dt.date, entries=None) -> dict:
    """{"period", "formula", "resources": [...], "departments": [...]} for the entries given (default all);
    the maxima for usage are those of these entries."""
    ranked = list(resources(entries))
    codes = [e.code for e in ranked]
    lo, hi = _bounds(start, end)
    usage = {row["service_code"]: row for row in
             ExchangeLogEntry.objects.filter(service_code__in=codes, occurred_at__gte=lo, occurred_at__lt=hi,
                                             status__lt=400)
             .values("service_code").annotate(calls=Count("id"), consumers=Count("application", distinct=True))}
    grants = dict(Grant.objects.filter(entry__in=ranked).usable(hi if hi < timezone.now() else None)
                  .values("entry").annotate(n=Count("id")).values_list("entry", "n"))
    ratings = {row["entry"]: row for row in ResourceFeedback.objects.filter(entry__in=ranked)
               .values("entry").annotate(mean=Avg("score"), n=Count("id"))}
    tables = {}
    for table in MetaTable.objects.filter(location=DATASTORE, dropped_at__isnull=True).order_by("pk").values(
            "pk", "name", "dataset"):
        tables.setdefault(("ds", table["dataset"]), table["pk"])
        tables.setdefault(("name", table["name"]), table["pk"])
    scores = latest_scores(set(tables.values()))
    peak_calls = max((u["calls"] for u in usage.values()), default=0)
    peak_consumers = max((u["consumers"] for u in usage.values()), default=0)
    rows = []
    for entry in ranked:
        dataset: Dataset = entry.dataset
        used = usage.get(entry.code, {"calls": 0, "consumers": 0})
        rated = ratings.get(entry.pk)
        table_id = tables.get(("ds", dataset.pk)) or tables.get(("name", dataset.table_name))
        quality = scores.get(table_id) if table_id else None
        parts = {
            "usage": 0.5 * _log_share(used["calls"], peak_calls) + 0.5 * _log_share(used["consumers"], peak_consumers),
            "rating": (float(rated["mean"]) - 1) / 4 if rated else None,
            "quality": quality / 100 if quality is not None else None,
            "timeliness": timeliness(entry.update_cycle, dataset.last_loaded_at, end),
        }
        rows.append({
            "code": entry.code, "name": entry.name, "department": entry.department.name,
            "department_code": entry.department.code, "calls": used["calls"], "consumers": used["consumers"],
            "active_grants": grants.get(entry.pk, 0), "ratings": rated["n"] if rated else 0,
            "mean_rating": round(float(rated["mean"]), 2) if rated else None, "quality_score": quality,
            "last_loaded_at": dataset.last_loaded_at.isoformat() if dataset.last_loaded_at else None,
            "update_cycle": entry.update_cycle,
            **{k: (round(v, 4) if v is not None else None) for k, v in parts.items()},
            "score": combine(parts)})
    rows.sort(key=lambda r: (-r["score"], r["code"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return {"period": {"start": start.isoformat(), "end": end.isoformat()}, "formula": formula(),
            "resources": rows, "departments": departments(rows)}


def departments(rows: list[dict]) -> list[dict]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row["department_code"]].append(row)
    out = [{"code": code, "name": items[0]["department"], "resources": len(items),
            "calls": sum(r["calls"] for r in items), "consumers": sum(r["consumers"] for r in items),
            "active_grants": sum(r["active_grants"] for r in items),
            "score": round(sum(r["score"] for r in items) / len(items), 1)} for code, items in groups.items()]
    out.sort(key=lambda d: (-d["score"], d["code"]))
    for rank, row in enumerate(out, start=1):
        row["rank"] = rank
    return out

