"""Loading the reference trees (idempotent) and editing departments."""

import csv
from pathlib import Path

from django.db import transaction

from dgov.core import audit
from dgov.core.permissions import require_in_scope
from dgov.core.services import save_object, upsert_tree
from dgov.orgs.models import Department, ManagementArea, Region, normalise_credit_code

DATA_DIR = Path(__file__).parent / "data"
REGIONS_FILE = DATA_DIR / "regions-nbs2023.csv"
DEPARTMENTS_FILE = DATA_DIR / "departments-yingtan.csv"

# The functional areas the city plan names. Which townships they administer is not in the NBS
# list: 龙虎山's towns are inferred from their 19x/59x codes (towns under a special administrative
# body); the other two start empty, for the city to fill in.
MANAGEMENT_AREAS = [
    ("LHS", "龙虎山风景名胜区", "360600000000", ["360681190000", "360681191000", "360681592000"],
     "由19x/59x代码推定，请核实"),
    ("YTHT", "鹰潭高新技术产业开发区", "360600000000", [], "所辖乡镇待市里确认后维护"),
    ("XJXQ", "信江新区", "360600000000", [], "所辖乡镇待市里确认后维护"),
]


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load_regions(path: Path = REGIONS_FILE, *, update: bool = False) -> int:
    rows = _read(path)
    with transaction.atomic():
        changed = upsert_tree(Region, rows, lambda r: {"name": r["name"], "level": r["level"]}, update=update)
        if changed:
            audit.record("orgs.region.load", audit.Target("orgs.region", "", path.name),
                         changes={"changed": changed})
    return changed


def load_management_areas() -> int:
    changed = 0
    with transaction.atomic():
        for code, name, region_code, townships, note in MANAGEMENT_AREAS:
            area, created = ManagementArea.objects.get_or_create(
                code=code, defaults={"name": name, "region": Region.objects.get(code=region_code), "note": note})
            if created:
                area.townships.set(Region.objects.filter(code__in=townships))
                changed += 1
        if changed:
            audit.record("orgs.managementarea.load", audit.Target("orgs.managementarea", "", "plan"),
                         changes={"created": changed})
    return changed


def load_departments(path: Path = DEPARTMENTS_FILE, *, update: bool = False) -> int:
    rows = _read(path)
    regions = dict(Region.objects.values_list("code", "pk"))
    with transaction.atomic():
        changed = upsert_tree(Department, rows, lambda r: {
            "name": r["name"], "short_name": r["short_name"], "doc_prefix": r["doc_prefix"],
            "kind": r["kind"], "region_id": regions[r["region_code"]], "note": r["note"]}, update=update)
        if changed:
            audit.record("orgs.department.load", audit.Target("orgs.department", "", path.name),
                         changes={"changed": changed})
    return changed


def department_save(*, actor, department: Department) -> Department:
    """A department's region follows its parent's unless set; scope is checked on both. A unit
    placed under a (new) parent extends that parent's tree, so the parent must be in scope too."""
    with transaction.atomic():
        if department.parent_id and not department.region_id:
            department.region = department.parent.region
        department.credit_code = normalise_credit_code(department.credit_code)
        adding = department._state.adding
        if department.parent_id:
            stored_parent = None if adding else (
                Department.objects.filter(pk=department.pk).values_list("parent_id", flat=True).first())
            if adding or department.parent_id != stored_parent:
                require_in_scope(actor, "add" if adding else "change", department.parent)
        return save_object(actor=actor, instance=department,
                           fields=["code", "name", "short_name", "doc_prefix", "kind", "region", "parent",
                                   "note", "is_active", "credit_code"])
