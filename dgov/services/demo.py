"""Reference themes (`dgov init`) and the demo service items (`dgov init --demo`).

- `data/themes.csv`: the themes of the national platform's guides for people (生育收养, 户籍办理, 婚姻登记,
  社会保障, …) and enterprises (设立变更, 准营准办, …);
- `data/demo-service-items.json`: real-world service items as Yingtan's city and district departments carry
  them out, modelled on the guides of 江西政务服务网 (names, legal bases, statutory limits, fees, materials
  are real; promised limits, places, forms and the distribution over the districts are demo; the base codes
  are made up — see the file's "source"). Everything is marked `is_demo`.

Implementation codes follow the national rule (`codes.py`): the implementing department's credit code is
needed, so departments of the demo without one get a made-up, check-digit-valid code (as the licence demo
does). Licence types are referred to by name (居住证, 营业执照, 食品经营许可证 of the licence demo); where the
licence demo has not created them, the reference is left out.

Idempotent: items and implementations that exist (by base code; by item and department) are kept.
"""

import csv
import json
from pathlib import Path

from django.db import transaction

from dgov.core import audit
from dgov.services.models import Implementation, PublishStatus, ServiceItem, Theme

DATA = Path(__file__).resolve().parent / "data"
THEMES_FILE = DATA / "themes.csv"
DEMO_FILE = DATA / "demo-service-items.json"


def load_themes(*, update: bool = False) -> tuple[int, int]:
    """The themes of `data/themes.csv`: new ones created; with `update`, changed ones updated."""
    created = updated = 0
    with THEMES_FILE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with transaction.atomic():
        for row in rows:
            values = {"name": row["name"], "audience": row["audience"], "order": int(row["order"]),
                      "description": row["description"]}
            theme = Theme.objects.filter(code=row["code"]).first()
            if theme is None:
                theme = Theme.objects.create(code=row["code"], **values)
                audit.record("services.theme.create", theme, changes=values)
                created += 1
            elif update and any(getattr(theme, k) != v for k, v in values.items()):
                Theme.objects.filter(pk=theme.pk).update(**values)
                audit.record("services.theme.change", theme, changes=values)
                updated += 1
    return created, updated


def demo_data() -> dict:
    return json.loads(DEMO_FILE.read_text(encoding="utf-8"))


def _credit_codes(codes: set[str]) -> int:
    """Made-up credit codes on the demo's implementing departments, only where none is set."""
    from dgov.licenses.demo import demo_credit_code
    from dgov.orgs.models import Department

    changed = 0
    for department in Department.objects.select_related("region").filter(code__in=codes, credit_code=""):
        code = demo_credit_code(department)
        if Department.objects.filter(credit_code=code).exists():
            continue
        Department.objects.filter(pk=department.pk, credit_code="").update(credit_code=code)
        audit.record("orgs.department.change", department, changes={"credit_code": ["", code], "demo": True})
        changed += 1
    if changed:
        from dgov.core.cache import REFERENCE

        REFERENCE.bump()
    return changed


def _licence_type(name: str):
    from dgov.licenses.models import LicenseType

    if not name:
        return None
    return (LicenseType.objects.filter(name=name, is_demo=True).first()
            or LicenseType.objects.filter(name=name).order_by("pk").first())


def load_demo() -> dict:
    from dgov.accounts.models import User
    from dgov.orgs.models import Department
    from dgov.services import services

    data = demo_data()
    actor = User.objects.filter(username="admin").first()
    if actor is None:
        return {"items": 0, "implementations": 0, "published": 0, "online": 0,
                "note": "(no demo administrator: nothing loaded)"}
    load_themes()
    counts = {"items": 0, "implementations": 0, "published": 0, "online": 0}
    with transaction.atomic():
        _credit_codes({spec["department"] for spec in data["implementations"]})
        for spec in data["items"]:
            if not ServiceItem.objects.filter(base_code=spec["base_code"]).exists():
                services.item_save(actor=actor, data={**spec, "status": PublishStatus.PUBLISHED, "is_demo": True})
                counts["items"] += 1
        departments = {d.code: d for d in Department.objects.filter(
            code__in={s["department"] for s in data["implementations"]})}
        for spec in data["implementations"]:
            spec = dict(spec)
            department = departments.get(spec["department"])
            if department is None or not department.credit_code:
                continue
            if Implementation.objects.filter(item__base_code=spec["item"], department=department).exists():
                continue
            status = spec.pop("status", PublishStatus.PUBLISHED)
            materials = spec.pop("materials", [])
            for material in materials:
                if material.get("license_type"):
                    found = _licence_type(material["license_type"])
                    material["license_type"] = found.code if found else ""
            if spec.get("result_license_type"):
                found = _licence_type(spec["result_license_type"])
                spec["result_license_type"] = found.code if found else ""
            impl = services.implementation_save(actor=actor, data={**spec, "is_demo": True}, materials=materials,
                                                reason="演示数据")
            counts["implementations"] += 1
            if status == PublishStatus.PUBLISHED:
                services.publish(actor=actor, implementation=impl, reason="演示数据")
                counts["published"] += 1
            counts["online"] += int(impl.online_apply)
    return {**counts, "note": "(demo data: 江西政务服务网 guides as the model; made-up base codes)"}
