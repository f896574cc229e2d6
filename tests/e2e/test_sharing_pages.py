"""Sharing requests in a real browser against `dgov serve`: a data administrator of 余江区人社局
(created through the `dgov` command line with an application of the department, as an operator
would) requests 余江区民政局's 婚姻登记信息, is refused the negative-listed 男方身份证号 with an error
naming it, then requests two items; the provider (`yj_data`) approves with a quota; the big-data
centre (`data_centre`) approves, and the grant is active with exactly the approved items. The list
flags the overdue demo request and passes axe-core."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .support import axe_violations, format_violations, log_in, screenshot

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
LIST = "/data/exchange/requests/"
CONSUMER = "360603905"  # 余江区人力资源和社会保障局
ENTRY = "婚姻登记信息（余江区民政局"  # the demo catalog's county entry, as the entry picker labels it
NEGATIVE_ITEM = "男方身份证号"  # on the demo data negative list (PIPL_ID)

CREATE_CONSUMER = """
import json, os
from django.db import transaction
from dgov.accounts.models import Role, RoleAssignment, UserKind
from dgov.accounts.services import new_user
from dgov.core import audit
from dgov.core.context import RequestContext, use_context
from dgov.accounts.models import Application, User
from dgov.orgs.models import Department

spec = json.loads(os.environ["E2E_SHARING_CONSUMER"])
with use_context(RequestContext(source="cli")), transaction.atomic():
    department = Department.objects.get(code=spec["department"])
    user = new_user(spec["username"], spec["password"], kind=UserKind.OFFICIAL, real_name=spec["real_name"],
                    department=department, region=department.region)
    RoleAssignment.objects.create(user=user, role=Role.objects.get(code="catalog_editor"), scope_kind="department",
                                  department=department)
    RoleAssignment.objects.create(user=user, role=Role.objects.get(code="staff"), scope_kind="all")
    account = User(username="app." + spec["app"], kind=UserKind.APPLICATION, real_name=spec["app_name"],
                   department=department, region=department.region)
    account.set_unusable_password()
    account.save()
    app = Application.objects.create(code=spec["app"], name=spec["app_name"], department=department, account=account)
    audit.record("accounts.user.create", user, changes={"roles": ["catalog_editor", "staff"]})
    audit.record("accounts.application.create", app, changes={"code": spec["app"]})
print("created", spec["username"], spec["app"])
"""


@pytest.fixture(scope="module")
def consumer(server) -> dict:
    spec = {"username": "e2e_sharing_consumer", "password": f"Yt{secrets.token_urlsafe(9)}#7a",
            "real_name": "余江区人社局数据管理员", "department": CONSUMER, "app": "e2e-hrss-aid",
            "app_name": "余江区就业援助系统（端到端测试）"}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DGOV_", "DJANGO_", "PROMETHEUS_"))}
    env.update(DGOV_DATA_DIR=str(server.data_dir), DGOV_DATABASE_URL=server.database_url, DGOV_LOG_LEVEL="WARNING",
               E2E_SHARING_CONSUMER=json.dumps(spec))
    done = subprocess.run([str(BIN / "dgov"), "manage", "shell", "-c", CREATE_CONSUMER], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"creating the consumer failed:\n{done.stdout}\n{done.stderr}"
    return spec


def decide(page, action: str, reason: str):
    form = page.locator(f"form.sharing-step:has(input[name=action][value={action}])")
    form.locator("textarea[name=reason]").fill(reason)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    return form


def test_request_provider_centre_grant(browsing, server, consumer, data_centre_state):
    # --- the consumer: the list flags the overdue demo request; the request form in two steps --------
    page = browsing.page()
    log_in(page, consumer)
    page.goto(LIST)
    expect(page.locator("#object-table .badge.text-bg-danger").first).to_be_visible()
    page.goto(f"{LIST}add/")
    option = page.locator("#id_entry option", has_text=ENTRY).first
    code = option.get_attribute("value")
    page.select_option("#id_entry", code)
    with page.expect_navigation():
        page.locator("form.sharing-entry-form button[type=submit]").click()
    assert f"entry={code.replace('/', '%2F')}" in page.url or f"entry={code}" in page.url
    page.select_option("#id_application", label="余江区就业援助系统（端到端测试） (e2e-hrss-aid)")
    for name in ("男方姓名", NEGATIVE_ITEM):
        page.check(f"input[name=items][value='{name}']")
    page.fill("#id_purpose", "认定零就业家庭时核实申请人的婚姻状况（端到端测试）。")
    page.fill("#id_legal_basis", "《就业服务与就业管理规定》第四十一条")
    page.fill("#id_scenario", "就业援助系统按件查询。")
    with page.expect_navigation():
        page.locator("form.sharing-request-form button[type=submit]").click()
    # refused: the negative-listed item is named in the error, nothing was submitted
    errors = page.locator(".error-summary, .invalid-feedback")
    expect(errors.first).to_contain_text(NEGATIVE_ITEM)
    screenshot(page, "sharing-request-refused")
    page.uncheck(f"input[name=items][value='{NEGATIVE_ITEM}']")
    page.check("input[name=items][value='登记日期']")
    with page.expect_navigation():
        page.locator("form.sharing-request-form button[type=submit]").click()
    number = page.locator("h1 .font-monospace").inner_text().strip()
    assert number.startswith("GX"), number
    request_url = f"{LIST}{number}/"
    expect(page.locator("#request-status")).to_have_class("badge fs-6 text-bg-info")
    expect(page.locator("form.sharing-step input[value=withdraw]")).to_have_count(1)

    # --- the provider (余江区民政局) approves, narrowing nothing, with a quota --------------------------
    provider = browsing.page()
    log_in(provider, server.accounts["yj_data"])
    provider.goto(request_url)
    form = provider.locator("form.sharing-step:has(input[name=action][value=provider_approve])")
    form.locator("input[name=daily_quota]").fill("300")
    decide(provider, "provider_approve", "用途明确，同意提供（端到端测试）。")
    expect(provider.locator("#request-status")).to_have_class("badge fs-6 text-bg-primary")

    # --- the big-data centre approves: the grant exists at once ----------------------------------------
    centre = browsing.page(state=data_centre_state)
    centre.goto(request_url)
    decide(centre, "centre_approve", "符合有条件共享要求，同意授权（端到端测试）。")
    expect(centre.locator("#request-status")).to_have_class("badge fs-6 text-bg-success")
    expect(centre.locator(".sharing-history tbody tr")).to_have_count(4)
    screenshot(centre, "sharing-request-granted")
    with centre.expect_navigation():
        centre.locator("a[href*='/data/exchange/grants/']").first.click()
    fields = centre.locator("dl.grant-fields")
    expect(fields).to_contain_text("男方姓名")
    expect(fields).to_contain_text("登记日期")
    expect(fields).not_to_contain_text(NEGATIVE_ITEM)
    expect(fields).to_contain_text("300")
    expect(centre.locator("form.grant-revoke")).to_have_count(1)
    screenshot(centre, "sharing-grant")
    grant_url = centre.url

    # --- WCAG 2.2 AA (axe-core needs a context that bypasses the CSP) --------------------------------------
    for url, state in ((LIST, page), (request_url, provider), (grant_url, centre)):
        checked = browsing.page(state=state.context.storage_state(), bypass_csp=True)
        assert checked.goto(url).status == 200
        violations = axe_violations(checked)
        assert not violations, format_violations(checked.url, violations)
