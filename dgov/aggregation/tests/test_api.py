"""The aggregation API: the contract of every endpoint (anonymous 401, unauthorised 403, out of scope
404, in scope 2xx, bad input 400/422 in the error shape), and what the responses hold (never a
password)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dgov.accounts.testing import api_client
from dgov.aggregation import services
from dgov.aggregation.models import SourceMapping
from dgov.aggregation.testing import make_dataset
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, make_entry
from dgov.core.testing import ApiContract, Case, assert_error, call

from .helpers import COLUMN_MAP, make_job, make_source, source_table

pytestmark = pytest.mark.django_db

SOURCES = "/api/v1/exchange/sources"
DATASETS = "/api/v1/exchange/datasets"
LOADS = "/api/v1/exchange/loads"


@pytest.fixture
def own(editor, settings):
    """余江区民政局's source, dataset and job."""
    url = f"sqlite:///{settings.DGOV_SOURCE_SQLITE_DIR / 'own.sqlite3'}"
    source_table(url)
    source = make_source(editor, url, "sqlite")
    job = make_job(editor, source)
    return source, job.dataset, job


@pytest.fixture
def other(outsider, settings):
    """贵溪市民政局's."""
    from dgov.aggregation.models import SourceDatabase
    from dgov.orgs.models import Department

    url = f"sqlite:///{settings.DGOV_SOURCE_SQLITE_DIR / 'other.sqlite3'}"
    source_table(url)
    source = services.source_save(actor=outsider, instance=SourceDatabase(
        department=Department.objects.get(code=GUIXI_CIVIL_AFFAIRS), name="贵溪源库", kind="sqlite", url=url))
    items = [{"name": "姓名", "data_type": "string", "length": 50},
             {"name": "公民身份号码", "data_type": "string", "length": 18}]
    dataset = make_dataset(entry=make_entry(department_code=GUIXI_CIVIL_AFFAIRS, status="published", items=items),
                           columns=[{"name": "sfzh", "item_name": "公民身份号码", "is_key": True}])
    job = services.mapping_save(actor=outsider, instance=SourceMapping(
        dataset=dataset, source=source, name="贵溪归集", source_table="residents", column_map={"sfzh": "id_no"}))
    run = services.run_load(actor=outsider, mapping=job)
    return source, dataset, job, run


# --- sources ---------------------------------------------------------------------------------------
class TestListSources(ApiContract):
    @pytest.fixture
    def case(self, world, editor, own):
        return Case(method="get", url=SOURCES, authorised=editor, unauthorised=world.official,
                    bad_url=f"{SOURCES}?kind=oracle")

    test_out_of_scope = None  # a list: see test_lists_hold_only_what_is_in_scope


class TestCreateSource(ApiContract):
    @pytest.fixture
    def case(self, world, editor, settings):
        url = f"sqlite:///{settings.DGOV_SOURCE_SQLITE_DIR / 'new.sqlite3'}"
        return Case(method="post", url=SOURCES, authorised=editor, unauthorised=world.official, ok_status=201,
                    payload={"name": "新源库", "kind": "sqlite", "url": url},
                    bad_payload={"name": "新源库", "kind": "sqlite", "url": "sqlite:////etc/passwd"})

    test_out_of_scope = None  # creating for another department is refused 403: test_create_for_another_department


class TestGetSource(ApiContract):
    @pytest.fixture
    def case(self, world, editor, own, other):
        return Case(method="get", url=f"{SOURCES}/{own[0].pk}", authorised=editor, unauthorised=world.official,
                    out_of_scope_url=f"{SOURCES}/{other[0].pk}", bad_url=f"{SOURCES}/x")


class TestUpdateSource(ApiContract):
    @pytest.fixture
    def case(self, world, editor, own, other):
        return Case(method="patch", url=f"{SOURCES}/{own[0].pk}", authorised=editor, unauthorised=world.official,
                    out_of_scope_url=f"{SOURCES}/{other[0].pk}", payload={"description": "改了"},
                    bad_payload={"url": "mysql://x@h/db"})


class TestDeleteSource(ApiContract):
    @pytest.fixture
    def case(self, world, editor, other, settings):
        url = f"sqlite:///{settings.DGOV_SOURCE_SQLITE_DIR / 'gone.sqlite3'}"
        source = make_source(editor, url, "sqlite", name="待删")
        return Case(method="delete", url=f"{SOURCES}/{source.pk}", authorised=editor, unauthorised=world.official,
                    out_of_scope_url=f"{SOURCES}/{other[0].pk}", bad_url=f"{SOURCES}/0", ok_status=204)


class TestTestSource(ApiContract):
    @pytest.fixture
    def case(self, world, editor, own, other):
        return Case(method="post", url=f"{SOURCES}/{own[0].pk}/test", authorised=editor,
                    unauthorised=world.official, out_of_scope_url=f"{SOURCES}/{other[0].pk}/test",
                    bad_url=f"{SOURCES}/-1/test")


class TestSourceTables(ApiContract):
    @pytest.fixture
    def case(self, world, editor, own, other):
        return Case(method="get", url=f"{SOURCES}/{own[0].pk}/tables", authorised=editor,
                    unauthorised=world.official, out_of_scope_url=f"{SOURCES}/{other[0].pk}/tables",
                    bad_url=f"{SOURCES}/99999999999999999999/tables")


class TestSourceColumns(ApiContract):
    @pytest.fixture
    def case(self, world, editor, own, other):
        return Case(method="get", url=f"{SOURCES}/{own[0].pk}/tables/residents/columns", authorised=editor,
                    unauthorised=world.official,
                    out_of_scope_url=f"{SOURCES}/{other[0].pk}/tables/residents/columns",
                    bad_url=f"{SOURCES}/{own[0].pk}/tables/a%60b/columns")


# --- datasets --------------------------------------------------------------------------------------
class TestListDatasets(ApiContract):
    @pytest.fixture
    def case(self, world, editor, own):
        return Case(method="get", url=DATASETS, authorised=editor, unauthorised=world.official,
                    bad_url=f"{DATASETS}?limit=0")

    test_out_of_scope = None


class TestCreateDataset(ApiContract):
    @pytest.fixture
    def case(self, world, editor, other):
        entry = make_entry(status="published", items=[{"name": "编号", "data_type": "string", "length": 10}])
        return Case(method="post", url=DATASETS, authorised=editor, unauthorised=world.official, ok_status=201,
                    payload={"entry_code": entry.code,
                             "columns": [{"name": "bh", "item_name": "编号", "is_key": True}]},
                    bad_payload={"entry_code": entry.code, "columns": [{"name": "Bad Name", "item_name": "编号"}]})

    test_out_of_scope = None  # another department's entry: 403, test_create_dataset_for_another_department


class TestGetDataset(ApiContract):
    @pytest.fixture
    def case(self, world, editor, own, other):
        return Case(method="get", url=f"{DATASETS}/{own[1].pk}", authorised=editor, unauthorised=world.official,
                    out_of_scope_url=f"{DATASETS}/{other[1].pk}", bad_url=f"{DATASETS}/abc")


class TestUpdateDataset(ApiContract):
    @pytest.fixture
    def case(self, world, editor, own, other):
        columns = [{"name": "xm", "item_name": "姓名", "mask": "partial"},
                   {"name": "sfzh", "item_name": "公民身份号码", "is_key": True}]
        return Case(method="patch", url=f"{DATASETS}/{own[1].pk}", authorised=editor, unauthorised=world.official,
                    out_of_scope_url=f"{DATASETS}/{other[1].pk}", payload={"columns": columns},
                    bad_payload={"columns": [{"name": "xm", "item_name": "姓名", "mask": "blur"}]})


# --- jobs and runs ------------------------------------------------------------------------------------
class TestListJobs(ApiContract):
    @pytest.fixture
    def case(self, world, editor, own):
        return Case(method="get", url=f"{LOADS}/jobs", authorised=editor, unauthorised=world.official,
                    bad_url=f"{LOADS}/jobs?dataset=0")

    test_out_of_scope = None


class TestCreateJob(ApiContract):
    @pytest.fixture
    def case(self, world, editor, own):
        source, _dataset, _job = own
        dataset = make_dataset(actor=editor)  # a job of its own: `own`'s dataset has a full load job
        return Case(method="post", url=f"{LOADS}/jobs", authorised=editor, unauthorised=world.official,
                    ok_status=201,
                    payload={"name": "第二个任务", "dataset_id": dataset.pk, "source_id": source.pk,
                             "source_table": "residents", "column_map": COLUMN_MAP, "schedule": "daily"},
                    bad_payload={"name": "第二个任务", "dataset_id": dataset.pk, "source_id": source.pk,
                                 "source_table": "residents", "column_map": {"xm": "full_name"}})

    test_out_of_scope = None  # a job on another department's dataset: 403, test_job_on_another_dataset


class TestGetJob(ApiContract):
    @pytest.fixture
    def case(self, world, editor, own, other):
        return Case(method="get", url=f"{LOADS}/jobs/{own[2].pk}", authorised=editor, unauthorised=world.official,
                    out_of_scope_url=f"{LOADS}/jobs/{other[2].pk}", bad_url=f"{LOADS}/jobs/1.5")


class TestUpdateJob(ApiContract):
    @pytest.fixture
    def case(self, world, editor, own, other):
        return Case(method="patch", url=f"{LOADS}/jobs/{own[2].pk}", authorised=editor, unauthorised=world.official,
                    out_of_scope_url=f"{LOADS}/jobs/{other[2].pk}", payload={"schedule": "weekly"},
                    bad_payload={"mode": "incremental"})


class TestDeleteJob(ApiContract):
    @pytest.fixture
    def case(self, world, editor, own, other):
        return Case(method="delete", url=f"{LOADS}/jobs/{own[2].pk}", authorised=editor, unauthorised=world.official,
                    out_of_scope_url=f"{LOADS}/jobs/{other[2].pk}", bad_url=f"{LOADS}/jobs/0", ok_status=204)


class TestRunJob(ApiContract):
    @pytest.fixture
    def case(self, world, editor, own, other):
        return Case(method="post", url=f"{LOADS}/jobs/{own[2].pk}/run", authorised=editor,
                    unauthorised=world.official, out_of_scope_url=f"{LOADS}/jobs/{other[2].pk}/run",
                    bad_url=f"{LOADS}/jobs/x/run")


class TestUploadFile:
    """Multipart: the contract by hand."""

    @pytest.fixture
    def file_job(self, editor):
        dataset = make_dataset(actor=editor)
        return services.mapping_save(actor=editor, instance=SourceMapping(
            dataset=dataset, name="文件", column_map={"sfzh": "公民身份号码", "xm": "姓名"}))

    def post(self, user, url, content="公民身份号码,姓名\n1,A\n".encode(), name="a.csv"):
        return api_client(user).post(url, {"file": SimpleUploadedFile(name, content)})

    def test_contract(self, world, editor, file_job, other):
        url = f"{LOADS}/jobs/{file_job.pk}/upload"
        assert_error(self.post(None, url), 401, "not_authenticated")
        assert_error(self.post(world.official, url), 403)
        assert_error(self.post(editor, f"{LOADS}/jobs/{other[2].pk}/upload"), 404)
        response = self.post(editor, url)
        assert response.status_code == 200, response.content
        assert (response.json()["status"], response.json()["rows_written"]) == ("succeeded", 1)
        assert_error(api_client(editor).post(url, {}), (400, 422))
        assert_error(self.post(editor, url, content=b"PK\x03\x04junk", name="a.xlsx"), (400, 422))
        # a readable file without the mapped headers is a failed run, not a bad request
        assert self.post(editor, url, content=b"x\n1\n").json()["status"] == "failed"


class TestListRuns(ApiContract):
    @pytest.fixture
    def case(self, world, editor, own):
        services.run_load(actor=editor, mapping=own[2])
        return Case(method="get", url=f"{LOADS}/runs?status=succeeded", authorised=editor,
                    unauthorised=world.official, bad_url=f"{LOADS}/runs?status=done")

    test_out_of_scope = None


class TestGetRun(ApiContract):
    @pytest.fixture
    def case(self, world, editor, own, other):
        run = services.run_load(actor=editor, mapping=own[2])
        return Case(method="get", url=f"{LOADS}/runs/{run.pk}", authorised=editor, unauthorised=world.official,
                    out_of_scope_url=f"{LOADS}/runs/{other[3].pk}", bad_url=f"{LOADS}/runs/-3")


# --- behaviour ----------------------------------------------------------------------------------------
def test_lists_hold_only_what_is_in_scope(editor, centre, own, other):
    client = api_client(editor)
    for url, expect in ((SOURCES, own[0].pk), (DATASETS, own[1].pk), (f"{LOADS}/jobs", own[2].pk)):
        body = client.get(url).json()
        assert [i["id"] for i in body["items"]] == [expect], url
    assert api_client(centre).get(SOURCES).json()["count"] == 2  # the big-data centre sees all
    assert api_client(centre).get(f"{LOADS}/runs").json()["count"] == 1


def test_no_password_comes_back(editor):
    response = api_client(editor).post(SOURCES, data={"name": "库", "kind": "postgresql",
                                                      "url": "postgresql://reader:Pa55-word@10.0.0.9:5432/hr"},
                                       content_type="application/json")
    assert response.status_code == 201, response.content
    assert "Pa55-word" not in response.content.decode()
    assert response.json()["safe_url"] == "postgresql+psycopg://reader:***@10.0.0.9:5432/hr"
    source_id = response.json()["id"]
    # a PATCH without a URL keeps the stored one
    assert api_client(editor).patch(f"{SOURCES}/{source_id}", data={"name": "人社库"},
                                    content_type="application/json").json()["safe_url"].endswith("@10.0.0.9:5432/hr")


def test_create_for_another_department(editor):
    response = call(api_client(editor), "post", SOURCES, {"name": "x", "kind": "mysql", "url": "mysql://a:b@h/db",
                                                           "department_code": GUIXI_CIVIL_AFFAIRS})
    assert_error(response, 403, "out_of_scope")


def test_create_dataset_for_another_department(editor):
    entry = make_entry(department_code=GUIXI_CIVIL_AFFAIRS, status="published")
    response = call(api_client(editor), "post", DATASETS,
                    {"entry_code": entry.code, "columns": [{"item_name": "名称", "is_key": True}]})
    assert_error(response, 403, "out_of_scope")


def test_dataset_needs_a_published_entry_and_a_key(editor):
    draft = make_entry(actor=editor)
    body = assert_error(call(api_client(editor), "post", DATASETS,
                             {"entry_code": draft.code, "columns": [{"item_name": "名称", "is_key": True}]}), 422)
    assert "entry" in body["details"]
    published = make_entry(status="published")
    body = assert_error(call(api_client(editor), "post", DATASETS,
                             {"entry_code": published.code, "columns": [{"item_name": "名称"}]}), 422)
    assert "columns" in body["details"]
    ok = call(api_client(editor), "post", DATASETS, {"entry_code": published.code,
                                                      "columns": [{"item_name": "名称", "is_key": True}]})
    assert ok.status_code == 201 and ok.json()["columns"][0]["name"] == "item_1"
    assert_error(call(api_client(editor), "post", DATASETS, {"entry_code": published.code,
                                                             "columns": [{"item_name": "名称", "is_key": True}]}), 409)


def test_job_on_another_dataset(editor, own, other):
    response = call(api_client(editor), "post", f"{LOADS}/jobs",
                    {"name": "x", "dataset_id": other[1].pk, "column_map": {"sfzh": "a"}})
    assert_error(response, 403, "out_of_scope")


def test_run_answers_the_finished_run(editor, own):
    body = api_client(editor).post(f"{LOADS}/jobs/{own[2].pk}/run").json()
    assert (body["status"], body["rows_read"], body["rows_written"], body["rejects"]) == ("succeeded", 3, 3, [])
    assert api_client(editor).post(f"{LOADS}/jobs/{own[2].pk}/run").json()["rows_unchanged"] == 3


def test_the_key_stays_once_rows_are_loaded(editor, own):
    services.run_load(actor=editor, mapping=own[2])
    body = assert_error(call(api_client(editor), "patch", f"{DATASETS}/{own[1].pk}",
                             {"columns": [{"name": "xm", "item_name": "姓名", "is_key": True}]}), 422)
    assert "columns" in body["details"]
