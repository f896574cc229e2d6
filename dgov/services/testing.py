"""Test helpers for service items (used by the services and cases tests): credit codes on departments, a base
catalog item, and implementations written through the services (so codes, versions and search text are real).

    give_credit_codes(YUJIANG_CIVIL)
    item = make_item()
    impl = make_implementation(world.admin, YUJIANG_CIVIL, item)        # published, online, one material
"""

from dgov.core.validators import credit_code_check_char
from dgov.orgs.models import Department
from dgov.services import codes, services
from dgov.services.models import Implementation, ServiceItem

YUEHU_CIVIL, YUJIANG_CIVIL, GUIXI_CIVIL = "360602909", "360603909", "360681909"
YUJIANG_HRSS, GUIXI_HRSS = "360603905", "360681905"
MARRIAGE = "360700001000"

SIMPLE_FORM = {"version": 1, "pages": [
    {"key": "applicant", "title": "申请人", "fields": [
        {"key": "name", "label": "姓名", "type": "text", "required": True, "prefill": "applicant.name"}]},
    {"key": "date", "title": "日期", "fields": [
        {"key": "appointment_date", "label": "预约日期", "type": "date", "required": True}]}]}


def credit_code(department_code: str) -> str:
    department = Department.objects.select_related("region").get(code=department_code)
    first17 = "11" + department.region.code[:6] + department.code
    return first17 + credit_code_check_char(first17)


def give_credit_codes(*department_codes: str) -> None:
    from dgov.core.cache import REFERENCE

    for code in department_codes:
        Department.objects.filter(code=code, credit_code="").update(credit_code=credit_code(code))
    REFERENCE.bump()


def make_item(base_code: str = MARRIAGE, name: str = "内地居民结婚登记", item_type: str = "07", **extra) -> ServiceItem:
    found = ServiceItem.objects.filter(base_code=base_code).first()
    if found:
        return found
    return ServiceItem.objects.create(base_code=base_code, name=name, item_type=item_type,
                                      legal_basis=extra.pop("legal_basis", "《婚姻登记条例》第四条"), **extra)


def code_for(department_code: str, item: ServiceItem, handling: str = "") -> str:
    department = Department.objects.select_related("region").get(code=department_code)
    return codes.implementation_code(credit_code=department.credit_code, region=department.region,
                                     base_code=item.base_code, handling=handling)


def implementation_data(department_code: str, item: ServiceItem, **overrides) -> dict:
    data = {"item": item.base_code, "department": department_code, "service_object": "person",
            "case_kind": "instant", "visits": 1, "online_depth": 4, "online_apply": True, "form": SIMPLE_FORM,
            "acceptance_conditions": "双方自愿", "result_type": "licence", "result_name": "结婚证",
            "process_steps": [{"name": "受理", "description": "当场受理", "limit": 0}],
            "place": "婚姻登记处", "themes": ["person-marriage"]}
    data.update(overrides)
    return data


MATERIALS = [{"name": "居民身份证", "form": "original", "source": "government"},
             {"name": "签字声明", "required": True, "form": "original", "source": "applicant"}]


def make_implementation(actor, department_code: str, item: ServiceItem | None = None, *, publish: bool = True,
                        materials=None, **overrides) -> Implementation:
    give_credit_codes(department_code)
    item = item or make_item()
    impl = services.implementation_save(actor=actor, data=implementation_data(department_code, item, **overrides),
                                        materials=MATERIALS if materials is None else materials)
    if publish:
        impl = services.publish(actor=actor, implementation=impl)
    return impl
