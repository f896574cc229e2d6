"""Downloads of an open dataset's rows: CSV (UTF-8 with BOM), XLSX and JSON, streamed in batches, logged and
counted; 404 for what is not published, 403 for conditional data without an approved application."""

import csv
import datetime as dt
import io
import json
from urllib.parse import quote

import pytest
from django.utils import timezone

from dgov.opendata import downloads, keys
from dgov.opendata.models import AccessApplication, AccessLog, OpenDataset
from dgov.opendata.testing import make_published


def fetch(client, dataset, fmt, **headers):
    return client.get(f"/open/datasets/{dataset.name}/download.{fmt}", headers=headers)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def approve(dataset, user, *, until=None):
    return AccessApplication.objects.create(
        dataset=dataset, applicant=user, purpose="研究救助政策", scenario="学术研究", agreement_digest="0" * 64,
        agreed_at=timezone.now(), requested_days=30, status="approved",
        valid_until=until or timezone.now() + dt.timedelta(days=30))


@pytest.fixture
def homes(db):
    return make_published(rows=30)


def test_csv_has_a_bom_the_item_names_and_every_row_masked(client, homes, monkeypatch):
    monkeypatch.setattr(downloads, "BATCH", 7)  # several batches
    response = fetch(client, homes, "csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (f"attachment; filename=\"{homes.name}.csv\"; "
                                               f"filename*=UTF-8''{quote(homes.title + '.csv', safe='')}")
    raw = body(response)
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["机构名称", "统一社会信用代码", "床位数", "所在乡镇", "成立日期", "负责人手机"]
    assert len(rows) == 31 and rows[1] == ["余江区第1养老院", "52360603MJ0000000X", "20", "邓埠镇", "2010-01-01",
                                           "139****0000"]
    assert rows[30][2] == "49"
    log = AccessLog.objects.get()
    assert (log.kind, log.format, log.rows, log.user_id, log.application_id) == ("download", "csv", 30, None, None)
    homes.refresh_from_db()
    assert homes.download_count == 1 and homes.api_call_count == 0


def test_json_is_fields_and_records(client, homes, monkeypatch):
    monkeypatch.setattr(downloads, "BATCH", 8)
    response = fetch(client, homes, "json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    data = json.loads(body(response))
    assert (data["name"], data["title"]) == (homes.name, homes.title)
    assert [(f["id"], f["type"], f["info"]["label"]) for f in data["fields"]][:3] == [
        ("jgmc", "text", "机构名称"), ("tyshxydm", "text", "统一社会信用代码"), ("cws", "int", "床位数")]
    assert len(data["records"]) == 30 and data["records"][29]["cws"] == 49
    assert data["records"][0]["fzrsj"] == "139****0000"
    assert AccessLog.objects.get().format == "json"


def test_xlsx_opens_in_a_spreadsheet(client, homes):
    from openpyxl import load_workbook

    response = fetch(client, homes, "xlsx")
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(body(response)), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "机构名称" and len(rows) == 31 and rows[1][2] == 20 and rows[1][5] == "139****0000"
    homes.refresh_from_db()
    assert homes.download_count == 1


def test_what_is_not_published_is_not_found(client, homes, editor):
    from dgov.opendata import services

    assert client.get("/open/datasets/no-such-dataset/download.csv").status_code == 404
    assert fetch(client, homes, "pdf").status_code == 404
    services.withdraw(actor=editor, dataset=homes, note="数据更新中")
    assert fetch(client, homes, "csv").status_code == 404
    assert not AccessLog.objects.exists() and OpenDataset.objects.get(pk=homes.pk).download_count == 0


def test_conditional_data_needs_an_approved_application(client, conditional, citizen):
    assert fetch(client, conditional, "csv").status_code == 403
    client.force_login(citizen)
    assert fetch(client, conditional, "csv").status_code == 403
    expired = approve(conditional, citizen, until=timezone.now() - dt.timedelta(minutes=1))
    assert fetch(client, conditional, "json").status_code == 403
    AccessApplication.objects.filter(pk=expired.pk).update(status="revoked")
    application = approve(conditional, citizen)
    response = fetch(client, conditional, "csv")
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert len(body(response).decode("utf-8-sig").splitlines()) == 4
    log = AccessLog.objects.get()
    assert (log.user_id, log.application_id, log.rows) == (citizen.pk, application.pk, 3)


def test_a_developer_key_of_an_approved_applicant_downloads_too(client, conditional, citizen):
    _key, text = keys.key_create(actor=citizen, name="下载脚本")
    assert fetch(client, conditional, "csv", authorization=text).status_code == 403
    assert fetch(client, conditional, "csv", authorization="odk_bad").status_code == 403
    application = approve(conditional, citizen)
    assert fetch(client, conditional, "csv", x_ckan_api_key=text).status_code == 200
    log = AccessLog.objects.get()
    assert (log.user_id, log.application_id, log.key_id) == (citizen.pk, application.pk, _key.pk)


def test_the_download_path_and_the_links_agree(homes):
    from django.urls import reverse

    from dgov.opendata import links

    assert links.download(homes.name, "csv").endswith(
        reverse("opendata_api:download", kwargs={"name": homes.name, "fmt": "csv"}))
