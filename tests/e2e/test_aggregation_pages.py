"""Data aggregation in a real browser against `dgov serve`: 余江区民政局's data administrator (`yj_data`)
finds the demo dataset (loaded by `dgov init --demo`), tests the demo source's connection, runs the
demo load job again (nothing changes: every row comes out unchanged, the row with an impossible date
is rejected again with its reason and its ID number masked), and adds a file job whose upload of a
spreadsheet with a bad row loads nothing. The pages fit a 375 px phone and pass axe-core."""

import re

import pytest
from playwright.sync_api import expect

from .support import axe_violations, format_violations, log_in, screenshot

pytestmark = pytest.mark.e2e

PHONE_WIDTH = 375
DATASETS = "/data/aggregation/datasets/"
ENTRY = "城乡低保对象联系信息（归集演示）"
JOB = "低保对象每日全量归集（演示）"
SOURCE = "余江区低保信息系统（演示）"


def assert_no_horizontal_overflow(page):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= PHONE_WIDTH, f"{page.url} is {widths} px wide on a {PHONE_WIDTH} px screen"


def test_the_demo_dataset_is_reloaded_and_a_bad_file_is_refused(browsing, server, tmp_path):
    account = server.accounts.get("yj_data")
    assert account, "the demo data has the account yj_data"
    page = browsing.page()
    log_in(page, account)
    assert page.goto("/workbench/data/").status == 200
    with page.expect_navigation():
        page.locator(f"main a[href='{DATASETS}']").click()
    row = page.locator("#object-table tbody tr", has_text=ENTRY)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("47")  # 48 demo rows, one rejected
    with page.expect_navigation():
        row.locator("a").first.click()
    dataset_url = page.url.removeprefix(server.url)
    expect(page.locator("main .dataset-rows")).to_have_text("47")
    expect(page.locator("table.dataset-columns tbody tr", has_text="公民身份号码").locator(".badge")).to_have_count(1)
    screenshot(page, "aggregation-dataset")

    # --- the source: the connection test ------------------------------------------------------------
    with page.expect_navigation():
        page.locator("main a", has_text=JOB).first.click()
    job_url = page.url.removeprefix(server.url)
    with page.expect_navigation():
        page.locator("main a", has_text=SOURCE).click()
    with page.expect_navigation():
        page.locator("form:has(input[value=test]) button").click()
    expect(page.locator(".alert-success").first).to_contain_text(re.compile(r"3\.\d+"))  # the SQLite version
    expect(page.locator("main")).to_contain_text("sqlite:///")

    # --- run the demo job again: nothing changes, the bad row is rejected again --------------------------
    assert page.goto(job_url).status == 200
    with page.expect_navigation():
        page.locator("form:has(input[value=run]) button").click()
    assert re.search(r"/data/aggregation/runs/\d+/$", page.url), page.url
    run_url = page.url.removeprefix(server.url)
    counts = page.locator("main .run-counts")
    expect(counts).to_contain_text("48")
    expect(page.locator("main .run-status")).to_have_class(re.compile("text-bg-success"))
    rejects = page.locator("table.run-rejects tbody tr")
    expect(rejects).to_have_count(1)
    expect(rejects).to_contain_text("djrq")
    expect(rejects).to_contain_text(re.compile(r"3606\*+\w{4}"))
    expect(page.locator("main")).to_contain_text("47")  # unchanged
    screenshot(page, "aggregation-run")

    # --- a second job beside the daily full load is refused: the full load would delete its rows ------
    dataset_id = re.search(r"/(\d+)/$", dataset_url)[1]
    add_url = f"/data/aggregation/jobs/add/?dataset={dataset_id}"

    def add_file_job():
        assert page.goto(add_url).status == 200
        page.fill("#id_name", "低保对象补充名单上传（端到端测试）")
        page.select_option("#id_mode", "incremental")
        page.fill("#id_map__sfzh", "公民身份号码")
        page.fill("#id_map__xm", "姓名")
        page.fill("#id_map__djrq", "登记日期")
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()

    add_file_job()
    assert "/jobs/add/" in page.url
    expect(page.locator("main .invalid-feedback, main .alert-danger").first).to_be_visible()
    expect(page.locator("#id_name")).to_have_value("低保对象补充名单上传（端到端测试）")  # the input is kept
    screenshot(page, "aggregation-second-job-refused")

    # the daily job becomes incremental by its update-time column; then the file job may join it
    assert page.goto(f"{job_url}edit/").status == 200
    page.select_option("#id_mode", "incremental")
    page.select_option("#id_incremental_by", "updated_at")
    page.fill("#id_incremental_column", "updated_at")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url.endswith(job_url), page.inner_text("main")[:2000]

    # --- a file job: a spreadsheet with a bad row loads nothing ---------------------------------------
    add_file_job()
    assert re.search(r"/data/aggregation/jobs/\d+/$", page.url), page.inner_text("main")[:2000]
    upload = tmp_path / "补充名单.csv"
    upload.write_text("公民身份号码,姓名,登记日期\n360603199001011234,测试甲,2024-01-02\n"
                      "360603199202022345,测试乙,2024-02-30\n", encoding="utf-8")
    page.set_input_files("#id_file", str(upload))
    with page.expect_navigation():
        page.locator("form:has(input[value=upload]) button").click()
    expect(page.locator("main .run-status")).to_have_class(re.compile("text-bg-danger"))
    expect(page.locator("table.run-rejects tbody tr")).to_have_count(1)
    expect(page.locator("table.run-rejects")).to_contain_text("3606**********2345")
    screenshot(page, "aggregation-upload-refused")
    assert page.goto(dataset_url).status == 200
    expect(page.locator("main .dataset-rows")).to_have_text("47")  # nothing was loaded

    # --- a 375 px phone, and WCAG 2.2 AA ---------------------------------------------------------------
    phone = browsing.page(state=page.context.storage_state(), mobile=True)
    for url in (dataset_url, run_url):
        assert phone.goto(url).status == 200
        assert_no_horizontal_overflow(phone)
    screenshot(phone, "aggregation-run-mobile")
    for url in (DATASETS, dataset_url, job_url, run_url):
        checked = browsing.page(state=page.context.storage_state(), bypass_csp=True)
        assert checked.goto(url).status == 200
        violations = axe_violations(checked)
        assert not violations, format_violations(checked.url, violations)
