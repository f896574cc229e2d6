"""`/api/v1/catalog/responsibilities`: the contract of every endpoint, and bad input — a missing
legal basis, another department's entry, an unknown resource code, an unknown department."""

import pytest

from dgov.accounts.testing import api_client
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, YUJIANG_CIVIL_AFFAIRS, make_entry
from dgov.core.testing import ApiContract, Case, assert_error, audited, call
from dgov.duties.models import DataDuty
from dgov.duties.testing import make_duty

BASE = "/api/v1/catalog/responsibilities"


def new_duty(**fields) -> dict:
    return {"department_code": YUJIANG_CIVIL_AFFAIRS, "duty": "婚姻登记", "data_name": "结婚登记、离婚登记记录",
            "legal_basis": "《婚姻登记条例》第二条", "update_cycle": "daily", **fields}


# --- the contract, per endpoint -----------------------------------------------------------------
class TestList(ApiContract):
    @pytest.fixture
    def case(self, world, editor):
        make_duty()
        return Case(method="get", url=f"{BASE}?unlinked=true&q=测试", authorised=editor, unauthorised=world.official,
                    bad_url=f"{BASE}?unlinked=perhaps")

    test_out_of_scope = None  # a list: see test_the_list_is_scoped_and_filtered


class TestGet(ApiContract):
    @pytest.fixture
    def case(self, world, editor):
        own, other = make_duty(), make_duty(department_code=GUIXI_CIVIL_AFFAIRS)
        return Case(method="get", url=f"{BASE}/{own.pk}", authorised=editor, unauthorised=world.official,
                    out_of_scope_url=f"{BASE}/{other.pk}", bad_url=f"{BASE}/abc")


class TestCreate(ApiContract):
    @pytest.fixture
    def case(self, reviewer, editor, own_entry):
        return Case(method="post", url=BASE, authorised=editor, unauthorised=reviewer,
                    payload=new_duty(entry_codes=[own_entry.code]), bad_payload=new_duty(legal_basis=""),
                    ok_status=201)

    # Creating names its department: another one is refused with 403 out_of_scope (the platform's rule
    # for writes), see test_a_department_creates_only_its_own_duties.
    test_out_of_scope = None


class TestUpdate(ApiContract):
    @pytest.fixture
    def case(self, reviewer, editor, own_entry):
        own, other = make_duty(), make_duty(department_code=GUIXI_CIVIL_AFFAIRS)
        return Case(method="patch", url=f"{BASE}/{own.pk}", authorised=editor, unauthorised=reviewer,
                    out_of_scope_url=f"{BASE}/{other.pk}", payload={"entry_codes": [own_entry.code]},
                    bad_payload={"update_cycle": "hourly"})


class TestDelete(ApiContract):
    @pytest.fixture
    def case(self, reviewer, editor):
        own, other = make_duty(), make_duty(department_code=GUIXI_CIVIL_AFFAIRS)
        return Case(method="delete", url=f"{BASE}/{own.pk}", authorised=editor, unauthorised=reviewer,
                    out_of_scope_url=f"{BASE}/{other.pk}", bad_url=f"{BASE}/abc", ok_status=204)


# --- behaviour ----------------------------------------------------------------------------------
def test_create_links_entries_and_answers_the_duty(editor, own_entry):
    response = call(api_client(editor), "post", BASE, new_duty(entry_codes=[own_entry.code]))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["department_code"] == YUJIANG_CIVIL_AFFAIRS and body["department_name"] == "余江区民政局"
    assert body["entry_codes"] == [own_entry.code] and body["flagged"] is False
    assert body["status"] == "active" and body["update_cycle"] == "daily"
    assert audited("duties.dataduty.create", object_id=str(body["id"])).actor_username == editor.username


@pytest.mark.parametrize("codes", [["307000000/999999"], "guixi"])
def test_linking_an_unknown_or_foreign_entry_is_refused(editor, own_entry, guixi_entry, codes):
    codes = [guixi_entry.code] if codes == "guixi" else codes
    body = assert_error(call(api_client(editor), "post", BASE, new_duty(entry_codes=[own_entry.code, *codes])),
                        422, "invalid")
    assert list(body["details"]) == ["entry_codes"]
    assert codes[0] in body["details"]["entry_codes"][0]
    assert not DataDuty.objects.exists()
    assert audited("api:POST /api/v1/catalog/responsibilities").outcome == "failed"


def test_a_missing_legal_basis_is_named(editor):
    payload = new_duty()
    del payload["legal_basis"]
    body = assert_error(call(api_client(editor), "post", BASE, payload), 422, "invalid")
    assert list(body["details"]) == ["legal_basis"]


def test_an_unknown_department_is_a_field_error(editor):
    body = assert_error(call(api_client(editor), "post", BASE, new_duty(department_code="999999999")), 422)
    assert list(body["details"]) == ["department_code"]


def test_a_department_creates_only_its_own_duties(editor):
    assert_error(call(api_client(editor), "post", BASE, new_duty(department_code=GUIXI_CIVIL_AFFAIRS)), 403,
                 "out_of_scope")


def test_update_replaces_the_links_only_when_given(editor, own_entry):
    duty = make_duty(entries=[own_entry])
    client = api_client(editor)
    response = call(client, "patch", f"{BASE}/{duty.pk}", {"contact": "婚姻登记处 0701-5888888"})
    assert response.status_code == 200 and response.json()["entry_codes"] == [own_entry.code]
    response = call(client, "patch", f"{BASE}/{duty.pk}", {"entry_codes": []})
    assert response.json()["entry_codes"] == [] and response.json()["flagged"] is True
    assert_error(call(client, "patch", f"{BASE}/{duty.pk}", {"legal_basis": ""}), 422)
    assert_error(call(client, "patch", f"{BASE}/{duty.pk}", {"department_code": GUIXI_CIVIL_AFFAIRS}), 403)


def test_the_list_is_scoped_and_filtered(editor, reviewer, own_entry, guixi_entry):
    linked = make_duty(entries=[own_entry], duty="婚姻登记")
    unlinked = make_duty(duty="殡葬管理")
    guixi = make_duty(department_code=GUIXI_CIVIL_AFFAIRS)
    make_duty(department_code=GUIXI_CIVIL_AFFAIRS, entries=[guixi_entry])

    def ids(user, query=""):
        body = api_client(user).get(f"{BASE}?limit=100{query}").json()
        assert body["count"] == len(body["items"])
        return {item["id"] for item in body["items"]}

    assert ids(editor) == {linked.pk, unlinked.pk}
    assert ids(editor, "&unlinked=true") == {unlinked.pk}
    assert ids(editor, "&unlinked=false") == {linked.pk}
    assert ids(editor, "&q=殡葬") == {unlinked.pk}
    assert ids(editor, f"&department={GUIXI_CIVIL_AFFAIRS}") == set()
    assert len(ids(reviewer)) == 4
    assert ids(reviewer, f"&department={GUIXI_CIVIL_AFFAIRS}&unlinked=true") == {guixi.pk}


def test_a_withdrawn_entry_no_longer_covers_the_duty(editor):
    entry = make_entry(status="withdrawn")
    duty = make_duty(entries=[entry])
    body = api_client(editor).get(f"{BASE}/{duty.pk}").json()
    assert body["entry_codes"] == [entry.code] and body["flagged"] is True
