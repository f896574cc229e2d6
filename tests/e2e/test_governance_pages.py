"""Data governance (issue 6) in a real browser, against `dgov serve` with the demo data.

1. The big-data centre's data governor (`data_centre`) harvests the data store's metadata on demand and reads
   the harvest; opens the demo dataset's table with its columns; runs its quality rules now and reads the run:
   per-rule counts, the masked sample of failing rows and the SQL sent; reviews and releases the demo draft data
   element; opens the lineage of the demo entry (an inline SVG graph) and the evaluation ranking with its formula.
2. 余江区民政局's data administrator (`yj_data`) opens the remediation task the demo run opened, records the fix,
   and the platform re-checks the table at once (a new event with its run).
3. Anyone, on a phone, reads the published ranking without logging in.

Screenshots go to tests/e2e/artifacts/ (governance-*.png)."""

import re

import pytest
from playwright.sync_api import expect

from .support import assert_accessible, assert_fits, log_in, screenshot

pytestmark = pytest.mark.e2e

DEMO_ENTRY = "城乡低保对象联系信息（归集演示）"


def test_the_governor_harvests_checks_quality_and_follows_lineage(browsing, accounts):
    page = browsing.page()
    log_in(page, accounts["data_centre"])

    # metadata: harvest the data store now
    assert page.goto("/data/metadata/harvests/").status == 200
    form = page.locator("form.harvest-form")
    form.locator("select[name=source]").select_option("datastore")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator("[data-status=succeeded]")).to_be_visible()
    screenshot(page, "governance-harvest")

    # the demo dataset's table and its columns (the identity-number column is personal data)
    page.goto("/data/metadata/tables/?location=datastore")
    rows = page.locator("tr[data-table^='datastore/ds_']")
    assert rows.count() >= 1
    rows.first.locator("a").first.click()
    page.wait_for_load_state()
    expect(page.locator("tr[data-column=sfzh]")).to_be_visible()
    assert_accessible(browsing, page)

    # quality: the demo table's page, run now, read the run
    page.goto("/data/quality/runs/")
    page.locator("main a[href*='/data/quality/runs/']").first.click()
    page.wait_for_load_state()
    page.locator("h1 a[href*='/data/quality/tables/']").click()
    page.wait_for_load_state()
    with page.expect_navigation():
        page.locator("button.quality-run-now").click()
    expect(page.locator(".quality-status[data-status=succeeded]")).to_be_visible()
    results = page.locator("table.quality-results tbody tr[data-rule]")
    assert results.count() >= 5
    failing = page.locator("table.quality-results tr[data-passed='0']")
    assert failing.count() >= 1, "the demo data breaks at least one rule"
    sample = failing.first.locator("details.quality-sample")
    if sample.count():
        sample.locator("summary").click()
    page.locator("details.quality-sql summary").click()
    expect(page.locator("details.quality-sql pre").first).to_contain_text("SELECT")
    screenshot(page, "governance-quality-run")
    # personal values never appear unmasked in a sample: an 18-character identity number shows asterisks
    for text in page.locator("details.quality-sample td").all_inner_texts():
        assert not re.search(r"\b\d{17}[\dX]\b", text), text
    assert_accessible(browsing, page)

    # standards: the demo draft element is reviewed, then released
    page.goto("/data/standards/elements/?q=YJMZ0001")
    page.locator("main a[href*='/data/standards/elements/']").filter(has_text="YJMZ0001").first.click()
    page.wait_for_load_state()
    for action in ("review", "release"):
        with page.expect_navigation():
            page.locator(f"form.element-action[data-action={action}] button").click()
    expect(page.locator("form.element-action[data-action=retire]")).to_be_visible()

    # lineage of the demo entry: a graph of source → data store → entry → …
    page.goto("/data/governance/lineage/")
    page.locator("main form[role=search] input[name=entry]").fill("203000000/000040")
    with page.expect_navigation():
        page.locator("main form[role=search] button[type=submit]").click()
    graph = page.locator("svg.lineage-graph")
    expect(graph).to_be_visible()
    assert graph.locator("text").count() >= 3
    screenshot(page, "governance-lineage")

    # the evaluation ranking states its formula
    assert page.goto("/data/governance/evaluation/").status == 200
    expect(page.locator("main")).to_contain_text("0.3")
    screenshot(page, "governance-evaluation")


def test_the_department_records_a_fix_and_the_table_is_re_checked(browsing, accounts):
    page = browsing.page()
    log_in(page, accounts["yj_data"])
    assert page.goto("/data/quality/tasks/").status == 200
    page.locator("main a[href*='/data/quality/tasks/']").first.click()
    page.wait_for_load_state()
    events_before = page.locator("li[data-action]").count()
    fix = page.locator("form.quality-fix")
    fix.locator("textarea").first.fill("已核对原始台账并更正联系电话。")
    with page.expect_navigation():
        fix.locator("button[type=submit]").click()
    expect(page.locator(".quality-task-state")).to_have_attribute("data-state", re.compile("^(open|closed)$"))
    # the fix and the re-check that followed it, at once
    assert page.locator("li[data-action]").count() >= events_before + 2
    expect(page.locator("li[data-action] a[href*='/data/quality/runs/']").last).to_be_visible()
    screenshot(page, "governance-remediation")


def test_anyone_reads_the_published_ranking_on_a_phone(browsing):
    phone = browsing.page(mobile=True)
    assert phone.goto("/data/governance/evaluation/published/").status == 200
    expect(phone.locator("main table").first).to_be_visible()
    assert_fits(phone)
    screenshot(phone, "governance-published-phone")
