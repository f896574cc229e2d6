"""Demo licences (`dgov init --demo`), marked `is_demo` (their files carry a 示例 / DEMO watermark):

- made-up, check-digit-valid unified social credit codes ("11" + the region's 6 digits + the department's
  9-digit code + the check character) on the four departments the demo uses, only where a department has
  none: demo values, to be replaced by the real codes;
- four types: 营业执照 and 食品经营许可证 (defined by 鹰潭市市场监督管理局, issued by 余江区行政审批局) for
  enterprises, 居住证 (defined by 鹰潭市公安局, issued by 鹰潭市公安局月湖分局) and 不动产权证书 (defined and
  issued by 鹰潭市自然资源局, the registration authority) for persons;
- an e-seal (电子证照专用章) for each of the three issuing departments;
- the demo enterprise's 营业执照 and 食品经营许可证 and the demo citizen's 居住证 and 不动产权证书 (the
  demo's 不动产抵押权首次登记 accepts it instead of the paper certificate).

Idempotent: what exists (by name and the demo mark) is kept. Without a CJK TrueType font the seals and
licences cannot be drawn: they are left out and the reason is said (`apt-get install fonts-wqy-microhei`).
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from dgov.core import audit
from dgov.core.validators import credit_code_check_char
from dgov.licenses.models import License, LicenseType, Seal, SealCategory
from dgov.orgs.models import Department

MARKET, POLICE, YUJIANG_APPROVAL, YUEHU_POLICE = "360600025", "360600006", "360603907", "360602904"
NATURAL_RESOURCES = "360600011"
DEPARTMENTS = [MARKET, POLICE, YUJIANG_APPROVAL, YUEHU_POLICE, NATURAL_RESOURCES]
ISSUERS = [YUJIANG_APPROVAL, YUEHU_POLICE, NATURAL_RESOURCES]
TYPES = [
    {"name": "营业执照", "defining": MARKET, "issuing": [YUJIANG_APPROVAL], "holder_kind": "enterprise",
     "physical_licence": "营业执照（正本、副本）", "validity_months": None,
     "fields": [
         {"key": "entity_type", "label": "类型", "kind": "choice", "required": True,
          "choices": ["有限责任公司", "股份有限公司", "个人独资企业", "合伙企业"]},
         {"key": "representative", "label": "法定代表人", "kind": "text", "required": True},
         {"key": "capital", "label": "注册资本", "kind": "text", "required": True},
         {"key": "established", "label": "成立日期", "kind": "date", "required": True},
         {"key": "address", "label": "住所", "kind": "text", "required": True},
         {"key": "scope", "label": "经营范围", "kind": "text", "required": True}],
     "face": {"title": "营业执照", "subtitle": "（电子营业执照）", "layout": "a4",
              "field_order": ["entity_type", "representative", "capital", "established", "address", "scope"]}},
    {"name": "食品经营许可证", "defining": MARKET, "issuing": [YUJIANG_APPROVAL], "holder_kind": "enterprise",
     "physical_licence": "食品经营许可证（正本、副本）", "validity_months": 60,
     "fields": [
         {"key": "representative", "label": "法定代表人（负责人）", "kind": "text", "required": True},
         {"key": "address", "label": "住所", "kind": "text", "required": True},
         {"key": "premises", "label": "经营场所", "kind": "text", "required": True},
         {"key": "business_form", "label": "主体业态", "kind": "choice", "required": True,
          "choices": ["食品销售经营者", "餐饮服务经营者", "单位食堂"]},
         {"key": "items", "label": "经营项目", "kind": "text", "required": True}],
     "face": {"title": "食品经营许可证", "subtitle": "", "layout": "a4", "field_order": []}},
    {"name": "居住证", "defining": POLICE, "issuing": [YUEHU_POLICE], "holder_kind": "person",
     "physical_licence": "居住证（IC 卡）", "validity_months": 12,
     "fields": [
         {"key": "sex", "label": "性别", "kind": "choice", "required": True, "choices": ["男", "女"]},
         {"key": "born", "label": "出生日期", "kind": "date", "required": True},
         {"key": "address", "label": "居住地址", "kind": "text", "required": True},
         {"key": "since", "label": "居住起始日期", "kind": "date", "required": False}],
     "face": {"title": "居住证", "subtitle": "江西省鹰潭市", "layout": "a5-landscape", "field_order": []}},
    {"name": "不动产权证书", "defining": NATURAL_RESOURCES, "issuing": [NATURAL_RESOURCES], "holder_kind": "person",
     "physical_licence": "不动产权证书", "validity_months": None,
     "fields": [
         {"key": "certificate_number", "label": "证书号", "kind": "text", "required": True},
         {"key": "co_ownership", "label": "共有情况", "kind": "choice", "required": True,
          "choices": ["单独所有", "共同共有", "按份共有"]},
         {"key": "location", "label": "坐落", "kind": "text", "required": True},
         {"key": "unit_number", "label": "不动产单元号", "kind": "text", "required": True},
         {"key": "right_type", "label": "权利类型", "kind": "text", "required": True},
         {"key": "usage", "label": "用途", "kind": "text", "required": True},
         {"key": "area", "label": "面积", "kind": "text", "required": True}],
     "face": {"title": "不动产权证书", "subtitle": "（电子证照）", "layout": "a4", "field_order": []}},
]
ENTERPRISE_VALUES = {
    "营业执照": {"entity_type": "有限责任公司", "representative": "周建国（演示）", "capital": "伍仟万元整",
                 "established": "2015-06-18", "address": "江西省鹰潭市余江区工业园区铜产业大道8号",
                 "scope": "铜材加工、销售；金属材料销售；货物进出口（依法须经批准的项目，经相关部门批准后方可开展经营"
                           "活动）"},
    "食品经营许可证": {"representative": "周建国（演示）", "address": "江西省鹰潭市余江区工业园区铜产业大道8号",
                       "premises": "江西省鹰潭市余江区工业园区铜产业大道8号职工食堂", "business_form": "单位食堂",
                       "items": "热食类食品制售"},
}


def demo_credit_code(department: Department) -> str:
    first17 = "11" + department.region.code[:6] + department.code
    return first17 + credit_code_check_char(first17)


def _credit_codes() -> int:
    """Made-up credit codes on the demo's departments, only where none is set."""
    changed = 0
    for department in Department.objects.select_related("region").filter(
            code__in=DEPARTMENTS, credit_code=""):
        code = demo_credit_code(department)
        if Department.objects.filter(credit_code=code).exists():
            continue
        Department.objects.filter(pk=department.pk, credit_code="").update(credit_code=code)
        audit.record("orgs.department.change", department, changes={"credit_code": ["", code], "demo": True})
        changed += 1
    return changed


def _types(actor) -> dict[str, LicenseType]:
    from dgov.licenses import services

    found = {}
    departments = {d.code: d for d in Department.objects.filter(code__in=DEPARTMENTS)}
    for spec in TYPES:
        existing = LicenseType.objects.filter(name=spec["name"], is_demo=True).first()
        if existing is None:
            existing = services.type_save(actor=actor, license_type=LicenseType(
                name=spec["name"], defining_department=departments[spec["defining"]], holder_kind=spec["holder_kind"],
                physical_licence=spec["physical_licence"], validity_months=spec["validity_months"],
                fields=spec["fields"], face=spec["face"], is_demo=True),
                issuing_departments=[departments[c] for c in spec["issuing"]])
        found[spec["name"]] = existing
    return found


def _seals(actor) -> int:
    from dgov.licenses import services

    made = 0
    now = timezone.now()
    for department in Department.objects.filter(code__in=ISSUERS).select_related("region"):
        if Seal.objects.filter(department=department, is_demo=True).exists():
            continue
        services.seal_create(actor=actor, seal=Seal(
            name=f"{department.name}电子证照专用章", category=SealCategory.OTHER, department=department,
            valid_from=now - dt.timedelta(days=1), valid_until=now + dt.timedelta(days=5 * 365), is_demo=True))
        made += 1
    return made


def _issue(actor, license_type, issuer_code, holder_kind, holder_code, holder_name, values, issued_on) -> int:
    from dgov.licenses import services

    if License.objects.filter(license_type=license_type, is_demo=True,
                              holder_code_index=services.holder_index(holder_code)).exists():
        return 0
    services.issue(actor=actor, license_type=license_type, issuer=Department.objects.get(code=issuer_code),
                   holder_kind=holder_kind, holder_code=holder_code, holder_name=holder_name, fields=values,
                   issued_on=issued_on, is_demo=True)
    return 1


def load_demo() -> dict:
    from dgov.accounts.models import Enterprise, User
    from dgov.licenses.render import FontMissing, find_font

    actor = User.objects.filter(username="admin").first()
    if actor is None:
        return {"licenses": 0, "seals": 0, "note": "no demo administrator (admin)"}
    with transaction.atomic():
        codes = _credit_codes()
        types = _types(actor)
    try:
        find_font()
    except FontMissing as exc:
        return {"licenses": 0, "seals": 0, "note": f"{codes} demo credit codes; no seals or licences: {exc}"}
    today = timezone.localdate()
    with transaction.atomic():
        seals = _seals(actor)
        issued = 0
        enterprise = Enterprise.objects.filter(account__username="enterprise").first()
        if enterprise is not None:
            for name, values in ENTERPRISE_VALUES.items():
                issued += _issue(actor, types[name], YUJIANG_APPROVAL, "enterprise", enterprise.credit_code,
                                 enterprise.name, values, today - dt.timedelta(days=30))
        citizen = User.objects.select_related("person").filter(username="citizen").first()
        person = getattr(citizen, "person", None) if citizen else None
        if person is not None:
            number = person.id_number
            born = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
            issued += _issue(actor, types["居住证"], YUEHU_POLICE, "person", number, citizen.real_name,
                             {"sex": "女", "born": born, "address": "江西省鹰潭市月湖区胜利西路16号",
                              "since": "2023-09-01"},
                             today - dt.timedelta(days=10))
            issued += _issue(actor, types["不动产权证书"], NATURAL_RESOURCES, "person", number, citizen.real_name,
                             {"certificate_number": "赣（2024）鹰潭市不动产权第0012345号（演示）",
                              "co_ownership": "单独所有", "location": "鹰潭市月湖区胜利西路16号3栋2单元501室",
                              "unit_number": "360602001001GB00012F00030025",
                              "right_type": "国有建设用地使用权/房屋所有权", "usage": "城镇住宅用地/住宅",
                              "area": "共有宗地面积 8620.5㎡/房屋建筑面积 118.36㎡"},
                             today - dt.timedelta(days=400))
    return {"licenses": issued, "seals": seals, "note": f"{codes} demo credit codes set"}
