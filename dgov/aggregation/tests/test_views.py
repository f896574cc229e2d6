"""The aggregation pages: lists, a source (test, tables), a dataset (columns: add and edit), a load job
(add, run, upload) and a run with its rejected rows; scope (403 / 404) on each."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dgov.aggregation import services
from dgov.aggregation.models import Dataset, LoadRun, SourceMapping
from dgov.aggregation.testing import make_dataset
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, make_entry
from dgov.core.testing import signed_in, zh

from .helpers import make_job, make_source, source_table

pytestmark = pytest.mark.django_db
BASE = "/data/aggregation"


@pytest.fixture
def job(editor, settings):
    url = f"sqlite:///{settings.DGOV_SOURCE_SQLITE_DIR / 'v.sqlite3'}"
    source_table(url)
    return make_job(editor, make_source(editor, url, "sqlite"))


def test_lists(editor, job, world):
    client = signed_in(editor)
    for path, text in ((f"{BASE}/sources/", "测试源库"), (f"{BASE}/datasets/", job.dataset.entry.name),
                       (f"{BASE}/jobs/", "测试归集"), (f"{BASE}/runs/", "")):
        response = client.get(path)
        assert response.status_code == 200, path
        assert text in response.content.decode()
    assert signed_in(world.official).get(f"{BASE}/sources/").status_code == 403


def test_source_page_tests_and_lists_tables(editor, job, outsider):
    client = signed_in(editor)
    source = job.source
    page = client.get(f"{BASE}/sources/{source.pk}/").content.decode()
    assert "sqlite:///" in page and zh("Test the connection") in page
    response = client.post(f"{BASE}/sources/{source.pk}/", {"action": "test"}, follow=True)
    assert zh("connected") in response.content.decode()
    response = client.post(f"{BASE}/sources/{source.pk}/", {"action": "tables"})
    assert "residents" in response.content.decode()
    assert signed_in(outsider).get(f"{BASE}/sources/{source.pk}/").status_code == 404


def test_add_source_keeps_the_password_out_of_the_page(editor):
    client = signed_in(editor)
    response = client.post(f"{BASE}/sources/add/", {"department": editor.department_id, "name": "人社库",
                                                      "kind": "mysql", "url": "mysql://app:Top-5ecret@10.1.1.1/hr"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Top-5ecret" not in page and "app:***@10.1.1.1" in page
    edit = client.get(response["Location"] + "edit/").content.decode()
    assert "Top-5ecret" not in edit
    bad = client.post(f"{BASE}/sources/add/", {"department": editor.department_id, "name": "坏库",
                                                "kind": "sqlite", "url": "sqlite:////etc/passwd"})
    assert bad.status_code == 422


def test_dataset_columns_add_and_edit(editor, outsider):
    entry = make_entry(status="published", name="待归集资源", items=[
        {"name": "编号", "data_type": "string", "length": 10}, {"name": "联系电话", "data_type": "string",
                                                            "length": 20, "personal_data": "personal"}])
    client = signed_in(editor)
    step1 = client.get(f"{BASE}/datasets/add/").content.decode()
    assert entry.code in step1
    step2 = client.get(f"{BASE}/datasets/add/?entry={entry.code}").content.decode()
    assert 'value="phone" selected' in step2  # the default mask of a phone item
    refused = client.post(f"{BASE}/datasets/add/?entry={entry.code}", {
        "entry": entry.code, "include_1": "on", "name_1": "bh", "include_2": "on", "name_2": "lxdh",
        "mask_1": "none", "mask_2": "phone"})
    assert refused.status_code == 422
    assert zh("Choose at least one key column: the key identifies a row across loads.") in refused.content.decode()
    created = client.post(f"{BASE}/datasets/add/?entry={entry.code}", {
        "entry": entry.code, "include_1": "on", "name_1": "bh", "key_1": "on", "include_2": "on", "name_2": "lxdh",
        "mask_1": "none", "mask_2": "phone"})
    assert created.status_code == 302
    dataset = Dataset.objects.get(entry=entry)
    assert [(c.name, c.is_key, c.mask) for c in dataset.columns.all()] == [("bh", True, "none"),
                                                                           ("lxdh", False, "phone")]
    edited = client.post(f"{BASE}/datasets/{dataset.pk}/edit/", {
        "include_1": "on", "name_1": "bh", "key_1": "on", "mask_1": "none", "name_2": "lxdh", "mask_2": "phone"})
    assert edited.status_code == 302
    assert [c.name for c in dataset.columns.all()] == ["bh"]
    assert signed_in(outsider).get(f"{BASE}/datasets/{dataset.pk}/").status_code == 404
    other = make_entry(department_code=GUIXI_CIVIL_AFFAIRS, status="published")
    assert other.code not in client.get(f"{BASE}/datasets/add/").content.decode()


def test_job_form_run_and_run_page(editor, job):
    client = signed_in(editor)
    assert client.get(f"{BASE}/jobs/add/").status_code == 200
    form = client.get(f"{BASE}/jobs/add/?dataset={job.dataset.pk}").content.decode()
    assert "map__sfzh" in form
    fields = {"name": "页面任务", "dataset": job.dataset.pk, "source": job.source.pk, "source_table": "residents",
              "mode": "full", "schedule": "manual", "enabled": "on", "map__sfzh": "id_no", "map__xm": "full_name"}
    # `job` loads its dataset in full: the dataset takes no second job
    refused = client.post(f"{BASE}/jobs/add/?dataset={job.dataset.pk}", fields)
    assert refused.status_code == 422
    assert zh("A full load replaces all of the dataset's rows, and the dataset has other load jobs: load "
              "incrementally, or use one job.", html=True) in refused.content.decode()
    dataset = make_dataset(actor=editor)
    response = client.post(f"{BASE}/jobs/add/?dataset={dataset.pk}", fields | {"dataset": dataset.pk})
    assert response.status_code == 302, response.content.decode()[-6000:]
    new = SourceMapping.objects.get(name="页面任务")
    assert new.column_map == {"sfzh": "id_no", "xm": "full_name"}
    response = client.post(f"{BASE}/jobs/{new.pk}/", {"action": "run"})
    run = LoadRun.objects.get(mapping=new)
    assert response["Location"] == f"{BASE}/runs/{run.pk}/" and run.rows_written == 3
    page = client.get(response["Location"]).content.decode()
    assert zh("succeeded") in page


def test_upload_on_the_job_page(editor):
    dataset = make_dataset(actor=editor)
    job = services.mapping_save(actor=editor, instance=SourceMapping(
        dataset=dataset, name="文件任务", column_map={"sfzh": "公民身份号码", "djrq": "登记日期"}))
    client = signed_in(editor)
    content = "公民身份号码,登记日期\n360603199001011234,2024-13-01\n".encode()
    response = client.post(f"{BASE}/jobs/{job.pk}/", {"action": "upload", "file": SimpleUploadedFile("a.csv", content)})
    run = LoadRun.objects.get(mapping=job)
    assert run.status == "failed" and run.rows_rejected == 1
    page = client.get(response["Location"]).content.decode()
    assert "3606**********1234" in page and "360603199001011234" not in page
