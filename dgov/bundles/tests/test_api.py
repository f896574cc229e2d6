"""`/api/v1/services/bundles`: the public list and bundle, and the applicant's applications (the
contract of each endpoint, and what it answers)."""

import pytest

from dgov.accounts.testing import api_client
from dgov.bundles.models import BundleApplication
from dgov.bundles.tests.conftest import ANSWERS
from dgov.cases.models import Case as CaseModel
from dgov.core.testing import ApiContract, Case, call

URL = "/api/v1/services/bundles"


class TestCreateApplication(ApiContract):
    test_out_of_scope = None  # applicants apply for any published bundle: there is no scope to leave

    @pytest.fixture
    def case(self, world, bundle):
        return Case(method="post", url=f"{URL}/applications", authorised=world.citizen, unauthorised=world.official,
                    payload={"bundle": bundle.code, "answers": ANSWERS},
                    bad_payload={"bundle": "", "answers": []}, ok_status=201)


class TestListApplications(ApiContract):
    test_out_of_scope = None  # a list of one's own: another's are simply not in it (tested below)

    @pytest.fixture
    def case(self, world, bundle):
        return Case(method="get", url=f"{URL}/applications", authorised=world.citizen,
                    unauthorised=world.official, bad_url=f"{URL}/applications?limit=-5")


def test_the_public_list_and_bundle(db, bundle, members):
    client = api_client(None)
    listed = client.get(URL).json()
    assert listed["count"] == 1 and listed["items"][0]["code"] == bundle.code and listed["items"][0]["members"] == 3
    body = client.get(f"{URL}/{bundle.code}").json()
    assert [m["implementation"] for m in body["implementations"]] == [m.code for m in members]
    assert [f["key"] for pg in body["form"]["pages"] for f in pg["fields"]] == ["name", "reason", "extra", "years"]
    shared = next(m for m in body["materials"] if m["name"] == "申请书")
    assert shared["implementations"] == [members[0].code, members[1].code]
    assert body["limit_days"] == 10 and body["limit_unit"] == "working"
    assert client.get(f"{URL}/nope").status_code == 404
    assert client.get(f"{URL}?limit=-1").status_code in (400, 422)


def test_a_draft_bundle_is_not_public(world, bundle):
    from dgov.bundles import services

    services.set_status(actor=world.admin, bundle=bundle, status="draft")
    assert api_client(None).get(f"{URL}/{bundle.code}").status_code == 404
    response = call(api_client(world.citizen), "post", f"{URL}/applications", {"bundle": bundle.code})
    assert response.status_code == 422 and "bundle" in response.json()["details"]


def test_submitting_through_the_api_names_the_missing_materials_and_writes_nothing(world, bundle):
    response = call(api_client(world.citizen), "post", f"{URL}/applications",
                    {"bundle": bundle.code, "answers": ANSWERS, "submit": True})
    assert response.status_code == 422
    assert "materials" in response.json()["details"]
    assert not BundleApplication.objects.exists() and not CaseModel.objects.exists()


def test_the_list_holds_only_ones_own(world, bundle):
    from dgov.accounts.testing import make_citizen
    from dgov.bundles import services
    from dgov.bundles.tests.conftest import ready_application

    application = services.submit(actor=world.citizen, application=ready_application(world.citizen, bundle))
    mine = api_client(world.citizen).get(f"{URL}/applications").json()
    assert mine["count"] == 1 and mine["items"][0]["reference"] == application.reference
    assert len(mine["items"][0]["cases"]) == 3 and mine["items"][0]["state"] == "in_progress"
    assert api_client(make_citizen("other")).get(f"{URL}/applications").json()["count"] == 0
