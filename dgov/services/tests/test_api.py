"""`/api/v1/services` against the API contract (anonymous, unauthorised, out of scope, in scope, bad input),
endpoint by endpoint: the public guides and themes, the officials' implementations, publishing, versions,
the spreadsheet export and import, the base catalog."""

import io
import json

import pytest

from dgov.accounts.testing import api_client
from dgov.core.testing import ApiContract, Case, assert_error, audited
from dgov.services import importer
from dgov.services.models import Implementation, ServiceItem
from dgov.services.testing import (
    GUIXI_CIVIL,
    YUJIANG_CIVIL,
    give_credit_codes,
    implementation_data,
    make_implementation,
    make_item,
)

pytestmark = pytest.mark.django_db
BASE = "/api/v1/services"


@pytest.fixture
def guides(world):
    item = make_item()
    return {"yujiang": make_implementation(world.admin, YUJIANG_CIVIL, item),
            "guixi": make_implementation(world.admin, GUIXI_CIVIL, item),
            "draft": make_implementation(world.admin, YUJIANG_CIVIL, make_item("360700002000", "内地居民离婚登记"),
                                         publish=False, result_name="离婚证")}


def payload(department=YUJIANG_CIVIL, **overrides):
    data = implementation_data(department, make_item(), online_apply=False, form={})
    data.pop("themes")
    data.update({"themes": ["person-marriage"], "fees": [{"name": "工本费", "amount": "9", "basis": "依据"}],
                 "materials": [{"name": "居民身份证", "form": "original", "source": "government"}]})
    data.update(overrides)
    return data


def post(user, url, body=None):
    return api_client(user).post(url, data=json.dumps(body or {}), content_type="application/json")


# --- public ------------------------------------------------------------------------------------------------
class TestGuides(ApiContract):
    test_anonymous = None  # the guides are public: anyone may search them without signing in
    test_unauthorised = None  # no permission is needed
    test_out_of_scope = None  # and they have no scope: every published guide is public

    @pytest.fixture
    def case(self, guides):
        return Case(method="get", url=f"{BASE}/items?q=结婚", authorised=None, bad_url=f"{BASE}/items?region=abc")

    def test_in_scope(self, case, guides):
        body = api_client(None).get(case.url).json()
        assert body["count"] == 2 and {i["code"] for i in body["items"]} == {guides["yujiang"].code,
                                                                              guides["guixi"].code}
        first = body["items"][0]
        assert first["item_name"] == "内地居民结婚登记" and first["url"] == f"{BASE}/items/{first['code']}"
        body = api_client(None).get(f"{BASE}/items?region=360681&type=07&limit=1").json()
        assert body["count"] == 1 and body["items"][0]["code"] == guides["guixi"].code
        assert api_client(None).get(f"{BASE}/items?q=离婚").json()["count"] == 0  # a draft is not public
        assert api_client(None).get(f"{BASE}/items?department={YUJIANG_CIVIL}&online=true").json()["count"] == 1

    def test_more_bad_input(self, case):
        for query in ("type=99", "limit=0", "offset=-1", "service_object=martian", f"q={'x' * 101}"):
            assert_error(api_client(None).get(f"{BASE}/items?{query}"), 422)


class TestGuide(ApiContract):
    test_anonymous = None  # a published guide is public
    test_unauthorised = None
    test_out_of_scope = None  # no scope; a draft or retired one is simply not found (below)

    @pytest.fixture
    def case(self, guides):
        return Case(method="get", url=f"{BASE}/items/{guides['yujiang'].code}", authorised=None,
                    bad_url=f"{BASE}/items/not-a-code")

    def test_in_scope(self, case, guides):
        body = api_client(None).get(case.url).json()
        assert body["code"] == guides["yujiang"].code and body["legal_basis"] == "《婚姻登记条例》第四条"
        assert [m["name"] for m in body["materials"]] == ["居民身份证", "签字声明"]
        assert body["themes"][0]["code"] == "person-marriage" and body["form"]["pages"][0]["key"] == "applicant"
        assert body["process_steps"][0]["name"] == "受理" and body["department_name"] == "余江区民政局"

    def test_a_draft_is_not_found(self, guides):
        assert_error(api_client(None).get(f"{BASE}/items/{guides['draft'].code}"), 404, "not_found")


class TestThemes(ApiContract):
    test_anonymous = None  # the themes are public reference data
    test_unauthorised = None
    test_out_of_scope = None  # without scope

    @pytest.fixture
    def case(self, guides):
        return Case(method="get", url=f"{BASE}/themes?audience=person", authorised=None,
                    bad_url=f"{BASE}/themes?audience=martian")

    def test_in_scope(self, case, guides):
        themes = {t["code"]: t for t in api_client(None).get(case.url).json()}
        assert themes["person-marriage"]["count"] == 2 and themes["person-marriage"]["name"] == "婚姻登记"
        assert all(t["audience"] == "person" for t in themes.values())


# --- officials: implementations ------------------------------------------------------------------------------
class TestListImplementations(ApiContract):
    test_out_of_scope = None  # a list has no object to miss: the scope filters it (test_in_scope)

    @pytest.fixture
    def case(self, world, guides):
        return Case(method="get", url=f"{BASE}/implementations", authorised=world.yujiang_admin,
                    unauthorised=world.official, bad_url=f"{BASE}/implementations?status=nope")

    def test_in_scope(self, case, guides):
        body = api_client(case.authorised).get(case.url).json()
        assert {i["code"] for i in body["items"]} == {guides["yujiang"].code, guides["draft"].code}
        drafts = api_client(case.authorised).get(f"{case.url}?status=draft").json()
        assert [i["code"] for i in drafts["items"]] == [guides["draft"].code]
        assert drafts["items"][0]["url"] == f"{BASE}/implementations/{guides['draft'].code}"


class TestCreateImplementation(ApiContract):
    @pytest.fixture
    def case(self, world):
        give_credit_codes(YUJIANG_CIVIL, GUIXI_CIVIL)
        return Case(method="post", url=f"{BASE}/implementations", authorised=world.yujiang_admin,
                    unauthorised=world.official, payload=payload(), ok_status=201,
                    bad_payload=payload(case_kind="sometimes"))

    def test_out_of_scope(self, case, world):
        """A department outside the official's scope: refused (a write, so 403 out_of_scope)."""
        assert_error(post(case.authorised, case.url, payload(GUIXI_CIVIL)), 403, "out_of_scope")

    def test_in_scope(self, case):
        response = post(case.authorised, case.url, case.payload)
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["status"] == "draft" and body["version"] == 1 and body["fees"][0]["amount"] == "9.00"
        assert Implementation.objects.get(code=body["code"]).materials.count() == 1
        assert audited("services.implementation.create")

    def test_every_wrong_field_is_named(self, case):
        response = post(case.authorised, case.url, payload(case_kind="promised", promised_limit=0,
                                                           code="1" * 31, themes=["nothing"]))
        body = assert_error(response, 422, "invalid")
        assert {"code", "promised_limit", "themes"} <= set(body["details"])


class TestGetImplementation(ApiContract):
    @pytest.fixture
    def case(self, world, guides):
        return Case(method="get", url=f"{BASE}/implementations/{guides['draft'].code}",
                    authorised=world.yujiang_admin, unauthorised=world.citizen,
                    out_of_scope_url=f"{BASE}/implementations/{guides['guixi'].code}",
                    bad_url=f"{BASE}/implementations/x")

    def test_in_scope(self, case, guides):
        body = api_client(case.authorised).get(case.url).json()
        assert body["status"] == "draft" and body["code"] == guides["draft"].code and body["is_demo"] is False


class TestUpdateImplementation(ApiContract):
    @pytest.fixture
    def case(self, world, guides):
        return Case(method="put", url=f"{BASE}/implementations/{guides['yujiang'].code}",
                    authorised=world.yujiang_admin, unauthorised=world.official,
                    out_of_scope_url=f"{BASE}/implementations/{guides['guixi'].code}",
                    payload=payload(place="新的办理地点"), bad_payload=payload(visits=99))

    def test_in_scope(self, case, guides):
        response = api_client(case.authorised).put(case.url, data=json.dumps(case.payload),
                                                   content_type="application/json")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["place"] == "新的办理地点" and body["version"] == 3 and body["status"] == "published"
        assert [m["name"] for m in body["materials"]] == ["居民身份证"]


class TestPublish(ApiContract):
    @pytest.fixture
    def case(self, world, guides):
        return Case(method="post", url=f"{BASE}/implementations/{guides['draft'].code}/publish",
                    authorised=world.yujiang_admin, unauthorised=world.official, payload={"reason": "上线"},
                    out_of_scope_url=f"{BASE}/implementations/{guides['guixi'].code}/publish",
                    bad_payload={"reason": 5})

    def test_in_scope(self, case, guides):
        response = post(case.authorised, case.url, case.payload)
        assert response.status_code == 200 and response.json()["status"] == "published"
        assert_error(post(case.authorised, case.url, case.payload), 409)


class TestRetire(ApiContract):
    @pytest.fixture
    def case(self, world, guides):
        return Case(method="post", url=f"{BASE}/implementations/{guides['yujiang'].code}/retire",
                    authorised=world.yujiang_admin, unauthorised=world.official, payload={"reason": "事项取消"},
                    out_of_scope_url=f"{BASE}/implementations/{guides['guixi'].code}/retire",
                    bad_payload={"reason": ""})

    def test_in_scope(self, case, guides):
        response = post(case.authorised, case.url, case.payload)
        assert response.status_code == 200 and response.json()["status"] == "retired"
        assert_error(api_client(None).get(f"{BASE}/items/{guides['yujiang'].code}"), 404)


class TestVersions(ApiContract):
    @pytest.fixture
    def case(self, world, guides):
        return Case(method="get", url=f"{BASE}/implementations/{guides['yujiang'].code}/versions",
                    authorised=world.yujiang_admin, unauthorised=world.official,
                    out_of_scope_url=f"{BASE}/implementations/{guides['guixi'].code}/versions",
                    bad_url=f"{BASE}/implementations/x/versions")

    def test_in_scope(self, case):
        body = api_client(case.authorised).get(case.url).json()
        assert [v["action"] for v in body] == ["publish", "create"] and body[0]["actor"] == "t_admin"
        assert body[1]["snapshot"]["materials"][0]["name"] == "居民身份证"


class TestExport(ApiContract):
    test_out_of_scope = None  # the export is of the official's scope (test_in_scope)

    @pytest.fixture
    def case(self, world, guides):
        return Case(method="get", url=f"{BASE}/implementations/export", authorised=world.yujiang_admin,
                    unauthorised=world.official, bad_url=f"{BASE}/implementations/export?type=zz")

    def test_in_scope(self, case, guides):
        from openpyxl import load_workbook

        response = api_client(case.authorised).get(case.url)
        assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
        ws = load_workbook(io.BytesIO(response.content))["实施清单"]
        assert {ws.cell(r, 1).value for r in range(2, ws.max_row + 1)} == {guides["yujiang"].code,
                                                                           guides["draft"].code}
        template = api_client(case.authorised).get(f"{BASE}/implementations/template")
        assert template.status_code == 200 and load_workbook(io.BytesIO(template.content)).sheetnames == [
            "实施清单", "申请材料"]
        assert_error(api_client(case.unauthorised).get(f"{BASE}/implementations/template"), 403)


class TestImport(ApiContract):
    """Multipart uploads: each contract test sends the file itself."""

    @pytest.fixture
    def case(self, world, guides):
        return Case(method="post", url=f"{BASE}/implementations/import", authorised=world.admin,
                    unauthorised=world.official)

    @staticmethod
    def upload(user, data: bytes, name="list.xlsx", query=""):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return api_client(user).post(f"{BASE}/implementations/import{query}",
                                     {"file": SimpleUploadedFile(name, data)})

    def test_anonymous(self, case):
        assert_error(self.upload(None, importer.template_xlsx()), 401, "not_authenticated")

    def test_unauthorised(self, case):
        assert_error(self.upload(case.unauthorised, importer.template_xlsx()), 403)

    def test_out_of_scope(self, case, world, guides):
        """Rows outside the importer's scope are row errors (the file is not written)."""
        data = importer.export_items(Implementation.objects.all())
        body = self.upload(world.yujiang_admin, data).json()
        assert body["ok"] is False and body["committed"] is False
        guixi_row = 2 + sorted(Implementation.objects.values_list("code", flat=True)).index(guides["guixi"].code)
        assert {e["row"] for e in body["errors"]} == {guixi_row} and body["errors"][0]["sheet"] == "实施清单"

    def test_in_scope(self, case, guides):
        data = importer.export_items(Implementation.objects.all())
        dry = self.upload(case.authorised, data, query="?dry_run=true").json()
        assert dry["ok"] and not dry["committed"]
        body = self.upload(case.authorised, data).json()
        assert body["ok"] and body["committed"] and body["unchanged"] == 3 and body["materials"] == 6

    def test_bad_input(self, case):
        assert_error(self.upload(case.authorised, b"%PDF-1.4", name="list.pdf"), (400, 422))
        assert_error(api_client(case.authorised).post(f"{BASE}/implementations/import", {}), (400, 422))


# --- officials: the base catalog ----------------------------------------------------------------------------
ITEM = {"base_code": "362000001000", "name": "城乡居民基本养老保险参保登记", "item_type": "20",
        "legal_basis": "《中华人民共和国社会保险法》第二十条"}


class TestBaseItems(ApiContract):
    test_out_of_scope = None  # the base catalog is platform-wide reference data

    @pytest.fixture
    def case(self, world, guides):
        return Case(method="get", url=f"{BASE}/base-items?q=结婚", authorised=world.yujiang_admin,
                    unauthorised=world.official, bad_url=f"{BASE}/base-items?type=x")

    def test_in_scope(self, case):
        body = api_client(case.authorised).get(case.url).json()
        assert body["count"] == 1 and body["items"][0]["base_code"] == "360700001000"


class TestCreateBaseItem(ApiContract):
    test_out_of_scope = None  # reference data without scope

    @pytest.fixture
    def case(self, world):
        return Case(method="post", url=f"{BASE}/base-items", authorised=world.admin, unauthorised=world.official,
                    payload=ITEM, ok_status=201, bad_payload={**ITEM, "base_code": "123"})

    def test_in_scope(self, case):
        response = post(case.authorised, case.url, case.payload)
        assert response.status_code == 201 and ServiceItem.objects.filter(base_code="362000001000").exists()
        assert_error(post(case.authorised, case.url, case.payload), (409, 422))


class TestUpdateBaseItem(ApiContract):
    test_out_of_scope = None  # reference data without scope

    @pytest.fixture
    def case(self, world, guides):
        body = {**ITEM, "base_code": "360700001000", "name": "内地居民结婚登记", "item_type": "07",
                "keywords": "领证"}
        return Case(method="put", url=f"{BASE}/base-items/360700001000", authorised=world.admin,
                    unauthorised=world.official, payload=body, bad_url=f"{BASE}/base-items/x")

    def test_in_scope(self, case, guides):
        response = api_client(case.authorised).put(case.url, data=json.dumps(case.payload),
                                                   content_type="application/json")
        assert response.status_code == 200 and response.json()["keywords"] == "领证"
        assert api_client(None).get(f"{BASE}/items?q=领证").json()["count"] == 2
