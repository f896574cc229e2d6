"""The open-data portal (issue 7) in a real browser, against `dgov serve` with the demo data.

1. Anyone, on a phone and without logging in, searches the portal, opens a dataset, reads its preview and chart,
   and downloads it as CSV.
2. The demo citizen applies for the conditional demo dataset (accepting the data-use agreement); 余江区民政局's
   data administrator (`yj_data`) approves it; the citizen then sees the rows and downloads them, and the
   department sees the download under the application.

Screenshots go to tests/e2e/artifacts/ (opendata-*.png)."""

import csv
import io

import pytest
from playwright.sync_api import expect

from .support import assert_accessible, assert_fits, log_in, screenshot

pytestmark = pytest.mark.e2e

HOMES = "余江区养老机构名录（开放演示）"
RELIEF = "余江区临时救助月度统计（有条件开放演示）"


def _csv_rows(download) -> list[list[str]]:
    text = download.value.path().read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_anyone_searches_previews_and_downloads_on_a_phone(browsing):
    page = browsing.page(mobile=True)
    assert page.goto("/open/").status == 200
    page.fill("#od-home-q", "养老")
    with page.expect_navigation():
        page.press("#od-home-q", "Enter")
    expect(page.locator("#od-results")).to_contain_text(HOMES)
    assert_fits(page)
    screenshot(page, "opendata-search")
    assert_accessible(browsing, page)

    with page.expect_navigation():
        page.locator("#od-results a", has_text=HOMES).click()
    preview = page.locator("#od-preview tbody tr")
    expect(preview).to_have_count(10)
    expect(page.locator("#od-preview thead")).to_contain_text("机构名称")
    expect(page.locator("#chart-od")).to_contain_text("公办养老机构")  # rows per 机构性质, drawn as bars
    assert_fits(page)
    screenshot(page, "opendata-dataset")
    assert_accessible(browsing, page)

    with page.expect_download() as download:
        page.locator("#od-downloads a[href$='download.csv']").click()
    rows = _csv_rows(download)
    assert rows[0][:2] == ["机构名称", "统一社会信用代码"] and len(rows) == 1 + 36


def test_a_citizen_applies_for_conditional_data_and_downloads_it_once_approved(browsing, accounts):
    citizen = browsing.page()
    log_in(citizen, accounts["citizen"])
    citizen.goto("/open/datasets/?open_type=conditional")
    with citizen.expect_navigation():
        citizen.locator("#od-results a", has_text=RELIEF).click()
    dataset_url = citizen.url
    expect(citizen.locator("#od-conditional")).to_be_visible()
    assert citizen.locator("#od-preview").count() == 0 and citizen.locator("#od-downloads").count() == 0
    with citizen.expect_navigation():
        citizen.locator("#od-apply").click()
    expect(citizen.locator("#od-agreement")).to_contain_text("用途限定")
    form = citizen.locator("#od-apply-form")
    form.locator("[name=organisation]").fill("鹰潭某公益组织")
    form.locator("[name=purpose]").fill("分析各乡镇临时救助的季节变化，改进志愿服务安排")
    form.locator("[name=scenario]").fill("公益项目年度报告")
    form.locator("[name=requested_days]").fill("30")
    with citizen.expect_navigation():  # without the agreement accepted, the form comes back with the error
        form.locator("button[type=submit]").click()
    expect(citizen.locator("#od-apply-form .invalid-feedback, #od-apply-form .error-summary, .error-summary")
           .first).to_be_visible()
    citizen.locator("#od-apply-form [name=agreed]").check()
    screenshot(citizen, "opendata-apply")
    with citizen.expect_navigation():
        citizen.locator("#od-apply-form button[type=submit]").click()
    expect(citizen.locator("#od-my-applications [data-status=submitted]")).to_have_count(1)
    assert_accessible(browsing, citizen)

    official = browsing.page()
    log_in(official, accounts["yj_data"])
    official.goto("/data/open/applications/?status=submitted")
    with official.expect_navigation():
        official.locator("main table a", has_text=RELIEF).first.click()
    decide = official.locator("#od-decide-form")
    decide.locator("input[name=decision][value=approve]").check()
    decide.locator("[name=days]").fill("7")
    with official.expect_navigation():
        decide.locator("button[type=submit]").click()
    expect(official.locator("#od-status-value[data-status=approved]")).to_be_visible()
    application_url = official.url
    screenshot(official, "opendata-decided")

    citizen.goto(dataset_url)
    expect(citizen.locator("#od-granted")).to_be_visible()
    expect(citizen.locator("#od-preview tbody tr")).to_have_count(10)
    with citizen.expect_download() as download:
        citizen.locator("#od-downloads a[href$='download.csv']").click()
    rows = _csv_rows(download)
    assert rows[0][:2] == ["统计月份", "所在乡镇"] and len(rows) == 1 + 110
    screenshot(citizen, "opendata-granted")

    official.goto(application_url)
    expect(official.locator("main table").last).to_contain_text("csv")
