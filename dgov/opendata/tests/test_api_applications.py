"""`/api/v1/opendata`: applications for conditional data (apply, mine, the provider department's list, one,
decide, revoke, withdraw; the agreement) and data requests (ask, the departments' list, answer)."""

import pytest

from dgov.accounts.testing import api_client, make_user
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, YUJIANG_CIVIL_AFFAIRS
from dgov.core.testing import ApiContract, Case, assert_error, audited, call, zh
from dgov.notifications.models import OutboxMessage
from dgov.opendata import applications, feedback
from dgov.opendata.models import AccessApplication, ApplicationStatus, DataRequest, RequestStatus
from dgov.opendata.testing import make_open_entry, make_published
from dgov.orgs.models import Department

BASE = "/api/v1/opendata"


@pytest.fixture
def other_citizen(db):
    return make_user("od_citizen2", kind="citizen")


@pytest.fixture
def guixi_conditional(db):
    """A published 有条件开放 dataset of 贵溪市民政局 (outside 余江区民政局's scope)."""
    return make_published(make_open_entry(name="贵溪市救助名单", open_type="conditional", rows=3,
                                          department_code=GUIXI_CIVIL_AFFAIRS))


def apply(actor, dataset, **fields):
    values = {"purpose": "研究救助政策覆盖情况", "scenario": "高校课题研究", "organisation": "江西某大学",
              "requested_days": 30, "agreed": True, **fields}
    return applications.apply(actor=actor, dataset=dataset, **values)


@pytest.fixture
def pending(conditional, citizen):
    return apply(citizen, conditional)


@pytest.fixture
def elsewhere(guixi_conditional, citizen):
    return apply(citizen, guixi_conditional)


# --- the agreement ---------------------------------------------------------------------------------------------
class TestAgreement(ApiContract):
    test_unauthorised = None  # every signed-in user may apply, so may read what they accept
    test_out_of_scope = None  # one text for everyone
    test_bad_input = None  # takes no input

    @pytest.fixture
    def case(self, citizen):
        return Case(method="get", url=f"{BASE}/agreement", authorised=citizen)

    def test_text_and_digest(self, case):
        body = call(api_client(case.authorised), "get", case.url).json()
        assert (body["text"], body["digest"]) == applications.agreement() and len(body["digest"]) == 64


# --- applications ----------------------------------------------------------------------------------------------
class TestListApplications(ApiContract):
    @pytest.fixture
    def case(self, editor, citizen, pending, elsewhere):
        return Case(method="get", url=f"{BASE}/applications", authorised=editor, unauthorised=citizen,
                    bad_url=f"{BASE}/applications?status=maybe")

    def test_out_of_scope(self, case, pending):
        body = call(api_client(case.authorised), "get", case.url).json()
        assert body["count"] == 1 and [a["id"] for a in body["items"]] == [pending.pk]
        item = body["items"][0]
        assert (item["dataset_title"], item["department"], item["status"]) == (
            "困难群众救助名单", "余江区民政局", "submitted")
        assert item["accesses"] is None  # the list leaves them out
        approved = call(api_client(case.authorised), "get", f"{case.url}?status=approved").json()
        assert approved == {"count": 0, "items": []}


class TestMyApplications(ApiContract):
    test_unauthorised = None  # every signed-in user has their own applications

    @pytest.fixture
    def case(self, citizen, pending, elsewhere, conditional, other_citizen):
        apply(other_citizen, conditional)
        return Case(method="get", url=f"{BASE}/my-applications", authorised=citizen,
                    bad_url=f"{BASE}/my-applications?limit=0")

    def test_out_of_scope(self, case, pending, elsewhere):
        body = call(api_client(case.authorised), "get", case.url).json()
        assert body["count"] == 2 and {a["id"] for a in body["items"]} == {pending.pk, elsewhere.pk}


class TestGetApplication(ApiContract):
    @pytest.fixture
    def case(self, editor, official, pending, elsewhere):
        return Case(method="get", url=f"{BASE}/applications/{pending.pk}", authorised=editor,
                    unauthorised=official, out_of_scope_url=f"{BASE}/applications/{elsewhere.pk}",
                    bad_url=f"{BASE}/applications/0")

    def test_the_applicant_reads_their_own_and_no_one_else(self, pending, citizen, other_citizen):
        body = call(api_client(citizen), "get", f"{BASE}/applications/{pending.pk}").json()
        assert body["purpose"] == "研究救助政策覆盖情况" and body["accesses"] == []
        assert body["agreement_digest"] == applications.agreement()[1]
        assert_error(call(api_client(other_citizen), "get", f"{BASE}/applications/{pending.pk}"), 403)


class TestCreateApplication(ApiContract):
    test_unauthorised = None  # every signed-in user may apply

    @pytest.fixture
    def case(self, citizen, conditional):
        payload = {"dataset": conditional.name, "purpose": "研究救助政策", "scenario": "课题研究",
                   "requested_days": 30, "agreed": True}
        return Case(method="post", url=f"{BASE}/applications", authorised=citizen, payload=payload,
                    ok_status=201, bad_payload={**payload, "agreed": False})

    def test_out_of_scope(self, case):
        body = assert_error(call(api_client(case.authorised), "post", case.url,
                                 {**case.payload, "dataset": "no-such-dataset"}), 404)
        assert body["message"] == zh("No published dataset has this name.")

    def test_created_kept_and_told(self, case, conditional, editor):
        body = call(api_client(case.authorised), "post", case.url, case.payload).json()
        application = AccessApplication.objects.get(pk=body["id"])
        assert (body["status"], body["dataset"], body["requested_days"]) == ("submitted", conditional.name, 30)
        assert application.agreement_digest == applications.agreement()[1]
        assert audited("opendata.accessapplication.create", object_id=str(application.pk))
        assert OutboxMessage.objects.filter(user=editor, subject__contains="困难群众救助名单").exists()
        assert_error(call(api_client(case.authorised), "post", case.url, case.payload), 409)  # one at a time

    def test_refusals(self, case):
        client = api_client(case.authorised)
        open_to_all = make_published(make_open_entry(name="养老机构名录", rows=2))
        assert_error(call(client, "post", case.url, {**case.payload, "dataset": open_to_all.name}), 409)
        body = assert_error(call(client, "post", case.url, {**case.payload, "agreed": False}), 422)
        assert "agreed" in body["details"]
        assert_error(call(client, "post", case.url, {**case.payload, "requested_days": 0}), 422)
        assert not AccessApplication.objects.exists()


class TestDecide(ApiContract):
    @pytest.fixture
    def case(self, editor, official, pending, elsewhere):
        return Case(method="post", url=f"{BASE}/applications/{pending.pk}/decide", authorised=editor,
                    unauthorised=official, out_of_scope_url=f"{BASE}/applications/{elsewhere.pk}/decide",
                    payload={"decision": "approve", "days": 10}, bad_payload={"decision": "reject", "reason": " "})

    def test_approve_grants_access(self, case, pending, citizen, conditional):
        body = call(api_client(case.authorised), "post", case.url, case.payload).json()
        assert body["status"] == "approved" and body["decided_by"] == case.authorised.username
        assert applications.active_application(citizen, conditional).pk == pending.pk
        assert OutboxMessage.objects.filter(user=citizen, subject__contains="困难群众救助名单").exists()
        assert_error(call(api_client(case.authorised), "post", case.url, case.payload), 409)  # decided once

    def test_the_applicant_cannot_decide(self, case, citizen):
        assert_error(call(api_client(citizen), "post", case.url, case.payload), 403)
        assert_error(call(api_client(case.authorised), "post", case.url, {"decision": "approve", "days": 31}), 422)
        assert AccessApplication.objects.get(pk=case.url.split("/")[-2]).status == ApplicationStatus.SUBMITTED


class TestRevoke(ApiContract):
    @pytest.fixture
    def case(self, editor, official, outsider, pending, elsewhere):
        applications.decide(actor=editor, application=pending, approve=True)
        applications.decide(actor=outsider, application=elsewhere, approve=True)
        return Case(method="post", url=f"{BASE}/applications/{pending.pk}/revoke", authorised=editor,
                    unauthorised=official, out_of_scope_url=f"{BASE}/applications/{elsewhere.pk}/revoke",
                    payload={"reason": "超出约定用途使用数据"}, bad_payload={"reason": ""})

    def test_access_ends(self, case, citizen, conditional):
        body = call(api_client(case.authorised), "post", case.url, case.payload).json()
        assert (body["status"], body["reason"]) == ("revoked", "超出约定用途使用数据")
        assert applications.active_application(citizen, conditional) is None


class TestWithdrawApplication(ApiContract):
    test_unauthorised = None  # every applicant may withdraw their own

    @pytest.fixture
    def case(self, citizen, conditional, pending, other_citizen):
        theirs = apply(other_citizen, conditional)
        return Case(method="post", url=f"{BASE}/applications/{pending.pk}/withdraw", authorised=citizen,
                    out_of_scope_url=f"{BASE}/applications/{theirs.pk}/withdraw",
                    bad_url=f"{BASE}/applications/x/withdraw")

    def test_withdrawn_once(self, case, pending, editor):
        assert call(api_client(case.authorised), "post", case.url).json()["status"] == "withdrawn"
        assert_error(call(api_client(case.authorised), "post", case.url), 409)
        assert_error(call(api_client(editor), "post", case.url), 404)  # the department does not withdraw it


# --- data requests -----------------------------------------------------------------------------------------------
@pytest.fixture
def asked(citizen):
    return feedback.request_create(actor=citizen, title="养老机构床位使用率", description="用于研究",
                                   department=Department.objects.get(code=YUJIANG_CIVIL_AFFAIRS))


@pytest.fixture
def asked_elsewhere(citizen):
    return feedback.request_create(actor=citizen, title="医疗机构名录", description="用于就医导航",
                                   department=Department.objects.get(code=GUIXI_CIVIL_AFFAIRS))


class TestListRequests(ApiContract):
    @pytest.fixture
    def case(self, editor, citizen, asked, asked_elsewhere):
        return Case(method="get", url=f"{BASE}/requests", authorised=editor, unauthorised=citizen,
                    bad_url=f"{BASE}/requests?status=maybe")

    def test_out_of_scope(self, case, asked):
        body = call(api_client(case.authorised), "get", case.url).json()
        assert body["count"] == 1 and body["items"][0]["id"] == asked.pk
        assert (body["items"][0]["department_code"], body["items"][0]["status"]) == (YUJIANG_CIVIL_AFFAIRS, "open")


class TestCreateRequest(ApiContract):
    test_unauthorised = None  # every signed-in user may ask
    test_out_of_scope = None  # any city or county department may be asked

    @pytest.fixture
    def case(self, citizen):
        payload = {"title": "养老机构床位使用率", "description": "用于研究养老服务供给",
                   "department": YUJIANG_CIVIL_AFFAIRS}
        return Case(method="post", url=f"{BASE}/requests", authorised=citizen, payload=payload, ok_status=201,
                    bad_payload={**payload, "department": "000000000"})

    def test_kept_and_public(self, case, client):
        body = call(api_client(case.authorised), "post", case.url, case.payload).json()
        assert (body["status"], body["department"]) == ("open", "余江区民政局")
        assert audited("opendata.datarequest.create", object_id=str(body["id"]))
        assert "养老机构床位使用率" in client.get("/open/requests/").content.decode()
        government = Department.objects.exclude(kind__in=feedback.ASKED_KINDS).first()  # not asked for data
        for bad in ({**case.payload, "title": ""}, {**case.payload, "department": government.code}):
            assert_error(call(api_client(case.authorised), "post", case.url, bad), 422)
        assert DataRequest.objects.count() == 1


class TestAnswerRequest(ApiContract):
    @pytest.fixture
    def case(self, editor, official, asked, asked_elsewhere):
        return Case(method="post", url=f"{BASE}/requests/{asked.pk}/answer", authorised=editor,
                    unauthorised=official, out_of_scope_url=f"{BASE}/requests/{asked_elsewhere.pk}/answer",
                    payload={"status": "planned", "answer": "已列入下季度开放计划"},
                    bad_payload={"status": "answered", "answer": "已开放", "dataset": "no-such-dataset"})

    def test_answer_names_the_dataset(self, case, asked):
        opened = make_published(make_open_entry(name="养老机构床位", rows=2))
        payload = {"status": "answered", "answer": "已开放", "dataset": opened.name}
        body = call(api_client(case.authorised), "post", case.url, payload).json()
        assert (body["status"], body["dataset"]) == ("answered", opened.name)
        asked.refresh_from_db()
        assert (asked.status, asked.answered_by_id) == (RequestStatus.ANSWERED, case.authorised.pk)
        assert audited("opendata.datarequest.answer", object_id=str(asked.pk))
