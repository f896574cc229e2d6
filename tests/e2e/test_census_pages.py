"""The yearly data resource census in a real browser against `dgov serve` with the demo data: the data
administrator of 余江区民政局 (`yj_data`) opens the demo campaign from the navigation, downloads the
pre-filled template of the department's assignment, edits it with openpyxl (a new resource, in a
row with a mistake), uploads it and sees the error named by row and column — nothing is written;
fixes the row, uploads again and the assignment is submitted. The reviewer of the big-data centre
(`data_centre`, with TOTP) sees the campaign's completion rate rise and the submission waiting. The
pages fit a 375 px phone and pass axe-core."""

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from dgov.catalog.importer import CHINESE_WORDS
from dgov.core.testing import zh

from .support import axe_violations, format_violations, log_in, screenshot

pytestmark = pytest.mark.e2e

PHONE_WIDTH = 375
CAMPAIGN = "2026年度鹰潭市政务数据资源普查"
DEPARTMENT = "余江区民政局"
NEW_NAME = "余江区临时救助对象信息（普查新增）"


def assert_no_horizontal_overflow(page):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= PHONE_WIDTH, f"{page.url} is {widths} px wide on a {PHONE_WIDTH} px screen"


def assert_accessible(browsing, page):
    """axe-core on the page as `page` sees it (in a context that lets the checker's script in)."""
    checked = browsing.page(state=page.context.storage_state(), bypass_csp=True)
    assert checked.goto(page.url).status == 200
    violations = axe_violations(checked)
    assert not violations, format_violations(page.url, violations)


def new_row(headers: list[str], update_cycle: str) -> list:
    values = {"资源名称": NEW_NAME, "分类代码": "307", "提供方部门代码": "360603909",
              "摘要": "余江区临时救助对象的基本情况、救助事由和救助金额。", "资源格式": "电子表格",
              "共享类型": "有条件共享", "共享条件": "限民政、财政部门依法履职使用", "共享方式": "文件",
              "开放类型": "不予开放", "更新周期": update_cycle, "来源系统": "江西省社会救助信息系统",
              "信息项": "姓名:string:50:个人信息; 身份证号:string:18:敏感个人信息:不予共享; 救助金额:decimal; "
                        "救助日期:date"}
    return [values.get(h, None) for h in headers]


def upload(page, path, *, dry_run: bool = False):
    page.set_input_files("#id_file", str(path))
    page.set_checked("#id_dry_run", dry_run)
    with page.expect_navigation() as nav:
        page.locator("main form:has(input[name=action][value=upload]) button[type=submit]").click()
    return nav.value


def test_a_department_fills_in_the_census_and_the_centre_sees_the_progress(browsing, server, tmp_path,
                                                                          data_centre_state):
    editor_account, reviewer_account = server.accounts.get("yj_data"), server.accounts.get("data_centre")
    assert editor_account and reviewer_account, "the demo accounts yj_data and data_centre are missing"

    # --- the department's data administrator finds the assignment -----------------------------------------
    editor = browsing.page()
    log_in(editor, editor_account)
    assert editor.goto("/workbench/data/").status == 200
    with editor.expect_navigation():
        editor.locator("main a[href='/data/catalog/census/']").click()
    with editor.expect_navigation():
        editor.get_by_role("link", name=CAMPAIGN).click()
    expect(editor.locator("main table tbody tr")).to_have_count(1)  # only the own department
    with editor.expect_navigation():
        editor.get_by_role("link", name=DEPARTMENT).click()
    assignment_url = editor.url.removeprefix(server.url)
    assert re.fullmatch(r"/data/catalog/census/assignments/\d+/", assignment_url), assignment_url
    expect(editor.locator("main .census-state-assigned")).to_be_visible()
    assert_accessible(browsing, editor)

    # --- the pre-filled template: every entry of the department, edited with openpyxl ---------------------
    with editor.expect_download() as download:
        editor.locator("main a[href='?template=1']").first.click()
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    wb = load_workbook(template)
    sheet = wb.worksheets[0]
    headers = [c.value for c in sheet[1]]
    entries = sheet.max_row - 1
    assert entries >= 1 and headers[:2] == ["资源代码", "资源名称"]
    assert all(re.fullmatch(r"\d{9}/\d{6}", str(sheet.cell(row=r, column=1).value)) for r in range(2, entries + 2))
    sheet.append(new_row(headers, "每十年"))  # not an update cycle
    bad = tmp_path / "普查-有误.xlsx"
    wb.save(bad)

    # --- the bad row: named by row and column, nothing written ---------------------------------------------
    response = upload(editor, bad)
    assert response.status == 422
    errors = editor.locator("main table.census-upload-errors tbody tr")
    expect(errors).to_have_count(1)
    cells = errors.first.locator("td")
    expect(cells.nth(0)).to_have_text(str(entries + 2))
    expect(cells.nth(1)).to_have_text("更新周期")
    expect(cells.nth(2)).to_have_text(zh("“%(value)s” is not one of: %(allowed)s.") % {
        "value": "每十年", "allowed": "、".join(CHINESE_WORDS["update_cycle"])})
    expect(editor.locator("main .census-state-assigned")).to_be_visible()
    screenshot(editor, "census-upload-errors")
    phone = browsing.page(state=editor.context.storage_state(), mobile=True)
    assert phone.goto(assignment_url).status == 200
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "census-assignment-mobile")

    # --- fixed: a dry run, then the upload that submits ------------------------------------------------------
    sheet.cell(row=entries + 2, column=headers.index("更新周期") + 1, value="每月")
    good = tmp_path / "普查.xlsx"
    wb.save(good)
    response = upload(editor, good, dry_run=True)
    assert response.status == 200
    expect(editor.locator("main .alert-success")).to_contain_text("普查.xlsx")
    expect(editor.locator("main .census-state-assigned")).to_be_visible()
    response = upload(editor, good)
    assert response.status == 200 and editor.url.endswith(assignment_url)
    expect(editor.locator("main .census-state-submitted")).to_be_visible()
    expect(editor.locator("main .alert-success")).to_be_visible()
    expect(editor.locator("main table:has(caption) tbody tr")).to_have_count(3)  # the upload history
    screenshot(editor, "census-assignment-submitted")

    # --- the big-data centre sees the progress ---------------------------------------------------------------
    reviewer = browsing.page(state=data_centre_state)
    assert reviewer.goto("/data/catalog/census/").status == 200
    expect(reviewer.locator("main section.card", has_text=CAMPAIGN)).to_contain_text("66.7%")
    screenshot(reviewer, "census-campaigns")
    with reviewer.expect_navigation():
        reviewer.get_by_role("link", name=CAMPAIGN).click()
    expect(reviewer.locator("main .census-progress")).to_contain_text("66.7%")  # 8 of the 12 demo departments
    expect(reviewer.locator("main progress")).to_have_attribute("value", "66.7")
    row = reviewer.locator("main .census-assignments tbody tr", has_text=DEPARTMENT)
    expect(row).to_contain_text(zh("submitted, awaiting acceptance"))
    assert_accessible(browsing, reviewer)
    screenshot(reviewer, "census-campaign-progress")
    with reviewer.expect_navigation():
        reviewer.get_by_label(zh("State")).select_option("submitted")
        reviewer.locator("main form[role=search] button[type=submit]").click()
    expect(reviewer.locator("main .census-assignments tbody tr")).to_have_count(4)
    reviewer_phone = browsing.page(state=reviewer.context.storage_state(), mobile=True)
    assert reviewer_phone.goto(reviewer.url.removeprefix(server.url)).status == 200
    assert_no_horizontal_overflow(reviewer_phone)
    screenshot(reviewer_phone, "census-campaign-mobile")
