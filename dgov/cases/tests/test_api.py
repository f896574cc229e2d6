"""`/api/v1/services/cases`: the contract of every endpoint (anonymous, unauthorised, out of scope, in
scope, bad input), and what each answers: the applicant's and the official's views of a case, the
transitions with 422 and the allowed list, and an application with an e-licence (免证办) through the API."""

import pytest

from dgov.accounts.testing import api_client, make_citizen
from dgov.cases import services
from dgov.cases.models import Case as CaseModel
from dgov.cases.models import CaseEvent
from dgov.cases.testing import ANSWERS, GUIXI_APPROVAL, make_implementation, make_officials, submitted_case
from dgov.core.testing import ApiContract, Case, assert_error, call

URL = "/api/v1/services/cases"


@pytest.fixture
def officials(db):
    return make_officials()


@pytest.fixture
def impl(db):
    return make_implementation()


@pytest.fixture
def yujiang_case(world, impl):
    return submitted_case(world.citizen, impl)


@pytest.fixture
def guixi_case(world):
    return submitted_case(world.citizen, make_implementation(department_code=GUIXI_APPROVAL))


class TestCreateCase(ApiContract):
    test_out_of_scope = None  # applicants apply for any published item: there is no scope to leave

    @pytest.fixture
    def case(self, world):
        impl = make_implementation(materials=[])
        return Case(method="post", url=URL, authorised=world.citizen, unauthorised=world.official,
                    payload={"implementation": impl.code, "answers": ANSWERS, "submit": True},
                    bad_payload={"implementation": "", "answers": []}, ok_status=201)


class TestListCases(ApiContract):
    test_out_of_scope = None  # a list: what is out of scope is simply not in it (tested below)

    @pytest.fixture
    def case(self, world, officials, yujiang_case):
        return Case(method="get", url=URL, authorised=officials.intake, unauthorised=world.official,
                    bad_url=f"{URL}?warning=purple")


class TestGetCase(ApiContract):
    @pytest.fixture
    def case(self, world, officials, yujiang_case, guixi_case):
        return Case(method="get", url=f"{URL}/{yujiang_case.reference}", authorised=officials.intake,
                    unauthorised=world.official, out_of_scope_url=f"{URL}/{guixi_case.reference}",
                    bad_url=f"{URL}/not-a-reference")


class TestTransition(ApiContract):
    @pytest.fixture
    def case(self, world, officials, yujiang_case, guixi_case):
        return Case(method="post", url=f"{URL}/{yujiang_case.reference}/transitions", authorised=officials.intake,
                    unauthorised=world.official, out_of_scope_url=f"{URL}/{guixi_case.reference}/transitions",
                    payload={"action": "accept"}, bad_payload={"action": "fly"})


def test_create_a_draft_then_see_it_in_my_cases(world, impl):
    client = api_client(world.citizen)
    response = call(client, "post", URL, {"implementation": impl.code, "answers": {"name": "李娜"}})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "draft" and body["reference"] is None and body["answers"]["name"] == "李娜"
    listed = client.get(URL).json()
    assert listed["count"] == 1 and listed["items"][0]["state"] == "draft"


def test_create_and_submit_names_what_is_missing(world, impl):
    response = call(api_client(world.citizen), "post", URL,
                    {"implementation": impl.code, "answers": ANSWERS, "submit": True})
    body = assert_error(response, 422, "invalid")
    assert "materials" in body["details"]
    assert not CaseModel.objects.filter(applicant=world.citizen).exists()  # nothing half-made is left


def test_unknown_implementation_is_422(world):
    body = assert_error(call(api_client(world.citizen), "post", URL, {"implementation": "NOPE"}), 422)
    assert "implementation" in body["details"]


def test_submitted_case_has_reference_and_clock(world):
    impl = make_implementation(materials=[])
    body = call(api_client(world.citizen), "post", URL,
                {"implementation": impl.code, "answers": ANSWERS, "submit": True}).json()
    assert body["state"] == "submitted" and body["reference"].startswith("YT")
    assert body["intake_due_on"] and body["limit_days"] == 10 and body["warning"] in ("ok", "yellow", "red")
    assert [e["action"] for e in body["history"]] == ["start", "submit"]
    assert body["allowed_actions"] == ["withdraw"]


def test_the_applicant_sees_public_events_and_officials_all(world, officials, yujiang_case):
    services.transition(actor=officials.intake, case=yujiang_case, action="accept")
    CaseEvent.objects.create(case=yujiang_case, action="escalate", to_state="accepted", public=False)
    mine = api_client(world.citizen).get(f"{URL}/{yujiang_case.reference}").json()
    theirs = api_client(officials.intake).get(f"{URL}/{yujiang_case.reference}").json()
    assert "escalate" not in [e["action"] for e in mine["history"]]
    assert [e["action"] for e in theirs["history"]][-1] == "escalate"
    assert mine["allowed_actions"] == ["withdraw"] and "deliver" not in theirs["allowed_actions"]
    accept = next(e for e in mine["history"] if e["action"] == "accept")
    assert accept["by"] == "" or accept["by"] == officials.intake.department.name  # never the official's name


def test_another_citizen_gets_404(world, yujiang_case):
    stranger = make_citizen("c_api_stranger")
    assert_error(api_client(stranger).get(f"{URL}/{yujiang_case.reference}"), 404, "not_found")
    assert_error(call(api_client(stranger), "post", f"{URL}/{yujiang_case.reference}/transitions",
                      {"action": "accept"}), 404)


def test_transition_not_allowed_in_the_state_is_422_with_the_allowed_list(officials, yujiang_case):
    response = call(api_client(officials.all_roles), "post", f"{URL}/{yujiang_case.reference}/transitions",
                    {"action": "approve"})
    body = assert_error(response, 422, "not_allowed")
    assert body["details"]["allowed"] == ["accept", "not_accept", "request_correction"]


def test_transition_reason_and_correction_items(world, officials, yujiang_case):
    client = api_client(officials.intake)
    url = f"{URL}/{yujiang_case.reference}/transitions"
    body = assert_error(call(client, "post", url, {"action": "not_accept"}), 422)
    assert "reason" in body["details"]
    material = yujiang_case.implementation.materials.get()
    response = call(client, "post", url, {"action": "request_correction", "reason": "见清单",
                                          "items": [{"material": material.pk, "reason": "不清晰"}]})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "correction"
    assert response.json()["history"][-1]["data"]["items"][0]["name"] == material.name


def test_lists_are_scoped(world, officials, yujiang_case, guixi_case):
    mine = api_client(world.citizen).get(URL).json()
    assert {c["reference"] for c in mine["items"]} == {yujiang_case.reference, guixi_case.reference}
    inbox = api_client(officials.intake).get(URL).json()
    assert [c["reference"] for c in inbox["items"]] == [yujiang_case.reference]
    assert api_client(officials.guixi).get(f"{URL}?state=submitted").json()["count"] == 1
    assert api_client(officials.intake).get(f"{URL}?warning=overdue").json()["count"] == 0


def test_apply_with_an_e_licence_through_the_api(world):
    from dgov.licenses import services as license_services
    from dgov.licenses.models import LicenseType
    from dgov.licenses.tests.conftest import DEFINING, FIELDS, GUIXI, YUJIANG, give_credit_codes, issue, make_seal
    from dgov.orgs.models import Department

    give_credit_codes(DEFINING, YUJIANG, GUIXI)
    departments = {code: Department.objects.get(code=code) for code in (DEFINING, YUJIANG)}
    t = license_services.type_save(actor=world.admin, license_type=LicenseType(
        name="居住证", defining_department=departments[DEFINING], holder_kind="person", fields=FIELDS,
        validity_months=12, face={"title": "居住证"}), issuing_departments=[departments[YUJIANG]])
    make_seal(world.admin, departments[YUJIANG])
    licence = issue(world.yujiang_admin, t, departments[YUJIANG], world.citizen)
    impl = make_implementation(materials=[{"name": "居住证", "license_type": t}])
    material = impl.materials.get()
    response = call(api_client(world.citizen), "post", URL, {
        "implementation": impl.code, "answers": ANSWERS, "submit": True,
        "materials": [{"material": material.pk, "licence": licence.identifier}]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "submitted"
    assert body["materials"][0]["kind"] == "licence"
    assert body["materials"][0]["license_identifier"] == licence.identifier


def test_the_list_reads_the_calendar_once_whatever_its_length(world, officials, impl):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_client(officials.intake)
    client.get(URL)  # the token and grants are cached after the first call

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    submitted_case(world.citizen, impl)
    one = queries()
    for _ in range(4):
        submitted_case(world.citizen, impl)
    assert client.get(URL).json()["count"] == 5
    assert queries() == one
