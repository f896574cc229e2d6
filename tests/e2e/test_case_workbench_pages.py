"""The officials' side of a case in a real browser against `dgov serve` (前店后厂): a clerk of 余江区民政局
(created through the `dgov` command line with the case permissions, as an operator would) sees the
inbox card on the workbench, opens the inbox and a submitted case, reveals the applicant's identity
number (htmx, audited), sends a 补正 notice listing a material (first empty: the error is in Chinese);
the applicant corrects and resubmits (through the services, as the applicant's pages would); the
clerk accepts, completes the review step, approves and delivers the result. The pages pass axe-core
and the case page fits a 375 px phone."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .support import axe_violations, format_violations, log_in, screenshot, valid_id_number

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
PHONE_WIDTH = 375
INBOX = "/workbench/cases/"
DEPARTMENT = "360603909"  # 余江区民政局

SETUP = """
import json, os
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from dgov.accounts.models import NaturalPerson, Role, RoleAssignment, UserKind
from dgov.accounts.services import new_user
from dgov.cases import services
from dgov.core import audit
from dgov.core.context import RequestContext, use_context
from dgov.crypto.fields import blind_index
from dgov.orgs.models import Department
from dgov.services.models import Implementation, Material, ServiceItem

spec = json.loads(os.environ["E2E_CASES"])
PDF = b"%PDF-1.4\\n1 0 obj <<>> endobj\\ntrailer <<>>\\n%%EOF\\n"
with use_context(RequestContext(source="cli")), transaction.atomic():
    department = Department.objects.get(code=spec["department"])
    role, _ = Role.objects.get_or_create(code="e2e_case_clerk", defaults={"name": "办件窗口与审批（端到端测试）"})
    role.permissions.set(Permission.objects.filter(content_type__app_label="cases", codename__in=[
        "view_case", "accept_case", "review_case", "decide_case", "deliver_case"]))
    clerk = new_user(spec["clerk"]["username"], spec["clerk"]["password"], kind=UserKind.OFFICIAL,
                     real_name="余江区民政局窗口人员", department=department, region=department.region)
    RoleAssignment.objects.create(user=clerk, role=role, scope_kind="department", department=department)
    RoleAssignment.objects.create(user=clerk, role=Role.objects.get(code="staff"), scope_kind="all")
    personal, _ = Role.objects.get_or_create(code="e2e_personal_data", defaults={"name": "个人信息查看（端到端测试）"})
    personal.permissions.set(Permission.objects.filter(content_type__app_label="accounts",
                                                       codename="view_personal_data_naturalperson"))
    RoleAssignment.objects.create(user=clerk, role=personal, scope_kind="department", department=department)
    citizen = new_user(spec["citizen"]["username"], spec["citizen"]["password"], kind=UserKind.CITIZEN,
                       real_name="李四", phone="13912345678", region=department.region)
    NaturalPerson.objects.create(user=citizen, id_number=spec["citizen"]["id_number"],
                                 id_number_index=blind_index(spec["citizen"]["id_number"], "id_number"))
    audit.record("accounts.user.create", clerk, changes={"roles": ["e2e_case_clerk", "staff"]})
    item = ServiceItem.objects.create(base_code="000105009000", name="临时救助金给付（端到端测试）", item_type="05",
                                      legal_basis="《社会救助暂行办法》第四十七条")
    impl = Implementation.objects.create(
        item=item, code="E2E360603909000105009000", name=item.name, department=department,
        region=department.region, service_object="person", case_kind="promised", statutory_limit=20,
        promised_limit=10, process_steps=[{"name": "受理"}, {"name": "审查"}, {"name": "决定"}],
        status="published", online_apply=True)
    Material.objects.create(implementation=impl, order=1, name="户口簿", required=True)
    Material.objects.create(implementation=impl, order=2, name="家庭收入情况说明", required=True)

with use_context(RequestContext(source="cli")):
    citizen.refresh_from_db()
    case = services.start(actor=citizen, implementation=impl)
    services.save_answers(actor=citizen, case=case, answers={
        "name": "李四", "id_number": spec["citizen"]["id_number"], "phone": "13912345678",
        "details": "家中突遭火灾，申请临时救助。"})
    for material in impl.materials.all():
        services.add_upload(actor=citizen, case=case, material=material,
                            file=SimpleUploadedFile(material.name + ".pdf", PDF))
    case = services.submit(actor=citizen, case=case)
print(json.dumps({"reference": case.reference}))
"""

RESUBMIT = """
import json, os
from django.core.files.uploadedfile import SimpleUploadedFile
from dgov.accounts.models import User
from dgov.cases import services
from dgov.cases.models import Case
from dgov.core.context import RequestContext, use_context

spec = json.loads(os.environ["E2E_CASES"])
PDF = b"%PDF-1.4\\n% corrected\\n1 0 obj <<>> endobj\\ntrailer <<>>\\n%%EOF\\n"
citizen = User.objects.get(username=spec["citizen"]["username"])
case = Case.objects.get(reference=spec["reference"])
with use_context(RequestContext(source="cli")):
    material = case.implementation.materials.get(name="家庭收入情况说明")
    services.add_upload(actor=citizen, case=case, material=material,
                        file=SimpleUploadedFile("家庭收入情况说明（补正）.pdf", PDF))
    services.resubmit(actor=citizen, case=case)
print("resubmitted", case.reference)
"""


def run(server, script: str, spec: dict) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DGOV_", "DJANGO_", "PROMETHEUS_"))}
    env.update(DGOV_DATA_DIR=str(server.data_dir), DGOV_DATABASE_URL=server.database_url, DGOV_LOG_LEVEL="WARNING",
               E2E_CASES=json.dumps(spec))
    done = subprocess.run([str(BIN / "dgov"), "manage", "shell", "-c", script], env=env, capture_output=True,
                          text=True, timeout=180, check=False)
    assert done.returncode == 0, f"the setup script failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def setup(server) -> dict:
    spec = {"department": DEPARTMENT,
            "clerk": {"username": "e2e_case_clerk", "password": f"Yt{secrets.token_urlsafe(9)}#7a"},
            "citizen": {"username": "e2e_case_citizen", "password": f"Yt{secrets.token_urlsafe(9)}#7b",
                        "id_number": valid_id_number("360622")}}
    out = run(server, SETUP, spec)
    spec["reference"] = json.loads(out.strip().splitlines()[-1])["reference"]
    return spec


def action(page, name: str):
    return page.locator(f"details.case-action[data-action={name}]")


def take(page, name: str, *, reason: str | None = None):
    """Open the action's panel, give the reason or note, submit; the page comes back with the success message."""
    panel = action(page, name)
    panel.locator("summary").click()
    if reason is not None:
        panel.locator(f"#id_{name}-reason").fill(reason)
    with page.expect_navigation() as nav:
        panel.locator("button[type=submit]").click()
    assert nav.value.status == 200, page.inner_text("main")[:2000]
    expect(page.locator("main .alert-success")).to_be_visible()


def test_an_official_handles_a_case_from_the_inbox_to_delivery(browsing, server, setup):
    reference = setup["reference"]
    clerk = browsing.page()
    log_in(clerk, {"username": setup["clerk"]["username"], "password": setup["clerk"]["password"]})

    # --- the workbench's card, the inbox --------------------------------------------------------------------
    assert clerk.goto("/workbench/").status == 200
    card = clerk.locator(".case-inbox-card")
    expect(card).to_be_visible()
    expect(card.locator("[data-count=to_accept] .fs-4")).not_to_have_text("0")
    screenshot(clerk, "cases-workbench-card")
    with clerk.expect_navigation():
        card.locator("a.btn-gov").click()
    assert clerk.url.endswith(INBOX)
    row = clerk.locator(f"table.inbox-table tr[data-reference='{reference}']")
    expect(row).to_be_visible()
    expect(row.locator(".badge[data-state=submitted]")).to_have_count(1)
    expect(row).to_have_attribute("data-clock", re.compile("ok|yellow|red|overdue"))
    screenshot(clerk, "cases-inbox")

    # --- the case: a 补正 notice, first empty (refused in Chinese), then listing a material -----------------
    with clerk.expect_navigation():
        row.locator("a").first.click()
    case_url = clerk.url.removeprefix(server.url)
    expect(clerk.locator("main h1")).to_contain_text("临时救助金给付")
    expect(clerk.locator(".case-applicant")).to_contain_text("李四")
    expect(clerk.locator(".case-applicant")).not_to_contain_text(setup["citizen"]["id_number"])
    clerk.locator(".reveal-personal-data").click()  # htmx: the unmasked values replace the button, audited
    expect(clerk.locator("#applicant-personal-data")).to_contain_text(setup["citizen"]["id_number"])
    expect(clerk.locator("#applicant-personal-data")).to_contain_text("13912345678")
    expect(clerk.locator(".case-materials li")).to_have_count(2)
    correction = action(clerk, "request_correction")
    correction.locator("summary").click()
    with clerk.expect_navigation() as nav:
        correction.locator("button[type=submit]").click()
    assert nav.value.status == 422
    summary = clerk.locator("details.case-action[data-action=request_correction] .error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("请更正以下问题")
    # WCAG 2.2 AA on the page with every action form and an error (axe-core needs a context that bypasses the CSP)
    checked = browsing.page(state=clerk.context.storage_state(), bypass_csp=True)
    assert checked.goto(case_url).status == 200
    for panel in checked.locator("details.case-action summary").all():
        panel.click()
    with checked.expect_navigation() as nav:
        action(checked, "not_accept").locator("button[type=submit]").click()  # no reason: 422, nothing changes
    assert nav.value.status == 422
    expect(checked.locator("#id_not_accept-reason")).to_have_attribute("aria-invalid", "true")
    violations = axe_violations(checked)
    assert not violations, format_violations(checked.url, violations)
    income = clerk.locator(".correction-material", has_text="家庭收入情况说明")
    income.locator("input[type=checkbox]").check()
    income.locator("input[type=text]").fill("未写明家庭成员的月收入，请补充后重新上传。")
    clerk.locator("#id_request_correction-reason").fill("其余材料齐全。")
    screenshot(clerk, "cases-correction-form")
    with clerk.expect_navigation() as nav:
        action(clerk, "request_correction").locator("button[type=submit]").click()
    assert nav.value.status == 200
    expect(clerk.locator(".case-state")).to_have_attribute("data-state", "correction")
    expect(clerk.locator(".case-correction")).to_contain_text("未写明家庭成员的月收入")
    expect(clerk.locator("details.case-action")).to_have_count(0)

    # --- the applicant corrects and resubmits; the clerk accepts, reviews, approves, delivers --------------------
    run(server, RESUBMIT, setup)
    assert clerk.goto(case_url).status == 200
    expect(clerk.locator(".case-state")).to_have_attribute("data-state", "submitted")
    take(clerk, "accept", reason="材料齐全，予以受理。")
    expect(clerk.locator(".case-state")).to_have_attribute("data-state", "accepted")
    take(clerk, "review", reason="经审查，符合临时救助条件。")
    expect(clerk.locator(".case-step")).to_contain_text("1")
    take(clerk, "approve", reason="同意给付临时救助金。")
    expect(clerk.locator(".case-state")).to_have_attribute("data-state", "approved")
    take(clerk, "deliver", reason="已短信告知，救助金发放至社保卡。")
    expect(clerk.locator(".case-state")).to_have_attribute("data-state", "delivered")
    history = clerk.locator("table.case-history tbody tr")
    for step in ("request_correction", "resubmit", "accept", "review", "approve", "deliver"):
        expect(history.locator(f"xpath=self::tr[@data-action='{step}']")).to_have_count(1)
    screenshot(clerk, "cases-case-delivered")

    # --- on a 375 px phone: the clock and the actions first, no sideways scrolling ---------------------------
    phone = browsing.page(state=clerk.context.storage_state(), mobile=True)
    assert phone.goto(case_url).status == 200
    assert phone.locator("#clock-title").bounding_box()["y"] < phone.locator("#applicant-title").bounding_box()["y"]
    widths = phone.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= PHONE_WIDTH, f"{phone.url} is {widths} px wide on a {PHONE_WIDTH} px phone"
    screenshot(phone, "cases-case-mobile")

    # --- WCAG 2.2 AA on the workbench, the inbox and the finished case -----------------------------------------
    checked = browsing.page(state=clerk.context.storage_state(), bypass_csp=True)
    for url in ("/workbench/", INBOX, case_url):
        assert checked.goto(url).status == 200
        violations = axe_violations(checked)
        assert not violations, format_violations(checked.url, violations)
