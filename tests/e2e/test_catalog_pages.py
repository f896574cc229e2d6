"""The data resource catalog in a real browser against `dgov serve`: a department's data
administrator creates an entry with its data items (adding rows with htmx) and submits it; a
reviewer of the big-data centre first sends it back without a reason (refused on the page), then
approves and publishes it; the catalog's search for 婚姻 finds it, and a facet narrows the list in
place. The list and the entry page fit a 375 px phone, and the list passes axe-core.

The two officials are the demo accounts `yj_data` (catalog_editor of 余江区民政局) and `data_centre`
(catalog_reviewer); where the demo data lacks them, they are created through the `dgov` command line
(as an operator would)."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

from .support import axe_violations, format_violations, log_in, screenshot

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
PHONE_WIDTH = 375
DEPARTMENT = "360603909"  # 余江区民政局
NAME = "余江区婚姻登记信息（端到端测试）"
LIST = "/data/catalog/resources/"

# Run by `dgov manage shell` against the server's database: the officials, as `createadmin` makes
# its administrators (the user service, role assignments, a TOTP device, an audit entry).
CREATE_OFFICIALS = """
import json, os
from django.db import transaction
from dgov.accounts.models import Role, RoleAssignment, TotpDevice, UserKind
from dgov.accounts.services import new_user
from dgov.core import audit
from dgov.core.context import RequestContext, use_context
from dgov.orgs.models import Department

with use_context(RequestContext(source="cli")), transaction.atomic():
    for spec in json.loads(os.environ["E2E_CATALOG_OFFICIALS"]):
        department = Department.objects.get(code=spec["department"])
        user = new_user(spec["username"], spec["password"], kind=UserKind.OFFICIAL, real_name=spec["real_name"],
                        department=department, region=department.region)
        for code, kind, target in spec["roles"]:
            RoleAssignment.objects.create(user=user, role=Role.objects.get(code=code), scope_kind=kind,
                                          department=Department.objects.get(code=target) if target else None)
        if spec.get("totp_secret"):
            TotpDevice.objects.create(user=user, secret=spec["totp_secret"], confirmed=True)
        audit.record("accounts.user.create", user, changes={"roles": [r[0] for r in spec["roles"]]})
print("created", len(json.loads(os.environ["E2E_CATALOG_OFFICIALS"])))
"""


def _password() -> str:
    return f"Yt{secrets.token_urlsafe(9)}#7a"


@pytest.fixture(scope="module")
def officials(server) -> dict[str, dict]:
    """A data administrator of 余江区民政局 and a reviewer of the big-data centre (with TOTP)."""
    demo = {"editor": server.accounts.get("yj_data"), "reviewer": server.accounts.get("data_centre")}
    if all(demo.values()):
        return demo
    specs = [
        {"username": "e2e_catalog_editor", "password": _password(), "real_name": "余江区民政局数据管理员",
         "department": DEPARTMENT, "roles": [["catalog_editor", "department", DEPARTMENT], ["staff", "all", None]]},
        {"username": "e2e_catalog_reviewer", "password": _password(), "real_name": "市大数据中心审核员",
         "department": "360600036", "roles": [["catalog_reviewer", "all", None], ["staff", "all", None]],
         "totp_secret": pyotp.random_base32()},
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DGOV_", "DJANGO_", "PROMETHEUS_"))}
    env.update(DGOV_DATA_DIR=str(server.data_dir), DGOV_DATABASE_URL=server.database_url, DGOV_LOG_LEVEL="WARNING",
               E2E_CATALOG_OFFICIALS=json.dumps(specs))
    done = subprocess.run([str(BIN / "dgov"), "manage", "shell", "-c", CREATE_OFFICIALS], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"creating the officials failed:\n{done.stdout}\n{done.stderr}"
    return {"editor": specs[0], "reviewer": specs[1]}


def assert_no_horizontal_overflow(page):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= PHONE_WIDTH, f"{page.url} is {widths} px wide on a {PHONE_WIDTH} px screen"


def action(page, name: str):
    return page.locator(f"form.catalog-action:has(input[name=action][value={name}]) button")


def add_item_row(page, n: int) -> None:
    """“Add a data item”: htmx swaps in the rows with one more, which takes the focus."""
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(("/add/", "/edit/"))) as rsp:
        page.locator("button[name=add_item]").click()
    assert rsp.value.request.headers.get("hx-request") == "true"
    expect(page.locator(f"#id_items-{n}-name")).to_be_focused()
    expect(page.locator("#id_items-TOTAL_FORMS")).to_have_value(str(n + 1))


def fill_item(page, n: int, name: str, data_type: str, *, length: str = "", personal: str = "none",
              sharing: str = "", opening: str = "") -> None:
    page.fill(f"#id_items-{n}-name", name)
    page.select_option(f"#id_items-{n}-data_type", data_type)
    if length:
        page.fill(f"#id_items-{n}-length", length)
    page.select_option(f"#id_items-{n}-personal_data", personal)
    page.select_option(f"#id_items-{n}-sharing_type", sharing)
    page.select_option(f"#id_items-{n}-open_type", opening)


def test_an_entry_is_created_submitted_reviewed_published_and_found(browsing, server, officials):
    # --- the department's data administrator creates the entry -----------------------------------------
    editor = browsing.page()
    log_in(editor, officials["editor"])
    assert editor.goto("/workbench/data/").status == 200
    with editor.expect_navigation():
        editor.locator(f"main a[href='{LIST}']").click()
    with editor.expect_navigation():
        editor.locator(f"main a[href='{LIST}add/']").click()
    # Only the official's own department is offered.
    expect(editor.locator("#id_department option")).to_have_count(2)
    editor.select_option("#id_department", index=1)
    classification = editor.locator("#id_classification option", has_text="307 ").first.get_attribute("value")
    editor.select_option("#id_classification", classification)
    editor.fill("#id_name", NAME)
    editor.fill("#id_summary", "余江区婚姻登记机关办理的结婚登记、离婚登记和补领婚姻登记证的记录。")
    editor.select_option("#id_format", "database")
    editor.select_option("#id_sharing_type", "conditional")
    editor.fill("#id_sharing_conditions", "限政务部门依法履职使用，经余江区民政局审核同意。")
    editor.select_option("#id_sharing_method", "api")
    editor.select_option("#id_open_type", "none")
    editor.select_option("#id_update_cycle", "daily")
    editor.fill("#id_source_system", "全国婚姻登记信息系统")
    fill_item(editor, 0, "登记日期", "date")
    add_item_row(editor, 1)
    expect(editor.locator("#id_items-0-name")).to_have_value("登记日期")  # typed rows are kept
    fill_item(editor, 1, "男方姓名", "string", length="50", personal="personal")
    add_item_row(editor, 2)
    fill_item(editor, 2, "男方身份证号", "string", length="18", personal="sensitive", sharing="none", opening="none")
    screenshot(editor, "catalog-entry-form")
    with editor.expect_navigation() as nav:
        editor.locator("main form.catalog-entry-form > button[type=submit]").click()
    assert nav.value.status == 200
    match = re.search(r"/data/catalog/resources/(\d{9}/\d{6})/$", editor.url)
    assert match, f"not on the entry's page: {editor.url}\n{editor.inner_text('main')[:2000]}"
    code, entry_url = match[1], editor.url.removeprefix(server.url)
    expect(editor.locator("main h1")).to_contain_text(NAME)
    expect(editor.locator("table.catalog-items tbody tr")).to_have_count(3)
    expect(editor.locator("table.catalog-items")).to_contain_text("男方身份证号")
    expect(editor.locator("table.catalog-versions tbody tr")).to_have_count(1)

    with editor.expect_navigation():
        action(editor, "submit").click()
    expect(editor.locator("main .alert-success")).to_be_visible()
    expect(action(editor, "submit")).to_have_count(0)
    expect(editor.locator(f"main a[href='{entry_url}edit/']")).to_have_count(0)  # no longer a draft
    screenshot(editor, "catalog-entry-submitted")

    # --- the reviewer: a refusal shown on the page, then approve and publish -------------------------------
    reviewer = browsing.page()
    log_in(reviewer, officials["reviewer"])
    assert reviewer.goto(entry_url).status == 200
    expect(action(reviewer, "approve")).to_be_visible()
    expect(action(reviewer, "publish")).to_have_count(0)
    with reviewer.expect_navigation() as nav:
        action(reviewer, "reject").click()  # without a reason
    assert nav.value.status == 422
    expect(reviewer.locator("main .error-summary")).to_be_visible()
    expect(reviewer.locator("#reason-reject")).to_have_attribute("aria-invalid", "true")
    expect(reviewer.locator("main h1")).to_contain_text(NAME)
    screenshot(reviewer, "catalog-entry-refused")
    # On a phone the reviewer's actions come before the entry's fields.
    reviewer_phone = browsing.page(state=reviewer.context.storage_state(), mobile=True)
    assert reviewer_phone.goto(entry_url).status == 200
    actions_box = reviewer_phone.locator("#actions-title").bounding_box()
    assert actions_box["y"] < reviewer_phone.locator("#fields-title").bounding_box()["y"]
    assert_no_horizontal_overflow(reviewer_phone)
    screenshot(reviewer_phone, "catalog-entry-review-mobile")
    with reviewer.expect_navigation():
        action(reviewer, "approve").click()
    expect(reviewer.locator("main .alert-success")).to_be_visible()
    with reviewer.expect_navigation():
        action(reviewer, "publish").click()
    expect(reviewer.locator("main .alert-success")).to_be_visible()
    expect(action(reviewer, "withdraw")).to_be_visible()
    expect(reviewer.locator("table.catalog-versions tbody tr")).to_have_count(4)
    screenshot(reviewer, "catalog-entry-published")

    # --- the catalog's search finds it; a facet narrows the results in place ------------------------------
    assert editor.goto(LIST).status == 200
    editor.fill("#catalog-q", "婚姻")
    with editor.expect_response(lambda r: "q=" in r.url and r.request.headers.get("hx-target") == "object-table"):
        editor.locator("form.catalog-search button[type=submit]").click()
    editor.wait_for_url(lambda u: "q=%E5%A9%9A%E5%A7%BB" in u)
    expect(editor.locator("#object-table tbody tr td a").first).to_be_visible()  # found something
    facet = editor.locator(f"#catalog-facets a[href*='department={DEPARTMENT}']").first
    expect(facet).to_be_visible()
    with editor.expect_response(lambda r: f"department={DEPARTMENT}" in r.url):
        facet.click()
    editor.wait_for_url(lambda u: f"department={DEPARTMENT}" in u and "q=" in u)
    expect(editor.locator("#catalog-facets a[aria-current=true]").first).to_be_visible()
    row = editor.locator("#object-table tbody tr", has_text=code)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(NAME)
    expect(editor.locator("#catalog-q")).to_have_value("婚姻")
    screenshot(editor, "catalog-list-search")
    list_url = editor.url.removeprefix(server.url)

    # --- a 375 px phone: no sideways scrolling; the facets fold away behind a button ------------------------
    phone = browsing.page(state=editor.context.storage_state(), mobile=True)
    assert phone.goto(list_url).status == 200
    expect(phone.locator("#catalog-facets")).to_be_hidden()
    expect(phone.locator("#object-table tbody tr", has_text=code)).to_have_count(1)
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "catalog-list-search-mobile")
    phone.locator("button[aria-controls=catalog-facets]").click()
    expect(phone.locator("#catalog-facets")).to_be_visible()
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "catalog-list-facets-mobile")
    assert phone.goto(entry_url).status == 200
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "catalog-entry-mobile")

    # --- WCAG 2.2 AA on the list (axe-core needs a context that bypasses the CSP) ------------------------
    for mobile in (False, True):
        checked = browsing.page(state=editor.context.storage_state(), bypass_csp=True, mobile=mobile)
        assert checked.goto(list_url).status == 200
        violations = axe_violations(checked)
        assert not violations, format_violations(checked.url, violations)
    checked = browsing.page(state=reviewer.context.storage_state(), bypass_csp=True)
    assert checked.goto(entry_url).status == 200
    violations = axe_violations(checked)
    assert not violations, format_violations(checked.url, violations)
