"""Writes of service items: the implementation code's rule, every field's checks, versions, search text, audit,
scope, publishing and retiring, the base catalog."""

import pytest

from dgov.core.errors import Conflict, PermissionDenied, ValidationError
from dgov.core.testing import audited
from dgov.orgs.models import Department
from dgov.services import codes, services
from dgov.services.models import Implementation, ImplementationVersion, PublishStatus
from dgov.services.testing import (
    GUIXI_CIVIL,
    MATERIALS,
    YUJIANG_CIVIL,
    code_for,
    give_credit_codes,
    implementation_data,
    make_implementation,
    make_item,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(db):
    give_credit_codes(YUJIANG_CIVIL, GUIXI_CIVIL)
    return make_item()


def save(actor, data, materials=MATERIALS, implementation=None, **kw):
    return services.implementation_save(actor=actor, implementation=implementation, data=data, materials=materials,
                                        **kw)


def details(exc_info) -> dict:
    return exc_info.value.details


# --- codes ---------------------------------------------------------------------------------------------
def test_the_implementation_code_is_credit_code_level_base_code_and_handling_code(item):
    department = Department.objects.select_related("region").get(code=YUJIANG_CIVIL)
    code = codes.implementation_code(credit_code=department.credit_code, region=department.region,
                                     base_code=item.base_code)
    assert len(code) == 31 and code[18] == "4" and code.endswith(item.base_code)  # a county-level body
    assert codes.implementation_code_errors(code, department=department, region=department.region,
                                            base_code=item.base_code) == []
    assert codes.implementation_code_errors(code + "01", department=department, region=department.region,
                                            base_code=item.base_code) == []
    wrong_check = code[:17] + ("0" if code[17] != "0" else "1") + code[18:]
    assert codes.implementation_code_errors(wrong_check, department=department, region=department.region,
                                            base_code=item.base_code)
    city_level = code[:18] + "3" + code[19:]
    assert any("19" in e for e in codes.implementation_code_errors(
        city_level, department=department, region=department.region, base_code=item.base_code))
    other_base = code[:19] + "360700002000"
    assert codes.implementation_code_errors(other_base, department=department, region=department.region,
                                            base_code=item.base_code)
    assert codes.implementation_code_errors("ABC", department=department, region=department.region,
                                            base_code=item.base_code)
    assert codes.base_code_errors("360700001000") == [] and codes.base_code_errors("36000700100") != []
    assert codes.base_code_errors("36000700100a") != []


# --- create and change ---------------------------------------------------------------------------------
def test_create_gives_the_code_a_version_the_search_text_and_an_audit_entry(world, item):
    impl = save(world.yujiang_admin, implementation_data(YUJIANG_CIVIL, item, handling_code="01"))
    assert impl.code == code_for(YUJIANG_CIVIL, item, "01") and impl.status == PublishStatus.DRAFT
    assert impl.name == item.name and impl.region.code == "360603000000"
    assert [m.name for m in impl.materials.order_by("order")] == ["居民身份证", "签字声明"]
    assert list(impl.themes.values_list("code", flat=True)) == ["person-marriage"]
    assert "内地居民结婚登记" in impl.search_text and "余江区民政局" in impl.search_text
    version = ImplementationVersion.objects.get(implementation=impl)
    assert (version.version, version.action) == (1, "create")
    assert version.snapshot["materials"][0]["name"] == "居民身份证"
    assert version.snapshot["themes"] == ["person-marriage"]
    entry = audited("services.implementation.create")
    assert entry.actor_id == world.yujiang_admin.pk and entry.changes["code"] == impl.code


def test_a_change_is_a_new_version_and_a_save_without_change_writes_nothing(world, item):
    impl = save(world.yujiang_admin, implementation_data(YUJIANG_CIVIL, item))
    same = save(world.yujiang_admin, implementation_data(YUJIANG_CIVIL, item), implementation=impl)
    assert same.version == 1 and ImplementationVersion.objects.count() == 1
    changed = save(world.yujiang_admin, {"promised_limit": 0, "place": "余江区婚姻登记处"},
                   materials=[{"name": "居民身份证", "form": "original"}], implementation=impl, reason="窗口搬迁")
    assert changed.version == 2 and changed.place == "余江区婚姻登记处"
    assert list(changed.materials.values_list("name", flat=True)) == ["居民身份证"]  # replaced as a list
    version = ImplementationVersion.objects.get(implementation=impl, version=2)
    assert version.action == "change" and version.reason == "窗口搬迁" and version.actor == world.yujiang_admin
    entry = audited("services.implementation.change")
    assert entry.changes["place"] == ["婚姻登记处", "余江区婚姻登记处"] and entry.changes["reason"] == "窗口搬迁"
    # materials None: unchanged
    kept = save(world.yujiang_admin, {"hours": "工作日"}, materials=None, implementation=impl)
    assert kept.version == 3 and kept.materials.count() == 1


def test_every_field_is_checked(world, item):
    bad = implementation_data(
        YUJIANG_CIVIL, item, code="X" * 31, case_kind="promised", promised_limit=0, online_depth=2,
        fees=[{"name": "工本费", "amount": "9", "basis": ""}, {"name": "", "amount": "abc"}],
        process_steps=[{"name": "", "limit": -1}], result_type="none", result_license_type="",
        form={"version": 1, "pages": []}, themes=["nothing-such"], statutory_unit="weeks")
    with pytest.raises(ValidationError) as exc:
        save(world.yujiang_admin, bad, materials=[{"name": "身份证"}, {"name": "身份证"},
                                                  {"name": "照片", "license_type": "nothing-such", "form": "paper"}])
    errors = details(exc)
    for field in ("code", "promised_limit", "online_apply", "fees", "process_steps", "form", "themes",
                  "statutory_unit", "materials"):
        assert errors.get(field), (field, errors)
    assert len(errors["materials"]) == 3  # the duplicate, the unknown licence type, the unknown form
    assert not Implementation.objects.exists()


def test_limits_results_and_regions(world, item):
    cases = [
        ({"case_kind": "instant", "promised_limit": 3}, "promised_limit"),
        ({"case_kind": "promised", "statutory_limit": 5, "promised_limit": 10}, "promised_limit"),
        ({"result_type": "licence", "result_name": ""}, "result_name"),
        ({"result_type": "none", "result_name": "", "result_license_type": "x"}, "result_license_type"),
        ({"region": "360681"}, "region"),  # 贵溪 is not 余江区民政局's region
        ({"department": "999999999"}, "department"),
        ({"item": "999999999999"}, "item"),
        ({"nonsense": 1}, "nonsense"),
    ]
    for overrides, field in cases:
        with pytest.raises(ValidationError) as exc:
            save(world.admin, {**implementation_data(YUJIANG_CIVIL, item), **overrides})
        assert field in details(exc), (overrides, details(exc))


def test_a_department_without_a_credit_code_cannot_have_implementations(world, item):
    with pytest.raises(ValidationError) as exc:
        save(world.yujiang_admin, implementation_data("360603905", item, code="1" * 31))
    assert any("统一社会信用代码" in m for m in details(exc)["code"])  # "… has no unified social credit code yet …"


def test_fees_are_normalised(world, item):
    impl = save(world.yujiang_admin, implementation_data(
        YUJIANG_CIVIL, item, fees=[{"name": "不动产登记费", "amount": "80", "basis": "发改价格规〔2016〕2559号"}]))
    assert impl.fees == [{"name": "不动产登记费", "amount": "80.00", "basis": "发改价格规〔2016〕2559号"}]


def test_scope(world, item):
    with pytest.raises(PermissionDenied) as exc:
        save(world.yujiang_admin, implementation_data(GUIXI_CIVIL, item))
    assert exc.value.code == "out_of_scope"
    with pytest.raises(PermissionDenied):
        save(world.official, implementation_data(YUJIANG_CIVIL, item))
    impl = save(world.guixi_admin, implementation_data(GUIXI_CIVIL, item))
    with pytest.raises(PermissionDenied):
        save(world.yujiang_admin, {"place": "x"}, implementation=impl)
    with pytest.raises(PermissionDenied):  # nor moved into one's scope
        save(world.yujiang_admin, {"department": YUJIANG_CIVIL}, implementation=impl)
    with pytest.raises(PermissionDenied):
        services.publish(actor=world.yujiang_admin, implementation=impl)


# --- publishing ----------------------------------------------------------------------------------------
def test_publish_and_retire(world, item):
    impl = save(world.yujiang_admin, implementation_data(YUJIANG_CIVIL, item))
    impl = services.publish(actor=world.yujiang_admin, implementation=impl, reason="上线")
    assert impl.status == PublishStatus.PUBLISHED and impl.version == 2
    assert audited("services.implementation.publish").changes["status"] == ["draft", "published"]
    with pytest.raises(Conflict):
        services.publish(actor=world.yujiang_admin, implementation=impl)
    with pytest.raises(ValidationError):
        services.retire(actor=world.yujiang_admin, implementation=impl, reason=" ")
    impl = services.retire(actor=world.yujiang_admin, implementation=impl, reason="事项取消")
    assert impl.status == PublishStatus.RETIRED
    assert list(ImplementationVersion.objects.filter(implementation=impl).values_list("action", flat=True)) == [
        "retire", "publish", "create"]


def test_an_implementation_of_an_unpublished_item_cannot_be_published(world, item):
    item.status = PublishStatus.DRAFT
    item.save()
    impl = save(world.yujiang_admin, implementation_data(YUJIANG_CIVIL, item))
    with pytest.raises(ValidationError) as exc:
        services.publish(actor=world.yujiang_admin, implementation=impl)
    assert "item" in details(exc)


# --- the base catalog and themes ------------------------------------------------------------------------
def test_item_save(world, item):
    created = services.item_save(actor=world.admin, data={
        "base_code": "362000001000", "name": "城乡居民基本养老保险参保登记", "item_type": "20",
        "legal_basis": "《中华人民共和国社会保险法》第二十条", "keywords": "城乡居保"})
    assert created.status == PublishStatus.PUBLISHED and audited("services.serviceitem.create")
    with pytest.raises(ValidationError) as exc:
        services.item_save(actor=world.admin, data={"base_code": "12345", "name": "x", "item_type": "07",
                                                    "legal_basis": "x"})
    assert "base_code" in details(exc)
    with pytest.raises(ValidationError):
        services.item_save(actor=world.admin, data={"base_code": "362000009000", "name": "x", "item_type": "99",
                                                    "legal_basis": "x"})
    with pytest.raises(PermissionDenied):
        services.item_save(actor=world.official, data={"base_code": "362000009000", "name": "x",
                                                       "item_type": "07", "legal_basis": "x"})
    impl = make_implementation(world.admin, YUJIANG_CIVIL, item)
    with pytest.raises(ValidationError) as exc:
        services.item_save(actor=world.admin, item=item, data={"base_code": "360700009000"})
    assert "base_code" in details(exc)
    services.item_save(actor=world.admin, item=item, data={"keywords": "领结婚证"})
    impl.refresh_from_db()
    assert "领结婚证" in impl.search_text


def test_theme_save(world):
    theme = services.theme_save(actor=world.admin, data={"code": "person-test", "name": "测试主题",
                                                         "audience": "person", "order": 50})
    assert theme.pk and audited("services.theme.create")
    with pytest.raises(ValidationError):
        services.theme_save(actor=world.admin, data={"code": "bad code!", "name": "x", "audience": "person"})


def test_the_reindex_command(world, item):
    from io import StringIO

    from django.core.management import call_command

    impl = make_implementation(world.admin, YUJIANG_CIVIL, item)
    Implementation.objects.filter(pk=impl.pk).update(search_text="")
    out = StringIO()
    call_command("services_reindex", stdout=out)
    assert "1 changed of 1" in out.getvalue()
    impl.refresh_from_db()
    assert "结婚" in impl.search_text
