"""The public portal's pages: anonymous, in Chinese."""

import pytest
from django.test import Client

from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS
from dgov.core.testing import zh, zh_html
from dgov.opendata import services
from dgov.opendata.testing import make_open_entry, make_published


@pytest.fixture
def world(db):
    homes = make_published(rows=15)
    clinics = make_published(make_open_entry(name="贵溪市医疗机构名录", rows=4, department_code=GUIXI_CIVIL_AFFAIRS),
                             topics=["health"])
    conditional = make_published(make_open_entry(name="困难群众救助名单", open_type="conditional", rows=3))
    draft_entry = make_open_entry(name="未发布的数据", rows=2)
    return {"homes": homes, "clinics": clinics, "conditional": conditional, "draft": draft_entry}


def test_home_lists_topics_and_the_newest(world):
    page = Client().get("/open/")
    text = page.content.decode()
    assert page.status_code == 200 and zh("Open data") in text
    assert "养老机构名录" in text and "贵溪市医疗机构名录" in text and "未发布的数据" not in text
    assert 'href="/open/topics/health/"' in text


def test_search_by_words_and_facets(world):
    client = Client()
    text = client.get("/open/datasets/", {"q": "医疗"}).content.decode()
    assert "贵溪市医疗机构名录" in text and "养老机构名录" not in text
    text = client.get("/open/datasets/", {"topic": "livelihood"}).content.decode()
    assert "养老机构名录" in text and "困难群众救助名单" in text and "贵溪市医疗机构名录" not in text
    text = client.get("/open/datasets/", {"open_type": "conditional"}).content.decode()
    assert "困难群众救助名单" in text and "养老机构名录" not in text
    # the facets offer what the results hold, with counts
    text = client.get("/open/datasets/").content.decode()
    assert "?topic=livelihood" in text and "?department=360681909" in text


def test_bad_search_input_is_a_422_with_the_field_named(world):
    response = Client().get("/open/datasets/", {"department": "x' or 1=1", "sort": "nope"})
    assert response.status_code == 422
    assert zh_html("Department") in response.content.decode()


def test_dataset_page_previews_masked_rows_and_draws_a_chart(world):
    dataset = world["homes"]
    response = Client().get(f"/open/datasets/{dataset.name}/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "余江区第1养老院" in text and "139****0000" in text and "13900000000" not in text
    assert 'id="chart-od"' in text and "邓埠镇" in text  # 所在乡镇: three values, drawn as bars
    assert f"/open/datasets/{dataset.name}/download.csv" in text and "package_show?id=" in text
    dataset.refresh_from_db()
    assert dataset.view_count == 1


def test_a_conditional_dataset_shows_its_conditions_not_its_rows(world):
    text = Client().get(f"/open/datasets/{world['conditional'].name}/").content.decode()
    assert "签订数据利用协议后使用" in text and 'id="od-preview"' not in text and "download.csv" not in text


def test_unpublished_and_withdrawn_datasets_are_not_found(world, editor):
    assert Client().get("/open/datasets/yt-nothing/").status_code == 404
    draft = services.prepare(actor=editor, entry=world["draft"])
    assert Client().get(f"/open/datasets/{draft.name}/").status_code == 404
    services.withdraw(actor=editor, dataset=world["homes"], note="更正")
    assert Client().get(f"/open/datasets/{world['homes'].name}/").status_code == 404


def test_topics_and_organisations(world):
    client = Client()
    text = client.get("/open/topics/").content.decode()
    assert zh("Topics") in text and "民生服务" in text
    text = client.get("/open/topics/health/").content.decode()
    assert "贵溪市医疗机构名录" in text and "养老机构名录" not in text
    assert client.get("/open/topics/no-such/").status_code == 404
    text = client.get("/open/organisations/").content.decode()
    assert "余江区民政局" in text and "贵溪市民政局" in text
    text = client.get("/open/organisations/360681909/").content.decode()
    assert "贵溪市医疗机构名录" in text and "养老机构名录" not in text
    assert client.get("/open/organisations/360600036/").status_code == 404  # opens nothing


def test_statistics_per_department(world):
    from dgov.opendata.models import OpenDataset

    OpenDataset.objects.filter(pk=world["homes"].pk).update(download_count=5, api_call_count=7)
    response = Client().get("/open/statistics/")
    text = response.content.decode()
    assert response.status_code == 200 and 'id="od-statistics"' in text and 'id="chart-departments"' in text
    from dgov.opendata import selectors

    figures = selectors.statistics()
    yujiang = next(r for r in figures["departments"] if r["code"] == "360603909")
    assert (yujiang["datasets"], yujiang["conditional"], yujiang["records"]) == (2, 1, 15 + 3)
    assert (yujiang["downloads"], yujiang["api_calls"]) == (5, 7)
    assert figures["totals"]["datasets"] == 3 and figures["totals"]["records"] == 15 + 4 + 3
