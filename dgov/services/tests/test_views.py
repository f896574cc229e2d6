"""The service-item pages: the public guides (search with two-character queries and facets, a guide, themes,
the accessibility statement, the portal's search box) and the officials' item management (scope, edit with
materials, publish and retire, versions with a diff, the form editor, export and import)."""

import io

import pytest
from django.test import Client

from dgov.core.cache import REFERENCE
from dgov.core.testing import audited, signed_in, zh
from dgov.core.validators import credit_code_check_char
from dgov.licenses.models import LicenseType
from dgov.orgs.models import Department, Region
from dgov.services.models import Implementation, PublishStatus, ServiceItem, Theme

pytestmark = pytest.mark.django_db
MANAGE = "/services/manage/implementations"
YUJIANG, GUIXI, CIVIL = "360603907", "360681907", "360600006"


def credit_code(department: Department) -> str:
    first17 = "11" + department.region.code[:6] + department.code
    first17 = (first17 + "0" * 17)[:17]
    return first17 + credit_code_check_char(first17)


@pytest.fixture
def departments(db):
    found = {}
    for code in (YUJIANG, GUIXI, CIVIL):
        department = Department.objects.select_related("region").get(code=code)
        Department.objects.filter(pk=department.pk).update(credit_code=credit_code(department))
        found[code] = Department.objects.select_related("region").get(pk=department.pk)
    REFERENCE.bump()
    return found


@pytest.fixture
def licence_type(departments):
    return LicenseType.objects.create(code=departments[CIVIL].credit_code + "001", name="结婚证",
                                      defining_department=departments[CIVIL], holder_kind="person")


@pytest.fixture
def theme(db):
    return Theme.objects.get_or_create(code="t-marriage", defaults={"name": "婚姻登记", "audience": "person"})[0]


def make_item(world, base_code, name, item_type="07"):
    from dgov.services import services

    return services.item_save(actor=world.admin, data={
        "base_code": base_code, "name": name, "item_type": item_type, "legal_basis": "《婚姻登记条例》第四条",
        "level": "national", "description": f"{name}的办事指南。", "status": "published"})


def make_impl(world, item, department, *, materials=None, publish=True, **data):
    from dgov.services import services

    values = {"item": item, "department": department, "region": department.region, "service_object": "person",
              "case_kind": "promised", "statutory_limit": 20, "promised_limit": 5, "visits": 1, "online_depth": 4,
              "online_apply": True, "place": "余江区政务服务中心", "hours": "工作日 9:00-17:00",
              "enquiry_phone": "0701-12345", "complaint_phone": "12345", **data}
    impl = services.implementation_save(actor=world.admin, data=values, materials=materials if materials is not None
                                        else [{"name": "居民身份证", "required": True},
                                              {"name": "户口簿", "required": True}])
    if publish:
        impl = services.publish(actor=world.admin, implementation=impl)
    return impl


@pytest.fixture
def catalog(world, departments, licence_type, theme):
    marriage = make_item(world, "000107001000", "内地居民结婚登记")
    pension = make_item(world, "000105001000", "城乡居民基本养老保险参保登记", item_type="05")
    insurance = make_item(world, "000105002000", "社会保险个人权益记录查询", item_type="20")
    yujiang = make_impl(world, marriage, departments[YUJIANG], themes=[theme], fees=[], materials=[
        {"name": "居民身份证", "required": True},
        {"name": "结婚证（补领时）", "required": False, "license_type": licence_type.code},
        {"name": "近期二寸合影照片", "required": True, "form": "original", "copies": 3}],
        process_steps=[{"name": "受理", "description": "窗口核对身份", "limit": 0},
                       {"name": "审查", "description": "核对材料", "limit": 1}])
    guixi = make_impl(world, marriage, departments[GUIXI], visits=0)
    pension_impl = make_impl(world, pension, departments[YUJIANG], online_apply=False, visits=2)
    insurance_impl = make_impl(world, insurance, departments[GUIXI], case_kind="instant", promised_limit=0)
    draft = make_impl(world, pension, departments[GUIXI], publish=False)
    return {"yujiang": yujiang, "guixi": guixi, "pension": pension_impl, "insurance": insurance_impl,
            "draft": draft}


# --- public -------------------------------------------------------------------------------------------
def test_anonymous_searches_with_two_characters(catalog):
    client = Client()
    page = client.get("/services/", {"q": "结婚"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "内地居民结婚登记" in text and catalog["yujiang"].code in text and catalog["guixi"].code in text
    assert "养老保险" not in text
    social = client.get("/services/", {"q": "社保"}).content.decode()
    assert "社会保险个人权益记录查询" in social or "养老保险参保登记" in social
    # drafts never show
    assert catalog["draft"].code not in client.get("/services/", {"q": "养老"}).content.decode()


def test_facets_narrow_the_results(catalog, departments):
    client = Client()
    page = client.get("/services/", {"q": "结婚"}).content.decode()
    assert "余江区" in page and "贵溪市" in page  # the region facet
    narrowed = client.get("/services/", {"q": "结婚", "region": departments[GUIXI].region.code}).content.decode()
    assert catalog["guixi"].code in narrowed and catalog["yujiang"].code not in narrowed
    online = client.get("/services/", {"online": "1"}).content.decode()
    assert catalog["pension"].code not in online and catalog["yujiang"].code in online
    by_type = client.get("/services/", {"type": "20"}).content.decode()
    assert catalog["insurance"].code in by_type and catalog["yujiang"].code not in by_type
    assert "?online=1" in client.get("/services/").content.decode()  # the online facet is offered
    enterprise = client.get("/services/", {"object": "enterprise"}).content.decode()
    assert catalog["yujiang"].code not in enterprise  # every test item is for people
    by_theme = client.get("/services/", {"theme": "t-marriage"}).content.decode()
    assert catalog["yujiang"].code in by_theme and catalog["guixi"].code not in by_theme


def test_bad_search_input_gives_chinese_form_errors(catalog):
    page = Client().get("/services/", {"q": "结" * 60, "department": "nope", "type": "99"})
    assert page.status_code == 422
    text = page.content.decode()
    assert zh("There is no such department.") in text
    assert zh("Please correct the following:") in text
    assert "不超过 50" in text  # Django's max_length message, in Chinese
    assert "aria-label" in text or "is-invalid" in text


def test_the_search_page_pages(world, departments):
    item = make_item(world, "000107009000", "测试分页事项")
    department = departments[YUJIANG]
    for n in range(12):
        make_impl(world, item, department, materials=[{"name": "居民身份证"}], handling_code=str(n + 1))
    first = Client().get("/services/", {"q": "分页"}).content.decode()
    assert "1 / 2" in first and "page=2" in first
    second = Client().get("/services/", {"q": "分页", "page": "2"})
    assert second.status_code == 200 and "2 / 2" in second.content.decode()


def test_a_guide_in_plain_language(catalog, licence_type):
    impl = catalog["yujiang"]
    page = Client().get(f"/services/items/{impl.code}/")
    assert page.status_code == 200
    text = page.content.decode()
    for needle in ("内地居民结婚登记", "居民身份证", "近期二寸合影照片", zh("E-licence instead (免证办)"), "结婚证",
                   zh("Free of charge"), zh("At most one visit"), "《婚姻登记条例》第四条", "余江区政务服务中心",
                   "0701-12345", "受理", "审查", zh("Show the legal basis")):
        assert needle in text, needle
    assert "<details" in text  # the legal basis folds away
    # 在线办理 links to the applicant flow when the cases app routes it
    from django.urls import NoReverseMatch, reverse
    try:
        url = reverse("cases:apply_start", kwargs={"code": impl.code})
    except NoReverseMatch:
        url = None
    if url:
        assert url in text and zh("Apply online") in text
    not_online = Client().get(f"/services/items/{catalog['pension'].code}/").content.decode()
    assert 'id="apply-online"' not in not_online and zh("This service is applied for in person at the place "
                                                         "below.") in not_online
    instant = Client().get(f"/services/items/{catalog['insurance'].code}/").content.decode()
    assert zh("Instant case: decided on the spot") in instant
    assert Client().get(f"/services/items/{catalog['draft'].code}/").status_code == 404
    assert Client().get("/services/items/NOPE/").status_code == 404


def test_themes_and_accessibility_statement(catalog, theme):
    client = Client()
    themes = client.get("/services/themes/")
    assert themes.status_code == 200 and "婚姻登记" in themes.content.decode()
    one = client.get(f"/services/themes/{theme.code}/").content.decode()
    assert catalog["yujiang"].code in one and catalog["guixi"].code not in one
    assert client.get("/services/themes/none-such/").status_code == 404
    statement = client.get("/services/accessibility/").content.decode()
    for needle in ("GB/T 37668-2019", "WCAG 2.1", "12345", "2026"):
        assert needle in statement, needle


def test_the_portal_links_the_guides(catalog, theme):
    home = Client().get("/").content.decode()
    assert 'action="/services/"' in home and 'name="q"' in home and "/services/themes/" in home
    assert "/services/accessibility/" in home


# --- officials ------------------------------------------------------------------------------------------
def test_officials_pages_need_permission_and_respect_scope(world, catalog):
    yujiang, guixi = catalog["yujiang"], catalog["guixi"]
    client = signed_in(world.yujiang_admin)
    listing = client.get(f"{MANAGE}/")
    assert listing.status_code == 200
    assert yujiang.code in listing.content.decode() and guixi.code not in listing.content.decode()
    assert client.get(f"{MANAGE}/{yujiang.code}/").status_code == 200
    assert client.get(f"{MANAGE}/{guixi.code}/").status_code == 404
    assert client.get(f"{MANAGE}/{guixi.code}/edit/").status_code == 404
    assert client.post(f"{MANAGE}/{guixi.code}/retire/", {"reason": "x"}).status_code == 404
    for url in ("/services/manage/items/", "/services/manage/themes/", "/services/manage/import/",
                f"{MANAGE}/{yujiang.code}/versions/", f"{MANAGE}/{yujiang.code}/form/", f"{MANAGE}/add/",
                f"/services/manage/items/{yujiang.item.base_code}/"):
        assert client.get(url).status_code == 200, url
    assert signed_in(world.official).get(f"{MANAGE}/").status_code == 403
    assert signed_in(world.citizen).get(f"{MANAGE}/").status_code == 403
    assert Client().get(f"{MANAGE}/").status_code == 302


def error_summary(response) -> str:
    import re

    found = re.search(r'<div class="error-summary.*?</ul>', response.content.decode(), re.S)
    return found.group(0) if found else response.content.decode()[-2000:]


def _edit_data(impl, **extra):
    data = {"item": impl.item.pk, "name": impl.name, "department": impl.department.pk, "region": impl.region.pk,
            "service_object": impl.service_object, "case_kind": impl.case_kind,
            "statutory_limit": impl.statutory_limit, "statutory_unit": impl.statutory_unit,
            "promised_limit": impl.promised_limit, "promised_unit": impl.promised_unit, "visits": impl.visits,
            "online_depth": impl.online_depth, "online_apply": "on" if impl.online_apply else "",
            "acceptance_conditions": impl.acceptance_conditions, "result_type": impl.result_type,
            "result_name": impl.result_name, "place": impl.place, "hours": impl.hours,
            "enquiry_phone": impl.enquiry_phone, "complaint_phone": impl.complaint_phone, "reason": "",
            "materials-TOTAL_FORMS": "2", "materials-INITIAL_FORMS": "0",
            "materials-0-name": "居民身份证", "materials-0-required": "on", "materials-0-form": "electronic",
            "materials-0-copies": "1", "materials-0-source": "applicant",
            "materials-1-name": "", "materials-1-form": "electronic", "materials-1-copies": "1",
            "materials-1-source": "applicant",
            "fees-TOTAL_FORMS": "1", "fees-INITIAL_FORMS": "0", "fees-0-name": "", "fees-0-amount": "",
            "fees-0-basis": "",
            "steps-TOTAL_FORMS": "1", "steps-INITIAL_FORMS": "0", "steps-0-name": "受理", "steps-0-description": "",
            "steps-0-limit": "1"}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def test_edit_with_materials_fees_and_steps_makes_a_version_with_a_diff(world, catalog, licence_type):
    impl = catalog["yujiang"]
    client = signed_in(world.yujiang_admin)
    page = client.get(f"{MANAGE}/{impl.code}/edit/")
    assert page.status_code == 200 and "近期二寸合影照片" in page.content.decode()
    # a fee above zero without its basis: a Chinese row error, nothing saved
    bad = client.post(f"{MANAGE}/{impl.code}/edit/", _edit_data(impl, **{
        "fees-0-name": "工本费", "fees-0-amount": "9", "fees-0-basis": ""}))
    assert bad.status_code == 422
    assert zh("Name the document the fee is based on.") in bad.content.decode()
    version = Implementation.objects.get(pk=impl.pk).version
    saved = client.post(f"{MANAGE}/{impl.code}/edit/", _edit_data(impl, **{
        "fees-0-name": "工本费", "fees-0-amount": "9", "fees-0-basis": "发改价格〔2020〕1号", "reason": "调整材料",
        "materials-1-name": "户口簿", "materials-1-license_type": licence_type.code}))
    assert saved.status_code == 302, saved.content.decode()[-3000:]
    impl.refresh_from_db()
    assert impl.version == version + 1 and impl.fees[0]["amount"] == "9.00"
    assert [m.name for m in impl.materials.order_by("order")] == ["居民身份证", "户口簿"]
    assert impl.materials.get(name="户口簿").license_type == licence_type
    versions = client.get(f"{MANAGE}/{impl.code}/versions/").content.decode()
    assert "近期二寸合影照片" in versions and "户口簿" in versions and "工本费" in versions
    assert zh("removed") in versions and zh("added") in versions
    assert client.get(f"{MANAGE}/{impl.code}/versions/", {"a": "999"}).status_code == 422
    # more empty rows keeps what was typed
    more = client.post(f"{MANAGE}/{impl.code}/edit/", _edit_data(impl, more="1"))
    assert more.status_code == 200 and 'name="materials-TOTAL_FORMS" value="5"' in more.content.decode()


def test_an_implementation_is_added_and_published_in_scope(world, catalog, departments):
    client = signed_in(world.yujiang_admin)
    impl = catalog["yujiang"]
    data = _edit_data(impl, item=ServiceItem.objects.get(base_code="000105002000").pk, name="", code="")
    made = client.post(f"{MANAGE}/add/", data)
    assert made.status_code == 302, error_summary(made)
    new = Implementation.objects.get(item__base_code="000105002000", department=departments[YUJIANG])
    assert new.status == PublishStatus.DRAFT and new.code.startswith(departments[YUJIANG].credit_code)
    out = client.post(f"{MANAGE}/add/", _edit_data(impl, department=departments[GUIXI].pk,
                                                   region=departments[GUIXI].region.pk, code=""))
    assert out.status_code == 422  # 贵溪 is not offered to 余江区's administrator
    published = client.post(f"{MANAGE}/{new.code}/publish/", {"reason": ""})
    assert published.status_code == 302
    assert Implementation.objects.get(pk=new.pk).status == PublishStatus.PUBLISHED
    assert audited("services.implementation.publish") is not None
    assert client.post(f"{MANAGE}/{new.code}/retire/", {"reason": ""}).status_code == 422
    assert client.post(f"{MANAGE}/{new.code}/retire/", {"reason": "职能调整"}).status_code == 302
    assert Client().get(f"/services/items/{new.code}/").status_code == 404


def test_the_form_editor_checks_the_definition(world, catalog):
    impl = catalog["yujiang"]
    client = signed_in(world.yujiang_admin)
    page = client.get(f"{MANAGE}/{impl.code}/form/")
    assert page.status_code == 200 and "formdef-editor.js" in page.content.decode()
    bad_json = client.post(f"{MANAGE}/{impl.code}/form/", {"definition": "{not json"})
    assert bad_json.status_code == 422 and "JSON" in bad_json.content.decode()
    invalid = client.post(f"{MANAGE}/{impl.code}/form/", {"definition": '{"version": 1, "pages": [{"key": "a", '
                                                          '"title": "甲", "fields": [{"key": "x", "label": "乙", '
                                                          '"type": "colour"}]}]}'})
    assert invalid.status_code == 422
    definition = ('{"version": 1, "pages": [{"key": "spouse", "title": "配偶信息", "fields": [{"key": "spouse_name", '
                  '"label": "配偶姓名", "type": "text", "required": true}]}]}')
    preview = client.post(f"{MANAGE}/{impl.code}/form/", {"definition": definition, "preview": "1"})
    assert preview.status_code == 200 and "配偶姓名" in preview.content.decode()
    impl.refresh_from_db()
    assert not impl.form
    saved = client.post(f"{MANAGE}/{impl.code}/form/", {"definition": definition, "reason": "加配偶信息"})
    assert saved.status_code == 302
    impl.refresh_from_db()
    assert impl.form["pages"][0]["key"] == "spouse"


def test_base_catalog_and_themes_pages(world, catalog):
    client = signed_in(world.admin)
    bad = client.post("/services/manage/items/add/", {"base_code": "12", "name": "测试", "item_type": "01",
                                                      "level": "national", "legal_basis": "x",
                                                      "status": "published"})
    assert bad.status_code == 422 and zh("The base code has 12 letters or digits.") in bad.content.decode()
    made = client.post("/services/manage/items/add/", {"base_code": "000101001000", "name": "测试许可",
                                                       "item_type": "01", "level": "national", "legal_basis": "x",
                                                       "status": "published"})
    assert made.status_code == 302, made.content.decode()[-2000:]
    assert ServiceItem.objects.filter(base_code="000101001000").exists()
    theme = client.post("/services/manage/themes/add/", {"code": "t-new", "name": "开办企业", "audience": "enterprise",
                                                         "description": "", "order": "1"})
    assert theme.status_code == 302
    assert Theme.objects.filter(code="t-new").exists()


def test_export_and_import_with_a_dry_run(world, catalog):
    client = signed_in(world.yujiang_admin)
    exported = client.get(f"{MANAGE}/", {"export": "xlsx"})
    assert exported.status_code == 200 and exported["Content-Type"].startswith("application/vnd.openxml")
    assert exported.content[:2] == b"PK"
    assert audited("services.implementation.export") is not None
    assert client.get("/services/manage/import/", {"template": "1"}).content[:2] == b"PK"
    # change a name in the exported workbook, check it (nothing written), then import it
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(exported.content))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    code_col, name_col = headers.index("实施编码"), headers.index("事项名称")
    row = next(r for r in sheet.iter_rows(min_row=2) if r[code_col].value == catalog["yujiang"].code)
    row[name_col].value = "内地居民结婚登记（余江）"
    out = io.BytesIO()
    book.save(out)
    upload = io.BytesIO(out.getvalue())
    upload.name = "items.xlsx"
    checked = client.post("/services/manage/import/", {"file": upload})
    assert checked.status_code == 200, error_summary(checked)
    assert Implementation.objects.get(pk=catalog["yujiang"].pk).name == "内地居民结婚登记"  # a dry run
    token = client.session["dgov_services_import"]["token"]
    done = client.post("/services/manage/import/", {"confirm": token})
    assert done.status_code == 302
    assert Implementation.objects.get(pk=catalog["yujiang"].pk).name == "内地居民结婚登记（余江）"
    # what cannot be read is refused with a Chinese message
    junk = io.BytesIO(b"not a workbook")
    junk.name = "items.xlsx"
    refused = client.post("/services/manage/import/", {"file": junk})
    assert refused.status_code == 422 and "error-summary" in refused.content.decode()
    wrong = io.BytesIO(b"a,b")
    wrong.name = "items.txt"
    assert zh("Upload an Excel workbook (.xlsx).") in client.post("/services/manage/import/", {
        "file": wrong}).content.decode()
    assert client.post("/services/manage/import/", {"confirm": "stale"}).status_code == 302
    assert signed_in(world.official).get("/services/manage/import/").status_code == 403


def test_region_choices_are_the_city_and_counties():
    from dgov.services.forms import regions_for_implementations

    codes = set(regions_for_implementations().values_list("code", flat=True))
    assert "360600000000" in codes and "360603000000" in codes and "360681000000" in codes
    assert not Region.objects.filter(code__in=codes, level="township").exists()


def test_the_officials_list_filters(world, catalog, departments):
    client = signed_in(world.admin)
    drafts = client.get(f"{MANAGE}/", {"status": "draft"}).content.decode()
    assert catalog["draft"].code in drafts and catalog["yujiang"].code not in drafts
    by_region = client.get(f"{MANAGE}/", {"region": departments[GUIXI].region.code}).content.decode()
    assert catalog["guixi"].code in by_region and catalog["yujiang"].code not in by_region
    searched = client.get(f"{MANAGE}/", {"q": "结婚"}).content.decode()
    assert catalog["yujiang"].code in searched and catalog["pension"].code not in searched
    fragment = client.get(f"{MANAGE}/", {"q": "结婚"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="object-table")
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    bad = client.get(f"{MANAGE}/", {"department": "nope"})
    assert bad.status_code == 200 and catalog["yujiang"].code not in bad.content.decode()
    items = client.get("/services/manage/items/", {"q": "养老"}).content.decode()
    assert "城乡居民基本养老保险参保登记" in items and "内地居民结婚登记" not in items


def test_themes_without_a_published_guide_are_left_out(catalog):
    Theme.objects.create(code="t-empty", name="空主题测试", audience="enterprise")
    page = Client().get("/services/themes/").content.decode()
    assert "婚姻登记" in page and "空主题测试" not in page
