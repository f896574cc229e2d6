"""The officials' case pages (工作台 → 办件): who may open them (anonymous → login, citizens → 403,
another county's official → 404), the inbox (urgency, clock badges, filters, counts, the htmx
fragment), the list (search, export), a case's page (masked identity, the audited reveal, answers,
materials and their audited download, clock, history) and every action form, with the bad input
answered 422 in Chinese and nothing lost; and the workbench's inbox card."""

import datetime as dt
import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from dgov.accounts.models import Role
from dgov.accounts.testing import grant, make_user
from dgov.cases import services
from dgov.cases.models import Case, CaseMaterial, Correction, MaterialKind, MessageTemplate, State
from dgov.core.testing import audited, signed_in, zh_html
from dgov.orgs.models import Department
from dgov.services.models import Implementation, Material, ServiceItem

YUJIANG_CIVIL_AFFAIRS = "360603909"  # 余江区民政局
GUIXI_CIVIL_AFFAIRS = "360681909"  # 贵溪市民政局
INBOX = "/workbench/cases/"
LIST = "/workbench/cases/all/"
ALL_PERMS = ("view_case", "accept_case", "review_case", "decide_case", "deliver_case")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def page(case, suffix: str = "") -> str:
    return f"{INBOX}{case.reference}/{suffix}"


def role(code: str, perms, app_label: str = "cases") -> Role:
    found, _ = Role.objects.get_or_create(code=code, defaults={"name": code})
    found.permissions.set(Permission.objects.filter(content_type__app_label=app_label, codename__in=perms))
    return found


def officer(username: str, department_code: str, perms=ALL_PERMS, *, personal_data: bool = False):
    """An official of `department_code` holding `perms` on cases of that department."""
    user = make_user(username, department_code=department_code, roles=[("staff", "all", None)])
    code = "t_cases_" + "_".join(sorted(p.split("_")[0] for p in perms))
    role(code, perms)
    grant(user, code, "department", department_code)
    if personal_data:
        role("t_personal_data", ["view_personal_data_naturalperson"], "accounts")
        grant(user, "t_personal_data", "department", department_code)
    return user


@pytest.fixture
def impl(db):
    item = ServiceItem.objects.create(base_code="000105001000", name="最低生活保障金给付", item_type="05",
                                      legal_basis="《社会救助暂行办法》第九条")
    dept = Department.objects.get(code=YUJIANG_CIVIL_AFFAIRS)
    implementation = Implementation.objects.create(
        item=item, code="11360622MB1234567X000105001000T1", name="最低生活保障金给付", department=dept,
        region=dept.region, service_object="person", case_kind="promised", statutory_limit=20,
        promised_limit=10, process_steps=[{"name": "受理"}, {"name": "初审"}, {"name": "复审"}, {"name": "决定"}],
        status="published", online_apply=True)
    for order, (name, required) in enumerate((("户口簿", True), ("家庭收入证明", True), ("残疾证", False)), 1):
        Material.objects.create(implementation=implementation, order=order, name=name, required=required)
    return implementation


@pytest.fixture
def clerk(db):
    return officer("t_yj_clerk", YUJIANG_CIVIL_AFFAIRS)


@pytest.fixture
def outsider(db):
    return officer("t_gx_clerk", GUIXI_CIVIL_AFFAIRS)


def submit_case(citizen, implementation) -> Case:
    case = services.start(actor=citizen, implementation=implementation)
    services.save_answers(actor=citizen, case=case, answers={
        "name": "张三", "id_number": citizen.person.id_number, "phone": "13900000000", "details": "申请低保"})
    for material in implementation.materials.filter(required=True):
        services.add_upload(actor=citizen, case=case, material=material,
                            file=SimpleUploadedFile(f"{material.name}.pdf", PDF))
    return services.submit(actor=citizen, case=case)


@pytest.fixture
def submitted(world, impl):
    return submit_case(world.citizen, impl)


def state_of(case) -> str:
    return Case.objects.get(pk=case.pk).state


def invalid(html: str, name: str) -> bool:
    """Whether the form control `name` is marked invalid."""
    match = re.search(rf'<(?:input|textarea|select)[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert match, f"no control {name}"
    return 'aria-invalid="true"' in match[0]


def act(client, case, action: str, **fields):
    data = {"action": action, **{f"{action}-{k}": v for k, v in fields.items()}}
    return client.post(page(case), data)


# --- who may open the pages ---------------------------------------------------------------------------

def test_anonymous_go_to_login_citizens_get_403(world, submitted):
    for url in (INBOX, LIST, page(submitted), page(submitted, "personal-data/")):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert signed_in(world.citizen).get(url).status_code == 403
    # even the applicant: the officials' page is not theirs (they have "my cases")
    assert act(signed_in(world.citizen), submitted, "accept").status_code == 403
    assert state_of(submitted) == State.SUBMITTED


def test_an_official_without_case_permissions_gets_403(world, submitted):
    for url in (INBOX, LIST, page(submitted)):
        assert signed_in(world.official).get(url).status_code == 403
    assert signed_in(world.official).get("/workbench/").status_code == 200  # without the inbox card
    assert "case-inbox-card" not in signed_in(world.official).get("/workbench/").content.decode()


def test_another_countys_official_gets_404(outsider, submitted):
    client = signed_in(outsider)
    assert submitted.reference not in client.get(INBOX).content.decode()
    assert submitted.reference not in client.get(LIST).content.decode()
    assert client.get(page(submitted)).status_code == 404
    material = submitted.materials.first()
    assert client.get(page(submitted, f"materials/{material.pk}/")).status_code == 404
    assert act(client, submitted, "accept").status_code == 404
    assert state_of(submitted) == State.SUBMITTED
    assert audited("web:POST " + page(submitted), outcome="denied") is not None


def test_an_official_without_the_permission_for_an_action_gets_403(submitted):
    deliverer = officer("t_yj_deliverer", YUJIANG_CIVIL_AFFAIRS, ("view_case", "deliver_case"))
    client = signed_in(deliverer)
    html = client.get(page(submitted)).content.decode()
    assert 'name="action" value="accept"' not in html
    assert act(client, submitted, "accept").status_code == 403
    assert state_of(submitted) == State.SUBMITTED


# --- the inbox ----------------------------------------------------------------------------------

def test_the_inbox_lists_the_cases_by_urgency_with_their_clock(world, clerk, impl):
    later, sooner = submit_case(world.citizen, impl), submit_case(world.citizen, impl)
    today = timezone.localdate()
    Case.objects.filter(pk=sooner.pk).update(intake_due_on=today - dt.timedelta(days=1))
    response = signed_in(clerk).get(INBOX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(sooner.reference) < html.index(later.reference)  # the overdue one first
    assert f'data-reference="{sooner.reference}" data-clock="overdue"' in html
    assert zh_html("overdue") in html and "text-bg-dark" in html
    assert 'data-state="submitted"' in html  # the count per state
    # the workbench's card counts them too
    home = signed_in(clerk).get("/workbench/").content.decode()
    assert "case-inbox-card" in home and f"{INBOX}?warning=overdue" in home


def test_the_inbox_filters_and_serves_its_table_to_htmx(world, clerk, impl):
    first, second = submit_case(world.citizen, impl), submit_case(world.citizen, impl)
    Case.objects.filter(pk=first.pk).update(intake_due_on=timezone.localdate())  # due today: red
    client = signed_in(clerk)
    html = client.get(INBOX, {"warning": "red"}).content.decode()
    assert first.reference in html and second.reference not in html
    html = client.get(INBOX, {"state": "accepted"}).content.decode()
    assert first.reference not in html  # no choice "accepted" while none is: the filter finds nothing
    html = client.get(INBOX, {"item": impl.code, "department": YUJIANG_CIVIL_AFFAIRS}).content.decode()
    assert first.reference in html and second.reference in html
    fragment = client.get(INBOX, {"warning": "red"}, headers={"HX-Request": "true", "HX-Target": "inbox-table"})
    body = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in body and first.reference in body
    assert "HX-Target" in fragment["Vary"]


def test_the_inbox_and_the_list_read_no_more_for_more_cases(world, clerk, impl):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(clerk)

    def queries(url) -> int:
        client.get(url)  # warm the per-process caches
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    submit_case(world.citizen, impl)
    few = {url: queries(url) for url in (INBOX, LIST)}
    for _ in range(4):
        submit_case(world.citizen, impl)
    assert {url: queries(url) for url in (INBOX, LIST)} == few


def test_the_list_searches_by_reference_and_exports(world, clerk, impl):
    first, second = submit_case(world.citizen, impl), submit_case(world.citizen, impl)
    client = signed_in(clerk)
    html = client.get(LIST, {"q": first.reference}).content.decode()
    assert first.reference in html and second.reference not in html
    response = client.get(LIST, {"export": "xlsx"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert {r[0] for r in rows[1:]} == {first.reference, second.reference}
    assert audited("cases.case.export") is not None


# --- a case's page -----------------------------------------------------------------------------------

def test_the_case_page_masks_the_identity_and_reveals_it_audited(world, clerk, submitted):
    number = world.citizen.person.id_number
    client = signed_in(clerk)
    html = client.get(page(submitted)).content.decode()
    assert number not in html and number[:3] + "*" * 11 + number[-4:] in html
    assert "张三" in html and "户口簿" in html and "case-history" in html
    assert "reveal-personal-data" not in html  # no personal-data permission
    assert client.get(page(submitted, "personal-data/")).status_code == 403
    assert audited("personal_data.read", object_id=str(submitted.pk)) is not None  # the answers were read
    identity = officer("t_yj_identity", YUJIANG_CIVIL_AFFAIRS, personal_data=True)
    client = signed_in(identity)
    assert "reveal-personal-data" in client.get(page(submitted)).content.decode()
    fragment = client.get(page(submitted, "personal-data/"), headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and number in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    entry = audited("personal_data.read", actor_id=identity.pk)
    assert entry.changes["fields"] == ["applicant_code", "contact_phone"]


def test_an_e_licence_material_shows_its_identifier_and_links(clerk, submitted, impl):
    identifier = "1.2.156.3005.2.11360000MB0000000X001.11360622MB1234567X.00000001.001.K"
    CaseMaterial.objects.create(case=submitted, material=impl.materials.get(order=3), name="残疾证",
                                kind=MaterialKind.LICENCE, license_identifier=identifier)
    html = signed_in(clerk).get(page(submitted)).content.decode()
    licence = CaseMaterial.objects.get(license_identifier=identifier)
    assert f'<span class="font-monospace text-break case-licence">{identifier}</span>' in html
    assert f'href="{page(submitted, f"materials/{licence.pk}/")}"' in html  # pulled through the holder's grant
    assert "/licenses/verify/?identifier=" in html


def test_the_workbench_card_counts_the_inbox(world, clerk, impl):
    cases = [submit_case(world.citizen, impl) for _ in range(3)]
    today = timezone.localdate()
    Case.objects.filter(pk=cases[0].pk).update(intake_due_on=today - dt.timedelta(days=3))
    Case.objects.filter(pk=cases[1].pk).update(intake_due_on=today)
    html = signed_in(clerk).get("/workbench/").content.decode()
    for key, count in (("to_accept", 3), ("overdue", 1), ("red", 1)):
        assert re.search(rf'data-count="{key}"><span class="fs-4 fw-semibold">{count}</span>', html), key
    assert f'href="{INBOX}"' in html
    # the city's administrator views every case but acts on none: the card shows nothing to do
    html = signed_in(world.admin).get("/workbench/").content.decode()
    assert re.search(r'data-count="to_accept"><span class="fs-4 fw-semibold">0</span>', html)


def test_a_material_downloads_audited(clerk, submitted):
    material = submitted.materials.order_by("pk").first()
    response = signed_in(clerk).get(page(submitted, f"materials/{material.pk}/"))
    assert response.status_code == 200 and response.content == PDF
    assert response["Content-Type"] == "application/pdf" and "attachment" in response["Content-Disposition"]
    assert audited("personal_data.read", actor_id=clerk.pk, object_type="cases.casematerial") is not None


# --- the actions --------------------------------------------------------------------------------

def test_a_correction_notice_needs_a_complete_list_and_keeps_the_input(world, clerk, submitted, impl):
    client = signed_in(clerk)
    html = client.get(page(submitted)).content.decode()
    for action in ("accept", "request_correction", "not_accept"):
        assert f'name="action" value="{action}"' in html
    assert 'value="approve"' not in html  # not before acceptance
    # nothing listed
    response = act(client, submitted, "request_correction")
    assert response.status_code == 422
    assert zh_html("List everything the applicant must correct: tick at least one material or name another "
                   "item.") in response.content.decode()
    # a ticked material without a reason, a free item without its reason: both flagged, the rest kept
    household, income = impl.materials.order_by("order")[:2]
    response = act(client, submitted, "request_correction", **{
        f"m{household.pk}": "on", f"m{income.pk}": "on", f"m{income.pk}_reason": "缺少2026年的收入证明",
        "extra0_name": "申请人签名", "reason": "请一次补齐"})
    html = response.content.decode()
    assert response.status_code == 422
    assert zh_html("Say what is missing or wrong with this material.") in html
    assert "缺少2026年的收入证明" in html and "请一次补齐" in html and "申请人签名" in html
    assert invalid(html, f"request_correction-m{household.pk}_reason")
    assert invalid(html, "request_correction-extra0_reason")
    assert not invalid(html, f"request_correction-m{income.pk}_reason")
    assert zh_html("Say what is missing or wrong.") in html
    assert state_of(submitted) == State.SUBMITTED and not Correction.objects.exists()
    # complete
    response = act(client, submitted, "request_correction", **{
        f"m{income.pk}": "on", f"m{income.pk}_reason": "缺少2026年的收入证明",
        "extra0_name": "申请人签名", "extra0_reason": "申请表未签名", "reason": "请一次补齐"})
    assert response.status_code == 302 and response["Location"] == page(submitted)
    assert state_of(submitted) == State.CORRECTION
    correction = Correction.objects.get(case=submitted)
    assert correction.items == [{"material": income.pk, "name": "家庭收入证明", "reason": "缺少2026年的收入证明"},
                                {"material": None, "name": "申请人签名", "reason": "申请表未签名"}]
    html = client.get(page(submitted)).content.decode()
    assert "申请表未签名" in html and 'name="action"' not in html  # waiting for the applicant


def test_the_whole_way_from_resubmission_to_closing(world, clerk, submitted, impl):
    client = signed_in(clerk)
    income = impl.materials.get(order=2)
    act(client, submitted, "request_correction", **{f"m{income.pk}": "on", f"m{income.pk}_reason": "不清晰"})
    services.add_upload(actor=world.citizen, case=submitted, material=income,
                        file=SimpleUploadedFile("收入证明.pdf", PDF))
    services.resubmit(actor=world.citizen, case=submitted)
    assert act(client, submitted, "accept", reason="材料齐全").status_code == 302
    assert state_of(submitted) == State.ACCEPTED
    # review: the opinion is required
    response = act(client, submitted, "review", reason="")
    assert response.status_code == 422 and zh_html("This field is required.") in response.content.decode()
    assert state_of(submitted) == State.ACCEPTED
    assert act(client, submitted, "review", reason="初审通过").status_code == 302
    html = client.get(page(submitted)).content.decode()
    assert "复审" in html and 'value="suspend"' in html
    # a special procedure: the reason is required; then resume
    response = act(client, submitted, "suspend", procedure="hearing", reason="")
    assert response.status_code == 422 and invalid(response.content.decode(), "suspend-reason")
    assert re.search(r'<option value="hearing"[^>]* selected>', response.content.decode())
    assert act(client, submitted, "suspend", procedure="hearing", reason="申请人要求听证").status_code == 302
    assert state_of(submitted) == State.SUSPENDED
    assert zh_html("clock paused") in client.get(INBOX).content.decode()
    assert act(client, submitted, "resume", reason="听证结束").status_code == 302
    assert act(client, submitted, "review", reason="复审通过").status_code == 302
    assert act(client, submitted, "approve", reason="").status_code == 302
    assert state_of(submitted) == State.APPROVED
    assert act(client, submitted, "deliver", reason="短信通知并邮寄").status_code == 302
    assert act(client, submitted, "close").status_code == 302
    case = Case.objects.get(pk=submitted.pk)
    assert case.state == State.CLOSED and case.outcome == "approved"
    html = client.get(page(submitted)).content.decode()
    for text in ("初审通过", "申请人要求听证", "短信通知并邮寄", "不清晰"):
        assert text in html
    assert 'name="action"' not in html


@pytest.mark.parametrize("action", ["not_accept", "refuse"])
def test_refusals_need_written_reasons(clerk, submitted, action):
    client = signed_in(clerk)
    if action == "refuse":
        act(client, submitted, "accept")
    before = state_of(submitted)
    response = act(client, submitted, action, reason="  ")
    assert response.status_code == 422
    html = response.content.decode()
    assert zh_html("This field is required.") in html and "error-summary" in html
    assert f'<details class="case-action border rounded p-2 mb-2" data-action="{action}" open>' in html
    assert state_of(submitted) == before
    response = act(client, submitted, action, reason="不符合《社会救助暂行办法》第九条规定的条件")
    assert response.status_code == 302
    assert state_of(submitted) == (State.NOT_ACCEPTED if action == "not_accept" else State.REFUSED)


def test_an_action_the_case_has_moved_past_is_refused_on_the_page(clerk, submitted):
    client = signed_in(clerk)
    act(client, submitted, "accept")
    response = act(client, submitted, "accept")
    assert response.status_code == 422 and "error-summary" in response.content.decode()
    response = client.post(page(submitted), {"action": "teleport"})
    assert response.status_code == 422
    assert state_of(submitted) == State.ACCEPTED


# --- the wording of the messages --------------------------------------------------------------------------

def test_the_city_edits_a_message_template_and_unknown_placeholders_are_refused(world, clerk):
    url = f"{INBOX}messages/correction/edit/"
    assert signed_in(clerk).get(f"{INBOX}messages/").status_code == 403
    client = signed_in(world.admin)
    assert client.get(f"{INBOX}messages/").status_code == 200
    template = MessageTemplate.objects.get(code="correction")
    data = {"name": template.name, "subject": template.subject, "body": "请补正：((items))。((nonsense))",
            "sms": "on", "active": "on"}
    response = client.post(url, data)
    assert response.status_code == 422
    assert zh_html("Unknown placeholder: %(names)s.") % {"names": "((nonsense))"} in response.content.decode()
    assert MessageTemplate.objects.get(code="correction").body == template.body
    response = client.post(url, {**data, "body": "您申请的“((item))”需要补正：((items))。"})
    assert response.status_code == 302
    assert MessageTemplate.objects.get(code="correction").body == "您申请的“((item))”需要补正：((items))。"
    assert audited("cases.messagetemplate.change") is not None
    assert client.get(f"{INBOX}messages/correction/delete/").status_code == 404
