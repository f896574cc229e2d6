"""The data supply–demand list in a real browser against `dgov serve`: the data administrator of
余江区民政局 (`yj_data`) sees the overdue demo demand flagged, files a demand for 社保 data (the form's
errors first, in Chinese), sees the suggested catalog entries and matches the one of 余江区人社局;
that department's data administrator (created through the `dgov` command line, as an operator would)
is refused a confirmation without an answer, then confirms. The list and the demand's page fit a
375 px phone and pass axe-core."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .support import axe_violations, format_violations, log_in, screenshot

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
PHONE_WIDTH = 375
LIST = "/data/catalog/demands/"
REQUESTER = "360603909"  # 余江区民政局
PROVIDER = "360603905"  # 余江区人力资源和社会保障局
TITLE = "低保对象社保参保状态核验（端到端测试）"
ENTRY = "社会保险参保信息"  # the demo catalog's entry of 余江区人社局

CREATE_PROVIDER = """
import json, os
from django.db import transaction
from dgov.accounts.models import Role, RoleAssignment, UserKind
from dgov.accounts.services import new_user
from dgov.core import audit
from dgov.core.context import RequestContext, use_context
from dgov.orgs.models import Department

spec = json.loads(os.environ["E2E_DEMANDS_PROVIDER"])
with use_context(RequestContext(source="cli")), transaction.atomic():
    department = Department.objects.get(code=spec["department"])
    user = new_user(spec["username"], spec["password"], kind=UserKind.OFFICIAL, real_name=spec["real_name"],
                    department=department, region=department.region)
    RoleAssignment.objects.create(user=user, role=Role.objects.get(code="catalog_editor"), scope_kind="department",
                                  department=department)
    RoleAssignment.objects.create(user=user, role=Role.objects.get(code="staff"), scope_kind="all")
    audit.record("accounts.user.create", user, changes={"roles": ["catalog_editor", "staff"]})
print("created", spec["username"])
"""


@pytest.fixture(scope="module")
def officials(server) -> dict[str, dict]:
    requester = server.accounts.get("yj_data")
    assert requester, "the demo data has the account yj_data"
    spec = {"username": "e2e_demands_provider", "password": f"Yt{secrets.token_urlsafe(9)}#7a",
            "real_name": "余江区人社局数据管理员", "department": PROVIDER}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DGOV_", "DJANGO_", "PROMETHEUS_"))}
    env.update(DGOV_DATA_DIR=str(server.data_dir), DGOV_DATABASE_URL=server.database_url, DGOV_LOG_LEVEL="WARNING",
               E2E_DEMANDS_PROVIDER=json.dumps(spec))
    done = subprocess.run([str(BIN / "dgov"), "manage", "shell", "-c", CREATE_PROVIDER], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"creating the provider failed:\n{done.stdout}\n{done.stderr}"
    return {"requester": requester, "provider": spec}


def assert_no_horizontal_overflow(page):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= PHONE_WIDTH, f"{page.url} is {widths} px wide on a {PHONE_WIDTH} px screen"


def step(page, name: str):
    return page.locator(f"form.demand-step:has(input[name=action][value={name}])")


def test_a_demand_is_filed_matched_and_confirmed(browsing, server, officials):
    # --- the requester: the list flags the overdue demo demand ----------------------------------------
    requester = browsing.page()
    log_in(requester, officials["requester"])
    assert requester.goto("/workbench/data/").status == 200
    with requester.expect_navigation():
        requester.locator(f"main a[href='{LIST}']").click()
    expect(requester.locator("main .alert-warning .badge.text-bg-danger")).to_be_visible()
    overdue_row = requester.locator("#object-table tbody tr", has_text="低保申请家庭成员社保参保状态核验")
    expect(overdue_row.locator(".badge.text-bg-danger")).to_be_visible()
    screenshot(requester, "demands-list")

    # --- files a demand: first without the required fields, then complete -------------------------------
    with requester.expect_navigation():
        requester.locator(f"main a[href='{LIST}add/']").click()
    expect(requester.locator("#id_department")).to_have_value(re.compile(r"\d+"))
    with requester.expect_navigation() as nav:
        requester.locator("form.demand-form button[type=submit]").click()
    assert nav.value.status == 422
    expect(requester.locator("main .error-summary")).to_be_visible()
    expect(requester.locator("#id_title_error")).to_have_text("此项为必填项。")
    requester.fill("#id_title", TITLE)
    requester.fill("#id_fields", "姓名\n身份证号\n参保险种\n参保状态")
    requester.fill("#id_purpose", "城乡低保审核时核对家庭成员的社保参保状态。")
    requester.fill("#id_legal_basis", "《社会救助暂行办法》第十一条")
    requester.fill("#id_scenario", "余江区社会救助综合信息系统按件核验。")
    requester.select_option("#id_sharing_method", "api")
    with requester.expect_navigation() as nav:
        requester.locator("form.demand-form button[type=submit]").click()
    assert nav.value.status == 200
    match = re.search(r"/data/catalog/demands/(XQ\d{9})/$", requester.url)
    assert match, f"not on the demand's page: {requester.url}\n{requester.inner_text('main')[:2000]}"
    number, demand_url = match[1], requester.url.removeprefix(server.url)
    expect(requester.locator("main h1")).to_contain_text(TITLE)

    # --- the suggestions: the 社保 entry of 余江区人社局 holds all four fields ------------------------------
    suggestions = requester.locator(".demand-suggestions > li", has_text=ENTRY)
    suggestion = suggestions.filter(has_text="余江区人力资源和社会保障局")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_contain_text("4")
    screenshot(requester, "demands-suggestions")
    with requester.expect_navigation():
        suggestion.locator("form.demand-match button").click()
    expect(requester.locator("main .alert-success")).to_be_visible()
    expect(requester.locator("main .demand-fields")).to_contain_text(ENTRY)
    expect(requester.locator("#steps-title")).to_be_visible()
    expect(step(requester, "confirm")).to_have_count(0)  # the provider answers, not the requester

    # --- the provider: refused without an answer, then confirms ------------------------------------------
    provider = browsing.page()
    log_in(provider, officials["provider"])
    assert provider.goto(f"{LIST}?role=provider").status == 200
    expect(provider.locator("#object-table tbody tr", has_text=number)).to_have_count(1)
    assert provider.goto(demand_url).status == 200
    with provider.expect_navigation() as nav:
        step(provider, "confirm").locator("button").click()
    assert nav.value.status == 422
    expect(provider.locator("main .error-summary")).to_be_visible()
    expect(provider.locator("#text-confirm")).to_have_attribute("aria-invalid", "true")
    provider.fill("#text-confirm", "同意共享，通过市公共数据平台接口按件核验参保状态。")
    with provider.expect_navigation():
        step(provider, "confirm").locator("button").click()
    expect(provider.locator("main .alert-success")).to_be_visible()
    expect(provider.locator("main h1 ~ .badge.fs-6").first).to_have_class(re.compile("text-bg-primary"))  # confirmed
    expect(provider.locator("table.demand-history tbody tr")).to_have_count(3)
    screenshot(provider, "demands-confirmed")

    # --- a 375 px phone: the steps first, no sideways scrolling --------------------------------------
    phone = browsing.page(state=requester.context.storage_state(), mobile=True)
    assert phone.goto(demand_url).status == 200
    assert phone.locator("#steps-title").bounding_box()["y"] < phone.locator("#fields-title").bounding_box()["y"]
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "demands-detail-mobile")
    assert phone.goto(LIST).status == 200
    assert_no_horizontal_overflow(phone)
    screenshot(phone, "demands-list-mobile")

    # --- WCAG 2.2 AA (axe-core needs a context that bypasses the CSP) ------------------------------------
    for url, state in ((LIST, requester), (demand_url, provider)):
        checked = browsing.page(state=state.context.storage_state(), bypass_csp=True)
        assert checked.goto(url).status == 200
        violations = axe_violations(checked)
        assert not violations, format_violations(checked.url, violations)
