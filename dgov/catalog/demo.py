"""Demo catalog (`dgov init --demo`): about 300 entries across the city's and the three counties'
departments, with data items in the importer's 信息项 format, a few negative-list items, and a
history of versions matching each entry's status. All entries are marked `is_demo`.

Everything is generated deterministically: statuses, record counts and dates come from a random
generator seeded with each entry's key (its department and name), and dates are counted back from
the day of loading. Running it again creates only what is missing (entries are found by
department and name), so `dgov init --demo` twice creates no duplicates.

Like the demo accounts, the rows are written directly, as the command line's system context (no
user): one audit entry `catalog.demo.load` records the load. The rules of the services still hold:
every entry is validated like the importer's rows and checked against the negative list, gets a
version per life-cycle step, and is indexed for search.
"""

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from dgov.catalog import alignment, provincial, search, services
from dgov.catalog.importer import _words, parse_items
from dgov.catalog.models import (
    UPDATE_CYCLE_DAYS,
    CatalogEntry,
    Classification,
    DataItem,
    EntryVersion,
    MappingMethod,
    NegativeListItem,
    OpenType,
    ProvincialEntry,
    ProvincialMapping,
    SharingMethod,
    SharingType,
    Status,
)
from dgov.core import audit
from dgov.orgs.models import Department

CITY = "360600"
#: county-level areas: code prefix, name, size relative to the city (for record counts)
COUNTIES = [("360602", "月湖区", 0.3), ("360603", "余江区", 0.3), ("360681", "贵溪市", 0.5)]
DEMO_NOTE = "（演示数据）"

DEMO_FILE = Path(__file__).parent / "data" / "demo-catalog.csv"
STATUS_WORDS = {"已发布": Status.PUBLISHED, "": ""}

# --- legal bases of the negative list (named in the file's 负面清单 column) ----------------------
LEGAL_BASES = {
    "PIPL_FINANCE": "《中华人民共和国个人信息保护法》第二十八条：金融账户信息属于敏感个人信息，"
                    "非因特定目的和充分必要不得处理。",
    "PIPL_HEALTH": "《中华人民共和国个人信息保护法》第二十八条：医疗健康信息属于敏感个人信息，"
                   "非因特定目的和充分必要不得处理。",
    "PIPL_MINOR": "《中华人民共和国个人信息保护法》第二十八条、第三十一条：不满十四周岁未成年人的个人信息"
                  "属于敏感个人信息。",
    "PIPL_ID": "《中华人民共和国个人信息保护法》关于敏感个人信息的处理规则；身份证件号码仅限登记机关依法核验使用。",
    "BIOMETRIC": "《中华人民共和国个人信息保护法》第二十八条（生物识别信息）；《中华人民共和国居民身份证法》"
                 "（公安机关对知悉的公民个人信息予以保密）。",
    "ADOPTION": "《中华人民共和国民法典》第一千一百一十条：收养人、送养人要求保守收养秘密的，"
                "其他人应当尊重其意愿，不得泄露。",
    "AIDS": "《艾滋病防治条例》第三十九条：未经本人或者其监护人同意，不得公开艾滋病病毒感染者、病人及其家属"
            "可能推断出其具体身份的信息。",
    "CORRECTION": "《中华人民共和国社区矫正法》：社区矫正对象的身份信息和个人隐私依法予以保护。",
    "PETITION": "《信访工作条例》：不得将信访人的检举、揭发材料及有关情况透露或者转送给被检举、揭发的人员或者单位。",
}


@dataclass(frozen=True)
class Resource:
    """One row of the demo file. `dept` is the last three digits of the department code: of
    360600xxx for the city's rows (范围 市), of <county>xxx for the county rows (范围 区县), which
    every county gets once."""

    scope: str
    dept: str
    classification: str
    name: str
    summary: str
    format: str
    sharing_type: str
    sharing_method: str
    open_type: str
    update_cycle: str
    source_system: str
    records: int | None
    status: str
    related: tuple  # (dept, name) of entries of the same area
    negative: tuple  # (item name, or "" for the whole resource; legal basis)
    items: str


def read_resources(path: Path = DEMO_FILE) -> list[Resource]:
    words = {kind: _words(kind) for kind in ("format", "sharing_type", "sharing_method", "open_type",
                                             "update_cycle")}
    out = []
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            def pairs(text, sep):
                return tuple(tuple(p.strip() for p in part.split(sep, 1)) for part in text.split(";") if part.strip())

            out.append(Resource(
                scope=row["范围"], dept=row["部门"], classification=row["分类代码"], name=row["资源名称"],
                summary=row["摘要"], format=words["format"][row["资源格式"].lower()],
                sharing_type=words["sharing_type"][row["共享类型"]],
                sharing_method=words["sharing_method"][row["共享方式"].lower()] if row["共享方式"] else "",
                open_type=words["open_type"][row["开放类型"]], update_cycle=words["update_cycle"][row["更新周期"]],
                source_system=row["来源系统"], records=int(row["记录数"]) if row["记录数"] else None,
                status=STATUS_WORDS[row["状态"]], related=pairs(row["关联资源"], ":"),
                negative=tuple((item, LEGAL_BASES[basis]) for item, basis in pairs(row["负面清单"], "=")),
                items=row["信息项"]))
    return out


WITHDRAW_REASONS = ["源系统升级改造，数据暂停更新，待恢复后重新发布。", "该资源已并入新的目录条目，原条目撤回。"]
REJECT_REASONS = ["摘要过于简略，请补充数据范围、统计口径和更新方式。",
                  "信息项缺少个人信息分类，请逐项补充后重新提交。", "共享条件表述不清，请明确共享对象和使用范围。"]


@dataclass
class _Planned:
    resource: Resource
    department: Department
    area: str  # 鹰潭市 or the county's name
    factor: float  # the area's size relative to the city (record counts)

    @property
    def key(self) -> tuple[str, str]:
        return self.department.code, self.resource.name

    def department_code(self, dept: str) -> str:
        """The code of the area's department with the last three digits `dept`."""
        return self.department.code[:6] + dept


def _plan(departments: dict[str, Department], resources: list[Resource]) -> list[_Planned]:
    plans = [_Planned(r, departments[CITY + r.dept], "鹰潭市", 1.0) for r in resources if r.scope == "市"]
    for prefix, area, factor in COUNTIES:
        plans += [_Planned(r, departments[prefix + r.dept], area, factor) for r in resources if r.scope == "区县"]
    return plans


def _status(rng: random.Random, forced: str) -> str:
    if forced:
        return forced
    draw = rng.random()
    return (Status.PUBLISHED if draw < 0.72 else Status.REVIEWED if draw < 0.79 else
            Status.SUBMITTED if draw < 0.88 else Status.DRAFT if draw < 0.97 else Status.WITHDRAWN)


def _dates(rng: random.Random, cycle: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """(publication date, data last updated): about one in six entries is older than its cycle."""
    published = today - dt.timedelta(days=rng.randint(20, 900))
    days = UPDATE_CYCLE_DAYS.get(cycle)
    if days is None:  # irregular
        updated = today - dt.timedelta(days=rng.randint(0, 500))
    elif rng.random() < 0.17:
        updated = today - dt.timedelta(days=days + rng.randint(3, 240))
    else:
        updated = today - dt.timedelta(days=rng.randint(0, max(days - 1, 0)))
    return published, updated


_ORDER = [Status.DRAFT, Status.SUBMITTED, Status.REVIEWED, Status.PUBLISHED, Status.WITHDRAWN]
_STEPS = [("submit", Status.SUBMITTED), ("approve", Status.REVIEWED), ("publish", Status.PUBLISHED),
          ("withdraw", Status.WITHDRAWN)]


def _history(status: str, rng: random.Random) -> list[tuple[str, str, str]]:
    """(action, status after it, reason) for each version up to `status`; some drafts were rejected once."""
    steps = [("create", Status.DRAFT, "")]
    if status == Status.DRAFT and rng.random() < 0.4:
        steps += [("submit", Status.SUBMITTED, ""), ("reject", Status.DRAFT, rng.choice(REJECT_REASONS))]
    for action, target in _STEPS[:_ORDER.index(status)]:
        steps.append((action, target, rng.choice(WITHDRAW_REASONS) if action == "withdraw" else ""))
    return steps


def _build(plan: _Planned, today: dt.date) -> tuple[CatalogEntry, list[dict], list[tuple[str, str, str]]]:
    r = plan.resource
    rng = random.Random(f"dgov-catalog-demo|{plan.department.code}|{r.name}")
    items, problems = parse_items(r.items)
    negative = {name for name, _basis in r.negative}
    for item in items:
        if item["name"] in negative:
            item["sharing_type"], item["open_type"] = SharingType.NONE, OpenType.NONE
    problems += [m for ms in services.validate_items(items).values() for m in ms]
    if problems:
        raise ValueError(f"demo resource {r.name}: {problems}")
    short = plan.department.short_name or plan.department.name
    status = _status(rng, r.status)
    published, updated = _dates(rng, r.update_cycle, today)
    records = None if r.records is None else max(1, round(r.records * plan.factor * rng.uniform(0.8, 1.2)))
    shared = r.sharing_type != SharingType.NONE
    entry = CatalogEntry(
        name=r.name, summary=r.summary.format(area=plan.area), department=plan.department,
        region=plan.department.region, format=r.format, sharing_type=r.sharing_type,
        sharing_conditions=f"限政务部门依法履职使用，经{short}审核同意后共享，不得转作他用。"
        if r.sharing_type == SharingType.CONDITIONAL else "",
        sharing_method=(r.sharing_method or (SharingMethod.API if r.format in ("database", "self_describing")
                                             else SharingMethod.FILE)) if shared else "",
        open_type=r.open_type,
        open_conditions="实名注册并签订数据开放利用协议后申请使用。" if r.open_type == OpenType.CONDITIONAL else "",
        update_cycle=r.update_cycle, source_system=r.source_system, record_count=records, status=status,
        published_on=published if status in (Status.PUBLISHED, Status.WITHDRAWN) else None,
        data_updated_on=updated, is_demo=True)
    history = _history(status, rng)
    entry.status_reason = history[-1][2]
    entry.version = len(history)
    return entry, items, history


def load_demo() -> dict:
    """Create the demo catalog entries that are missing. Returns counts."""
    today = timezone.localdate()
    departments = {d.code: d for d in Department.objects.select_related("region")}
    classifications = {c.code: c for c in Classification.objects.all()}
    plans = _plan(departments, read_resources())
    created, listed = [], 0
    with transaction.atomic():
        existing = {(d, n): c for d, n, c in CatalogEntry.objects.filter(is_demo=True).values_list(
            "department__code", "name", "code")}
        next_sequence = {}
        for plan in plans:
            if plan.key in existing:
                continue
            entry, items, history = _build(plan, today)
            classification = classifications[plan.resource.classification]
            prefix = services.classification_prefix(classification) + "/"
            if prefix not in next_sequence:
                last = CatalogEntry.objects.filter(code__startswith=prefix).aggregate(m=Max("code"))["m"]
                next_sequence[prefix] = int(last.split("/")[1]) + 1 if last else 1
            entry.classification, entry.code = classification, f"{prefix}{next_sequence[prefix]:06d}"
            next_sequence[prefix] += 1
            entry.clean_fields(exclude=["classification", "department", "region"])
            entry.save()
            DataItem.objects.bulk_create(DataItem(entry=entry, position=n, **item) for n, item in enumerate(items, 1))
            existing[plan.key] = entry.code
            created.append((plan, entry, items, history))

        # related codes (entries of the same area), the negative list, versions, search index
        for plan, entry, items, history in created:
            related = []
            for dept, name in plan.resource.related:
                if (plan.department_code(dept), name) in existing:
                    related.append(existing[(plan.department_code(dept), name)])
            if related:
                entry.related_codes = related
                entry.save(update_fields=["related_codes"])
            for item_name, basis in plan.resource.negative:
                _item, new = NegativeListItem.objects.get_or_create(
                    resource_code=entry.code, item_name=item_name,
                    defaults={"legal_basis": basis, "scope_note": "共享、开放" + DEMO_NOTE})
                listed += new
            services.check_negative_list(entry.code, entry.sharing_type, entry.open_type,
                                         [services.ItemAttributes(i["name"], i["sharing_type"], i["open_type"])
                                          for i in items])
            final = services.snapshot(entry)
            EntryVersion.objects.bulk_create(
                EntryVersion(entry=entry, version=n, action=action, reason=reason,
                             snapshot={**final, "version": n, "status": status, "status_reason": reason,
                                       "published_on": final["published_on"] if status in (
                                           Status.PUBLISHED, Status.WITHDRAWN) else None})
                for n, (action, status, reason) in enumerate(history, 1))
            search.index_entry(entry)
        if created:
            audit.record("catalog.demo.load", audit.Target("catalog.catalogentry", "", "demo"),
                         changes={"entries": len(created), "negative_list_items": listed})
    return {"created": len(created), "negative_list": listed, "total": len(plans)}


# --- the provincial catalog and the alignment ---------------------------------------------------
PROVINCIAL_DEMO_FILE = Path(__file__).parent / "data" / "demo-provincial-catalog.json"
#: the share of demo entries left unmapped on purpose (the alignment report has something to show)
UNMAPPED_SHARE = 0.12
#: how alike a suggestion must be for the demo to accept it
DEMO_ACCEPT = 0.75


def load_provincial_demo(path: Path = PROVINCIAL_DEMO_FILE) -> dict:
    """The demo provincial catalog (made up: see data/README.md), in the provincial import's JSON
    format and validated by it, and the demo city entries mapped to it by accepting their best
    suggestion, but for about one in eight left for the alignment worklist. Idempotent: entries
    are found by code, mapped entries are left alone and the entries left out stay left out."""
    rows, errors = provincial.parse(path.name, path.read_bytes())
    if errors:
        raise ValueError(f"demo provincial catalog: {errors[:3]}")
    created = mapped = 0
    with transaction.atomic():
        existing = set(ProvincialEntry.objects.values_list("code", flat=True))
        new = [ProvincialEntry(**fields, is_demo=True) for fields in rows if fields["code"] not in existing]
        ProvincialEntry.objects.bulk_create(new)
        created = len(new)
        candidates = [entry for entry in CatalogEntry.objects.filter(is_demo=True, provincial_mapping__isnull=True)
                      .select_related("classification", "department").order_by("code")
                      if random.Random(f"dgov-provincial-demo|{entry.department.code}|{entry.name}").random()
                      >= UNMAPPED_SHARE]
        best = alignment.suggestions(candidates, limit=1)
        for entry in candidates:
            found = best.get(entry.pk)
            if not found or found[0].score < DEMO_ACCEPT:
                continue
            target = found[0].provincial
            ProvincialMapping.objects.create(entry=entry, provincial=target, method=MappingMethod.SUGGESTION)
            entry.version += 1
            entry.save(update_fields=["version"])
            EntryVersion.objects.create(entry=entry, version=entry.version, action="map",
                                        snapshot=services.snapshot(entry),
                                        reason=f"对接省级目录 {target.code} {target.name}{DEMO_NOTE}")
            mapped += 1
        if created or mapped:
            audit.record("catalog.demo.provincial", audit.Target("catalog.provincialentry", "", "demo"),
                         changes={"provincial_entries": created, "mapped": mapped})
    return {"created": created, "mapped": mapped, "total": len(rows)}
