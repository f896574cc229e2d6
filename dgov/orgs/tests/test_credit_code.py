"""A department's unified social credit code (GB 32100): optional, checked, normalised, unique, on the
edit page, in the API and in the import; the department list still loads without it."""

import json

import pytest

from dgov.accounts.testing import api_client
from dgov.core.testing import assert_error, signed_in, zh
from dgov.core.validators import credit_code_check_char
from dgov.orgs.models import Department
from dgov.orgs.services import load_departments

pytestmark = pytest.mark.django_db
YUJIANG_GOV = "360603000"


def code(body17: str = "11360603MB1234567") -> str:
    return body17 + credit_code_check_char(body17)


def patch(user, dept, payload):
    return api_client(user).patch(f"/api/v1/departments/{dept}", data=json.dumps(payload),
                                  content_type="application/json")


def test_the_api_checks_normalises_and_shows_it(world):
    good = code()
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    body = assert_error(patch(world.yujiang_admin, YUJIANG_GOV, {"credit_code": wrong}), 422)
    assert body["details"]["credit_code"] == [zh("The check character of the unified social credit code is wrong; "
                                                 "please check the code.")]
    fullwidth = good.lower().translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    answer = patch(world.yujiang_admin, YUJIANG_GOV, {"credit_code": fullwidth})
    assert answer.status_code == 200 and answer.json()["credit_code"] == good
    assert Department.objects.get(code=YUJIANG_GOV).credit_code == good
    other = assert_error(patch(world.yujiang_admin, "360603901", {"credit_code": good}), 422)
    assert "credit_code" in other["details"] or "__all__" in other["details"]
    assert patch(world.yujiang_admin, YUJIANG_GOV, {"credit_code": ""}).json()["credit_code"] == ""


def test_the_edit_page_has_it(world):
    client = signed_in(world.yujiang_admin)
    page = client.get(f"/system/departments/{YUJIANG_GOV}/edit/")
    assert page.status_code == 200 and 'name="credit_code"' in page.content.decode()
    dept = Department.objects.select_related("region", "parent").get(code=YUJIANG_GOV)
    data = {"code": dept.code, "name": dept.name, "short_name": dept.short_name, "doc_prefix": dept.doc_prefix,
            "kind": dept.kind, "region": dept.region.code, "parent": dept.parent.code, "note": dept.note,
            "is_active": "on", "credit_code": "91360603MA35XXXXX0"}
    assert client.post(f"/system/departments/{YUJIANG_GOV}/edit/", data).status_code == 422
    assert client.post(f"/system/departments/{YUJIANG_GOV}/edit/", {**data, "credit_code": code()}).status_code == 302
    detail = client.get(f"/system/departments/{YUJIANG_GOV}/").content.decode()
    assert code() in detail


def test_the_department_list_loads_and_keeps_the_code():
    Department.objects.filter(code=YUJIANG_GOV).update(credit_code=code())
    load_departments(update=True)
    assert Department.objects.get(code=YUJIANG_GOV).credit_code == code()
