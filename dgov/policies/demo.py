"""Demo enterprise policies (`dgov init --demo`), all marked `is_demo` and "（演示）":

- the benefit item the 免申即享 policy pays through: the demo catalog (dgov/services/data/demo-service-items.json)
  has no 给付/奖励 item for enterprises, so a base item 高新技术企业认定奖励兑现 (行政奖励, made-up base code
  360809001000) and its implementation at 鹰潭市科学技术局 are created here, published, marked demo;
- three policies modelled on the usual Yingtan/Jiangxi support measures (titles, 文号 and amounts made up):
  高新技术企业认定奖励 (免申即享, benefit case on the item above), 专精特新中小企业培育奖励 (申报) and
  小微企业稳岗扩岗补贴 (申报);
- profiles (made-up figures) of the demo enterprise 鹰潭铜材示范有限公司 (a 高新技术企业 in copper rolling:
  it matches the 免申即享 policy) and of a second demo enterprise created here, 鹰潭味道示范餐饮有限公司 (a
  micro restaurant: it does not), whose account has no password (it cannot log in);
- the demo official `official` gets 惠企政策管理人员 (scope all); matching is run once, so the demo enterprise
  finds its benefit case in 我的办件 and the policy on 惠企政策.

Idempotent: what exists (by title, base code, credit code) is kept; matching itself is idempotent.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from dgov.core import audit

DEMO = "（演示）"
BASE_CODE = "360809001000"
SCIENCE, INDUSTRY, HRSS = "360600004", "360600005", "360600010"
CATERING_CODE17 = "91360602MA35DEM01"
YINGTAN = "360600000000"

ITEM = {"base_code": BASE_CODE, "name": "高新技术企业认定奖励兑现", "item_type": "08", "level": "municipal",
        "legal_basis": "《中华人民共和国科学技术进步法》第四十条；"
                       "《高新技术企业认定管理办法》（国科发火〔2016〕32号）；鹰潭市支持科技创新的政策措施（演示）",
        "description": "对经认定（含重新认定）的高新技术企业给予一次性奖励，符合条件的企业由系统根据认定名单自动兑现，"
                       "无需申请（演示）。",
        "keywords": "高企奖励 高新技术企业 免申即享 惠企", "status": "published", "is_demo": True}

IMPLEMENTATION = {
    "item": BASE_CODE, "department": SCIENCE, "service_object": "enterprise", "case_kind": "promised",
    "statutory_limit": 20, "promised_limit": 10, "visits": 0, "online_depth": 4, "online_apply": False,
    "acceptance_conditions": "列入高新技术企业认定名单、注册地在鹰潭市、纳税信用非C级和D级的企业（演示）。",
    "process_steps": [{"name": "系统匹配", "description": "按企业画像数据自动匹配，免于申请", "limit": 0},
                      {"name": "审核", "description": "科技局核对认定名单和企业信用", "limit": 5},
                      {"name": "决定", "description": "作出奖励决定并拨付", "limit": 5}],
    "result_type": "other", "result_name": "奖励资金拨付", "place": "鹰潭市科学技术局（演示）",
    "is_demo": True}

POLICIES = [
    {"title": "高新技术企业认定奖励" + DEMO, "department": SCIENCE, "document_number": "鹰科发〔2026〕1号（演示）",
     "summary": "对注册地在鹰潭市、成立满一年、纳税信用良好的高新技术企业，给予一次性奖励10万元。"
                "根据科技部门认定名单和税务信用数据自动匹配，免于申报，直接兑现（演示政策）。",
     "benefit": "一次性奖励10万元", "benefit_amount": Decimal("100000"), "kind": "automatic",
     "rules": {"all": [{"field": "tags", "op": "has_tag", "value": "高新技术企业"},
                       {"field": "region", "op": "within_region", "value": YINGTAN},
                       {"field": "registered_on", "op": "age_years_gte", "value": 1},
                       {"not": {"field": "credit_rating", "op": "in", "value": ["C", "D"]}}]},
     "implementation": True},
    {"title": "专精特新中小企业培育奖励" + DEMO, "department": INDUSTRY,
     "document_number": "鹰工信字〔2026〕3号（演示）",
     "summary": "对新认定的省级专精特新中小企业给予奖励，企业在申报期内提交申请（演示政策）。",
     "benefit": "奖励20万元", "benefit_amount": Decimal("200000"), "kind": "apply", "apply_url": "/services/",
     "rules": {"all": [{"field": "tags", "op": "has_tag", "value": "专精特新中小企业"},
                       {"field": "size", "op": "in", "value": ["medium", "small", "micro"]},
                       {"field": "industry", "op": "in", "value": ["C", "I65"]}]}},
    {"title": "小微企业稳岗扩岗补贴" + DEMO, "department": HRSS, "document_number": "鹰人社字〔2026〕8号（演示）",
     "summary": "对吸纳就业、不裁员或少裁员的小微企业按在职职工人数给予补贴，企业申报后核发（演示政策）。",
     "benefit": "按每人1000元给予补贴，最高5万元", "kind": "apply", "apply_url": "/services/",
     "rules": {"all": [{"field": "size", "op": "in", "value": ["small", "micro"]},
                       {"field": "employees", "op": "gte", "value": 5},
                       {"field": "region", "op": "within_region", "value": YINGTAN}]}},
]


def _last_month_end() -> dt.date:
    return timezone.localdate().replace(day=1) - dt.timedelta(days=1)


PROFILES = {
    "enterprise": {"industry": "C3251", "registered_on": dt.date(2015, 6, 18), "region": "360603000000",
                   "employees": 320, "annual_revenue": Decimal("28000"), "tax_paid": Decimal("860.50"),
                   "tags": ["高新技术企业", "专精特新中小企业", "规模以上工业企业"], "credit_rating": "A"},
    "catering": {"industry": "H6210", "registered_on": dt.date(2024, 3, 1), "region": "360602000000",
                 "employees": 8, "annual_revenue": Decimal("90"), "tax_paid": Decimal("1.20"), "tags": ["小微企业"],
                 "credit_rating": "B"},
}
SOURCE = "市场监管登记、税务、科技认定数据汇总（演示数据）"


def _official():
    from dgov.accounts.demo import grant_demo_role
    from dgov.accounts.models import User

    official = User.objects.filter(username="official").first()
    if official is not None:
        grant_demo_role(official, "policy_admin")  # the built-in role: it exists once `dgov init` ran
    return official


def _implementation(admin):
    from dgov.orgs.models import Department
    from dgov.services import services as item_services
    from dgov.services.demo import _credit_codes
    from dgov.services.models import Implementation, ServiceItem

    found = Implementation.objects.filter(item__base_code=BASE_CODE, department__code=SCIENCE).first()
    if found:
        return found
    if not ServiceItem.objects.filter(base_code=BASE_CODE).exists():
        item_services.item_save(actor=admin, data=ITEM)
    _credit_codes({SCIENCE})
    if not Department.objects.filter(code=SCIENCE).exclude(credit_code="").exists():
        return None
    impl = item_services.implementation_save(actor=admin, data=IMPLEMENTATION, materials=[], reason="演示数据")
    return item_services.publish(actor=admin, implementation=impl, reason="演示数据")


def _catering_enterprise():
    from dgov.accounts.models import Enterprise, User, UserKind
    from dgov.core.validators import credit_code_check_char
    from dgov.orgs.models import Region

    code = CATERING_CODE17 + credit_code_check_char(CATERING_CODE17)
    found = Enterprise.objects.filter(credit_code=code).first()
    if found:
        return found
    user = User.objects.filter(username="demo_catering").first()
    if user is None:
        user = User(username="demo_catering", kind=UserKind.ENTERPRISE, real_name="鹰潭味道示范餐饮有限公司" + DEMO,
                    is_demo=True)
        user.set_unusable_password()
        user.save()
    enterprise = Enterprise.objects.create(name="鹰潭味道示范餐饮有限公司" + DEMO, credit_code=code,
                                           legal_representative="刘芳（演示）", account=user, is_demo=True,
                                           region=Region.objects.filter(code="360602000000").first())
    audit.record("accounts.enterprise.create", enterprise, changes={"demo": True})
    return enterprise


def load_demo() -> dict:
    from dgov.accounts.models import Enterprise, User
    from dgov.orgs.models import Department, Region
    from dgov.policies import services
    from dgov.policies.models import EnterpriseProfile, Policy

    counts = {"policies": 0, "profiles": 0, "cases": 0, "note": "(demo data: made-up policies and figures)"}
    admin = User.objects.filter(username="admin").first()
    enterprise = Enterprise.objects.filter(account__username="enterprise").first()
    with transaction.atomic():
        official = _official()
        if admin is None or official is None or enterprise is None:
            return {**counts, "note": "(no demo accounts: nothing loaded)"}
        impl = _implementation(admin)
        for key, ent in (("enterprise", enterprise), ("catering", _catering_enterprise())):
            if EnterpriseProfile.objects.filter(enterprise=ent).exists():
                continue
            spec = dict(PROFILES[key])
            region = Region.objects.get(code=spec.pop("region"))
            services.profile_save(actor=official, instance=EnterpriseProfile(
                enterprise=ent, credit_code=ent.credit_code, region=region, source=SOURCE,
                as_of=_last_month_end(), is_demo=True, **spec))
            counts["profiles"] += 1
        for spec in POLICIES:
            if Policy.objects.filter(title=spec["title"], is_demo=True).exists():
                continue
            spec = dict(spec)
            wants_impl = spec.pop("implementation", False)
            policy = Policy(**{**spec, "department": Department.objects.get(code=spec["department"])},
                            implementation=impl if wants_impl else None,
                            valid_from=dt.date(timezone.localdate().year, 1, 1),
                            valid_until=dt.date(timezone.localdate().year + 1, 12, 31), is_demo=True)
            policy = services.policy_save(actor=official, instance=policy)
            services.publish(actor=official, policy=policy)
            counts["policies"] += 1
        run = services.match_all(actor=official)
        counts["cases"] = run.cases
    return counts
