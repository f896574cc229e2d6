import pytest

from dgov.accounts.testing import api_client
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS
from dgov.core.testing import ApiContract, Case, assert_error, call
from dgov.opendata import services
from dgov.opendata.models import DatasetStatus, OpenDataset
from dgov.opendata.testing import make_open_entry

BASE = "/api/v1/opendata"


@pytest.fixture
def mine(editor):
    return services.prepare(actor=editor, entry=make_open_entry(rows=3))


@pytest.fixture
def theirs(outsider):
    entry = make_open_entry(name="贵溪市养老机构", rows=3, department_code=GUIXI_CIVIL_AFFAIRS)
    return services.prepare(actor=outsider, entry=entry)


class TestList(ApiContract):
    @pytest.fixture
    def case(self, editor, official, mine, theirs):
        return Case(method="get", url=f"{BASE}/datasets", authorised=editor, unauthorised=official,
                    bad_url=f"{BASE}/datasets?status=nope")

    def test_out_of_scope(self, case):
        body = call(api_client(case.authorised), "get", case.url).json()
        assert [d["title"] for d in body["items"]] == ["养老机构名录"] and body["count"] == 1


class TestDetail(ApiContract):
    @pytest.fixture
    def case(self, editor, official, mine, theirs):
        return Case(method="get", url=f"{BASE}/datasets/{mine.pk}", authorised=editor, unauthorised=official,
                    out_of_scope_url=f"{BASE}/datasets/{theirs.pk}", bad_url=f"{BASE}/datasets/{2**63}")

    def test_shape(self, case, mine):
        body = call(api_client(case.authorised), "get", case.url).json()
        assert body["name"] == mine.name and body["status"] == "draft" and body["entry"] == mine.entry.code
        assert {"name": "fzrsj", "item": "负责人手机", "mask": "phone"} in body["columns"]
        assert [e["action"] for e in body["events"]] == ["prepare"]


class TestCreate(ApiContract):
    @pytest.fixture
    def case(self, editor, official):
        entry = make_open_entry(rows=2)
        other = make_open_entry(name="贵溪市养老机构", rows=2, department_code=GUIXI_CIVIL_AFFAIRS)
        payload = {"entry": entry.code, "topics": ["livelihood"], "keywords": ["养老"]}
        return Case(method="post", url=f"{BASE}/datasets", authorised=editor, unauthorised=official,
                    payload=payload, ok_status=201, bad_payload={**payload, "topics": ["no-such-topic"]},
                    extra={"other": other})

    def test_out_of_scope(self, case):
        payload = {**case.payload, "entry": case.extra["other"].code}
        assert_error(call(api_client(case.authorised), "post", case.url, payload), 404)

    def test_twice_and_closed_entries(self, case):
        client = api_client(case.authorised)
        assert call(client, "post", case.url, case.payload).status_code == 201
        assert_error(call(client, "post", case.url, case.payload), 422, "exists")


class TestSubmit(ApiContract):
    @pytest.fixture
    def case(self, editor, official, mine, theirs):
        return Case(method="post", url=f"{BASE}/datasets/{mine.pk}/submit", authorised=editor,
                    unauthorised=official, out_of_scope_url=f"{BASE}/datasets/{theirs.pk}/submit",
                    bad_url=f"{BASE}/datasets/0/submit")

    def test_personal_data_blocks_with_the_column_named(self, case, mine):
        from dgov.aggregation.models import DatasetColumn

        DatasetColumn.objects.filter(dataset__entry=mine.entry, name="fzrsj").update(mask="none")
        body = assert_error(call(api_client(case.authorised), "post", case.url), 422, "personal_data")
        assert "负责人手机" in body["details"]["columns"][0]
        assert OpenDataset.objects.get(pk=mine.pk).scan["findings"][0]["column"] == "fzrsj"


class TestReview(ApiContract):
    @pytest.fixture
    def case(self, editor, reviewer, mine):
        services.submit(actor=editor, dataset=mine)
        return Case(method="post", url=f"{BASE}/datasets/{mine.pk}/review", authorised=reviewer,
                    unauthorised=editor, payload={"decision": "publish"}, bad_payload={"decision": "maybe"})

    def test_out_of_scope(self, case):
        assert_error(call(api_client(case.authorised), "post", f"{BASE}/datasets/{2**40}/review", case.payload),
                     404)

    def test_return_needs_a_note(self, case, mine):
        client = api_client(case.authorised)
        assert_error(call(client, "post", case.url, {"decision": "return"}), 422)
        body = call(client, "post", case.url, {"decision": "return", "note": "请补充说明"}).json()
        assert body["status"] == DatasetStatus.DRAFT and body["events"][-1]["note"] == "请补充说明"


class TestWithdraw(ApiContract):
    @pytest.fixture
    def case(self, editor, official, reviewer, mine, theirs):
        services.submit(actor=editor, dataset=mine)
        services.review(actor=reviewer, dataset=mine, approve=True)
        return Case(method="post", url=f"{BASE}/datasets/{mine.pk}/withdraw", authorised=editor,
                    unauthorised=official, out_of_scope_url=f"{BASE}/datasets/{theirs.pk}/withdraw",
                    payload={"note": "数据有误"}, bad_payload={"note": ""})


def test_topics_are_listed(editor):
    body = api_client(editor).get(f"{BASE}/topics").json()
    assert body[0]["code"] == "livelihood" and {"credit", "industry", "business", "health"} <= {t["code"] for t in body}
