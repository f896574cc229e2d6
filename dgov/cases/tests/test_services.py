"""The case engine: the applicant's draft, uploads, submission and reference numbers, every transition
with its scope check, audit entry, event and notification, illegal transitions, the clocks through a
whole case across National Day 2026, 补正 and special procedures, 即办件, and the reference counter under
concurrency."""

import datetime as dt
import re
import threading

import pytest
from django.db import connection
from django.utils import timezone

from dgov.cases import clock, selectors, services
from dgov.cases.models import Case, CaseEvent, CaseMaterial, Correction, ReferenceCounter
from dgov.cases.testing import (
    ANSWERS,
    JPEG,
    PDF,
    PNG,
    at,
    draft_case,
    make_implementation,
    make_officials,
    pdf_upload,
    submitted_case,
)
from dgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from dgov.core.models import AuditEntry
from dgov.core.permissions import has_permission
from dgov.core.testing import audited
from dgov.notifications.models import OutboxMessage

D = dt.date.fromisoformat


@pytest.fixture
def frozen(monkeypatch):
    """Set the platform's clock: frozen("2026-09-30", "10:00")."""
    def set_to(day: str, time: str = "10:00"):
        moment = at(day, time)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment
    return set_to


@pytest.fixture
def officials(db):
    return make_officials()


@pytest.fixture
def impl(db):
    return make_implementation()


def messages_to(user):
    return OutboxMessage.objects.filter(user=user).order_by("pk")


def events(case):
    return list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("action", flat=True))


# --- drafts ----------------------------------------------------------------------------------------------
def test_start_makes_a_draft_for_the_citizen(world, impl):
    case = services.start(actor=world.citizen, implementation=impl)
    assert case.state == "draft" and case.reference is None
    assert case.applicant == world.citizen and case.department == impl.department and case.region == impl.region
    assert case.applicant_code == world.citizen.person.id_number and case.applicant_code_index
    assert audited("cases.case.create", object_id=str(case.pk)) is not None
    assert selectors.my_cases(world.citizen).filter(pk=case.pk).exists()


def test_only_citizens_and_enterprises_apply_and_only_for_what_is_online(world, impl):
    with pytest.raises(PermissionDenied):
        services.start(actor=world.official, implementation=impl)
    offline = make_implementation(online_apply=False)
    with pytest.raises(Conflict):
        services.start(actor=world.citizen, implementation=offline)
    draft_impl = make_implementation(status="draft")
    with pytest.raises(NotFound):
        services.start(actor=world.citizen, implementation=draft_impl)
    for_enterprises = make_implementation(service_object="enterprise")
    with pytest.raises(PermissionDenied):
        services.start(actor=world.citizen, implementation=for_enterprises)


def test_answers_are_validated_per_page_and_encrypted(world, impl):
    case = services.start(actor=world.citizen, implementation=impl)
    with pytest.raises(ValidationError) as exc:
        services.save_answers(actor=world.citizen, case=case, answers={"name": ""}, page="name")
    assert "name" in exc.value.details
    services.save_answers(actor=world.citizen, case=case, answers={"name": "李娜"}, page="name")
    case.refresh_from_db()
    assert services.answers_of(case)["name"] == "李娜"
    raw = Case.objects.filter(pk=case.pk).values_list("answers", flat=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers FROM cases_case WHERE id = %s", [case.pk])
        stored = cursor.fetchone()[0]
    assert "李娜" not in stored and raw
    other = world.yujiang_admin
    with pytest.raises(NotFound):
        services.save_answers(actor=other, case=case, answers={"name": "x"})


# --- uploads ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("data", "content_type"), [(PDF, "application/pdf"), (PNG, "image/png"),
                                                    (JPEG, "image/jpeg")])
def test_uploads_by_content_encrypted_with_sm3(world, impl, data, content_type):
    from dgov.crypto.primitives import sm3

    case = services.start(actor=world.citizen, implementation=impl)
    material = impl.materials.get()
    item = services.add_upload(actor=world.citizen, case=case, material=material,
                               file=pdf_upload("scan.bin", data))
    assert item.content_type == content_type and item.size == len(data) and item.sm3 == sm3(data).hex()
    assert bytes(item.content) != data and data not in bytes(item.content)
    assert services.read_material(actor=world.citizen, case_material=item) == data
    assert audited("personal_data.read", object_id=str(item.pk)) is not None


def test_uploads_refused_by_content_not_name_and_by_size(world, impl, settings):
    case = services.start(actor=world.citizen, implementation=impl)
    material = impl.materials.get()
    with pytest.raises(ValidationError) as exc:
        services.add_upload(actor=world.citizen, case=case, material=material,
                            file=pdf_upload("looks.pdf", b"MZ\x90\x00 not a pdf"))
    assert "file" in exc.value.details
    with pytest.raises(ValidationError):
        services.add_upload(actor=world.citizen, case=case, material=material, file=pdf_upload("empty.pdf", b""))
    settings.DGOV_CASE_UPLOAD_MAX_BYTES = 20
    with pytest.raises(ValidationError) as exc:
        services.add_upload(actor=world.citizen, case=case, material=material, file=pdf_upload("big.pdf", PDF))
    assert "MB" in str(exc.value.details["file"][0])
    assert not CaseMaterial.objects.filter(case=case).exists()


def test_a_material_of_another_item_is_refused_and_materials_can_be_removed(world, impl):
    case = services.start(actor=world.citizen, implementation=impl)
    foreign = make_implementation().materials.get()
    with pytest.raises(ValidationError):
        services.add_upload(actor=world.citizen, case=case, material=foreign, file=pdf_upload())
    item = services.add_upload(actor=world.citizen, case=case, material=impl.materials.get(), file=pdf_upload())
    with pytest.raises(NotFound):
        services.remove_material(actor=world.yujiang_admin, case_material=item)
    services.remove_material(actor=world.citizen, case_material=item)
    assert not CaseMaterial.objects.filter(pk=item.pk).exists()


def test_officials_read_materials_in_scope_only(world, impl, officials):
    case = submitted_case(world.citizen, impl)
    item = case.materials.get()
    assert services.read_material(actor=officials.intake, case_material=item) == PDF
    with pytest.raises(NotFound):
        services.read_material(actor=officials.guixi, case_material=item)
    with pytest.raises(NotFound):
        selectors.case_for(officials.guixi, case.reference)


# --- submission --------------------------------------------------------------------------------------------
def test_submit_refuses_an_incomplete_application(world, impl):
    case = services.start(actor=world.citizen, implementation=impl)
    with pytest.raises(ValidationError) as exc:
        services.submit(actor=world.citizen, case=case)
    assert {"reason", "materials"} <= set(exc.value.details)
    case.refresh_from_db()
    assert case.state == "draft" and case.reference is None


def test_submit_gives_the_reference_and_starts_the_intake_clock(world, impl, frozen):
    frozen("2026-09-30", "10:00")
    case = submitted_case(world.citizen, impl)
    second = submitted_case(world.citizen, impl)
    assert case.reference == "YT20260930000001" and second.reference == "YT20260930000002"
    assert re.fullmatch(r"YT\d{14}", case.reference)
    assert case.state == "submitted" and case.received_on == D("2026-09-30")
    assert case.intake_due_on == D("2026-10-13")  # 5 working days across National Day
    assert (case.limit_days, case.limit_unit) == (10, "working")  # the promised limit
    assert audited("cases.case.submit", object_id=str(case.pk)).changes["reference"] == case.reference
    sent = messages_to(world.citizen).filter(subject__contains=case.reference)
    assert set(sent.values_list("channel", flat=True)) == {"in_app", "sms"}
    assert "2026-10-13" in sent.first().body
    with pytest.raises(Conflict):
        services.submit(actor=world.citizen, case=case)


def test_statutory_limit_when_no_promise_and_natural_days(world, frozen):
    frozen("2026-09-30", "18:00")  # after hours: received on 8 October
    impl = make_implementation(promised_limit=0, statutory_limit=20, statutory_unit="natural")
    case = submitted_case(world.citizen, impl)
    assert (case.limit_days, case.limit_unit, case.received_on) == (20, "natural", D("2026-10-08"))


# --- a whole case across National Day ---------------------------------------------------------------------------
def test_a_whole_case_with_correction_and_special_procedure(world, impl, officials, frozen):
    frozen("2026-09-30", "10:00")
    case = submitted_case(world.citizen, impl)

    frozen("2026-10-08", "09:00")
    material = impl.materials.get()
    case = services.transition(actor=officials.intake, case=case, action="request_correction",
                               reason="请按要求补正。", items=[{"material": material.pk, "reason": "扫描件不清晰"}])
    assert case.state == "correction" and case.paused_on == D("2026-10-08")
    correction = Correction.objects.get(case=case)
    assert correction.items == [{"material": material.pk, "name": material.name, "reason": "扫描件不清晰"}]
    notice = messages_to(world.citizen).filter(channel="sms").last()
    assert "扫描件不清晰" in notice.body and case.reference in notice.subject
    # the case no longer counts as accepted by law while the applicant corrects it
    assert clock.tick(D("2026-10-20"))["deemed_accepted"] == 0

    frozen("2026-10-12", "11:00")
    old = case.materials.get()
    services.remove_material(actor=world.citizen, case_material=old)
    services.add_upload(actor=world.citizen, case=case, material=material, file=pdf_upload())
    case = services.resubmit(actor=world.citizen, case=case)
    old.refresh_from_db()
    assert old.superseded
    assert case.state == "submitted" and case.received_on == D("2026-10-12")
    assert case.intake_due_on == D("2026-10-19")  # a new intake period from the resubmission
    assert Correction.objects.get(case=case).answered_at is not None

    frozen("2026-10-13", "09:00")
    case = services.transition(actor=officials.intake, case=case, action="accept")
    assert case.accepted_on == D("2026-10-13") and case.due_on == D("2026-10-27")
    assert not case.deemed_accepted

    frozen("2026-10-14", "09:00")
    case = services.transition(actor=officials.reviewer, case=case, action="review")
    assert (case.state, case.step) == ("in_review", 1)
    case = services.transition(actor=officials.reviewer, case=case, action="suspend", reason="组织专家评审",
                               procedure="expert_review")
    assert case.state == "suspended" and clock.status(case, D("2026-12-01")) == "ok"

    frozen("2026-10-21", "09:00")
    case = services.transition(actor=officials.reviewer, case=case, action="resume")
    # 15, 16, 19, 20, 21 October did not count: the deadline moves by five working days
    assert (case.state, case.paused_days, case.due_on) == ("in_review", 5, D("2026-11-03"))

    case = services.transition(actor=officials.reviewer, case=case, action="review")
    assert case.step == 2
    assert "review" not in services.allowed_actions(officials.reviewer, case)  # both steps done
    case = services.transition(actor=officials.decider, case=case, action="approve")
    assert case.state == "approved" and case.outcome == "approved" and case.decided_at
    case = services.transition(actor=officials.intake, case=case, action="deliver")
    case = services.transition(actor=officials.intake, case=case, action="close")
    assert case.state == "closed" and case.closed_at

    assert events(case) == ["start", "submit", "request_correction", "resubmit", "accept", "review", "suspend",
                            "resume", "review", "approve", "deliver", "close"]
    assert list(selectors.history(case, public_only=True).values_list("action", flat=True)) == events(case)
    for action in ("accept", "request_correction", "review", "suspend", "resume", "approve", "deliver", "close"):
        entry = audited(f"cases.case.{action}", object_id=str(case.pk))
        assert entry is not None and entry.outcome == "success", action
    subjects = list(messages_to(world.citizen).filter(channel="in_app").values_list("subject", flat=True))
    assert len(subjects) == 11 and all(case.reference in s for s in subjects)


# --- illegal transitions, reasons and scope ------------------------------------------------------------------------
def test_actions_not_possible_in_the_state_are_refused_with_the_allowed_list(world, impl, officials):
    case = submitted_case(world.citizen, impl)
    with pytest.raises(ValidationError) as exc:
        services.transition(actor=officials.all_roles, case=case, action="approve")
    assert exc.value.code == "not_allowed"
    assert exc.value.details["allowed"] == ["accept", "not_accept", "request_correction"]
    with pytest.raises(ValidationError):
        services.transition(actor=officials.all_roles, case=case, action="fly")
    assert services.allowed_actions(world.citizen, case) == ["withdraw"]
    assert services.allowed_actions(officials.reviewer, case) == []


@pytest.mark.parametrize("action", ["not_accept", "refuse", "suspend"])
def test_reasons_are_required_where_the_law_requires_them(world, impl, officials, action):
    case = submitted_case(world.citizen, impl)
    if action != "not_accept":
        case = services.transition(actor=officials.all_roles, case=case, action="accept")
    with pytest.raises(ValidationError) as exc:
        services.transition(actor=officials.all_roles, case=case, action=action, reason="  ")
    assert "reason" in exc.value.details
    case = services.transition(actor=officials.all_roles, case=case, action=action, reason="不符合法定条件")
    assert CaseEvent.objects.filter(case=case, action=action).get().reason == "不符合法定条件"


def test_not_accepted_sends_the_written_reason(world, impl, officials):
    case = submitted_case(world.citizen, impl)
    case = services.transition(actor=officials.intake, case=case, action="not_accept", reason="不属于本机关职权范围")
    assert (case.state, case.outcome) == ("not_accepted", "not_accepted")
    assert "不属于本机关职权范围" in messages_to(world.citizen).filter(channel="sms").last().body
    case = services.transition(actor=officials.intake, case=case, action="close")
    assert case.state == "closed"


def test_a_correction_notice_needs_its_complete_list(world, impl, officials):
    case = submitted_case(world.citizen, impl)
    for items in (None, [], [{"name": "", "reason": ""}], [{"material": 999999, "reason": "x"}]):
        with pytest.raises(ValidationError) as exc:
            services.transition(actor=officials.intake, case=case, action="request_correction", items=items)
        assert "items" in exc.value.details
    case.refresh_from_db()
    assert case.state == "submitted" and not Correction.objects.filter(case=case).exists()


def test_permissions_and_scope(world, impl, officials):
    case = submitted_case(world.citizen, impl)
    with pytest.raises(PermissionDenied) as exc:
        services.transition(actor=officials.guixi, case=case, action="accept")
    assert exc.value.code == "out_of_scope"
    with pytest.raises(PermissionDenied):
        services.transition(actor=officials.reviewer, case=case, action="accept")
    with pytest.raises(PermissionDenied):
        services.transition(actor=world.citizen, case=case, action="accept")
    with pytest.raises(PermissionDenied):
        services.transition(actor=world.official, case=case, action="accept")
    case = services.transition(actor=officials.intake, case=case, action="accept")
    with pytest.raises(PermissionDenied):
        services.transition(actor=officials.intake, case=case, action="approve")
    assert not AuditEntry.objects.filter(action="cases.case.approve").exists()


def test_withdraw_by_the_applicant_before_the_decision(world, impl, officials):
    case = submitted_case(world.citizen, impl)
    other = make_officials("o").intake
    with pytest.raises(NotFound):
        services.transition(actor=other, case=case, action="withdraw")
    case = services.transition(actor=officials.intake, case=case, action="accept")
    case = services.transition(actor=world.citizen, case=case, action="withdraw", reason="不再需要")
    assert (case.state, case.outcome) == ("withdrawn", "withdrawn") and case.closed_at
    decided = submitted_case(world.citizen, impl)
    decided = services.transition(actor=officials.all_roles, case=decided, action="accept")
    decided = services.transition(actor=officials.all_roles, case=decided, action="refuse", reason="不符合条件")
    with pytest.raises(ValidationError):
        services.transition(actor=world.citizen, case=decided, action="withdraw")


def test_instant_cases_close_at_acceptance(world, officials):
    impl = make_implementation(case_kind="instant", statutory_limit=0, promised_limit=0)
    case = submitted_case(world.citizen, impl)
    case = services.transition(actor=officials.intake, case=case, action="accept")
    assert (case.state, case.outcome) == ("closed", "approved")
    assert case.accepted_on and case.decided_at and case.closed_at and case.due_on == case.accepted_on
    assert CaseEvent.objects.get(case=case, action="accept").data == {"instant": True}
    assert "办结" in messages_to(world.citizen).last().subject


# --- the daily run -----------------------------------------------------------------------------------------
def test_tick_deems_acceptance_warns_and_escalates(world, impl, officials, frozen):
    frozen("2026-09-30", "10:00")
    case = submitted_case(world.citizen, impl)
    assert clock.tick(D("2026-10-13")) == {"deemed_accepted": 0, "warnings": 1, "escalated": 0, "messages": 4}
    # the intake due day warned intake, reviewer, decider and the all-roles official (not 贵溪's)
    case.refresh_from_db()
    assert case.state == "submitted" and case.warning_sent == "red"

    result = clock.tick(D("2026-10-14"))
    assert result["deemed_accepted"] == 1
    case.refresh_from_db()
    assert case.state == "accepted" and case.deemed_accepted and case.accepted_on == D("2026-09-30")
    assert case.due_on == D("2026-10-20")  # 10 working days from the receipt day
    assert CaseEvent.objects.get(case=case, action="deemed_accept").public
    assert "视为受理" in messages_to(world.citizen).last().subject

    case.refresh_from_db()
    assert case.warning_sent == ""  # the red of the intake clock was reset by the acceptance
    assert clock.tick(D("2026-10-15"))["warnings"] == 0  # 16, 19, 20 October left: 3 of 10
    yellow = clock.tick(D("2026-10-16"))  # 2 left: at most 20%
    assert yellow["warnings"] == 1 and yellow["messages"] == 4
    assert clock.tick(D("2026-10-19"))["warnings"] == 0  # yellow once
    assert clock.tick(D("2026-10-20"))["warnings"] == 1  # red on the due day
    intake_messages = messages_to(officials.intake).count()
    assert intake_messages == 3

    result = clock.tick(D("2026-10-21"))
    assert result["escalated"] == 1
    case.refresh_from_db()
    assert case.escalated_on == D("2026-10-21")
    event = CaseEvent.objects.get(case=case, action="escalate")
    assert not event.public
    assert messages_to(officials.supervisor).filter(subject__contains="超期").count() == 1
    assert clock.tick(D("2026-10-22"))["escalated"] == 0
    assert not selectors.history(case, public_only=True).filter(action__in=["escalate", "warn_red"]).exists()
    assert audited("cases.case.escalate", object_id=str(case.pk)) is not None


# --- the inbox ---------------------------------------------------------------------------------------------
def test_inbox_holds_what_the_official_can_act_on_most_urgent_first(world, impl, officials, frozen):
    frozen("2026-09-30", "10:00")
    first = submitted_case(world.citizen, impl)
    frozen("2026-10-12", "10:00")
    second = submitted_case(world.citizen, impl)
    draft = draft_case(world.citizen, impl)
    frozen("2026-10-13", "10:00")
    assert list(selectors.inbox(officials.intake)) == [first, second]
    assert list(selectors.inbox(officials.reviewer)) == []
    assert list(selectors.inbox(officials.guixi)) == []
    assert list(selectors.inbox(officials.intake, warning="red")) == [first]
    assert list(selectors.inbox(officials.intake, warning="yellow")) == []
    assert selectors.counts(officials.intake)["red"] == 1
    with pytest.raises(PermissionDenied):
        selectors.inbox(world.official)
    assert draft not in selectors.visible_cases(world.admin)
    assert {first, second} <= set(selectors.visible_cases(world.yujiang_admin))
    frozen("2026-10-16", "10:00")  # the second's intake ends on Monday 19 October: one working day left
    assert list(selectors.inbox(officials.intake, warning="yellow")) == [second]
    assert list(selectors.inbox(officials.intake, warning="overdue")) == [first]
    assert list(selectors.inbox(officials.intake, warning="any")) == [first, second]
    assert selectors.counts(officials.intake) == {"total": 2, "yellow": 1, "red": 0, "overdue": 1}


def test_accepted_on_a_day_off_the_clock_starts_from_receipt(world, impl, officials, frozen):
    frozen("2026-10-03", "10:00")  # National Day holiday: received on Thursday 8 October
    case = submitted_case(world.citizen, impl)
    services.transition(actor=officials.intake, case=case, action="accept")
    case.refresh_from_db()
    assert case.received_on == case.accepted_on == D("2026-10-08")
    assert case.due_on == D("2026-10-21")  # 10 working days after 8 October (Saturday 10 October is worked)


def test_counts_for_an_official_who_views_cases_but_acts_on_none(world, impl):
    admin = world.yujiang_admin  # county_admin: views cases, acts on none
    assert has_permission(admin, Case, "view") and not has_permission(admin, Case, "accept")
    assert selectors.counts(admin) == {"total": 0, "yellow": 0, "red": 0, "overdue": 0}


# --- the reference counter under concurrency ---------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_references_are_unique_under_concurrent_submissions():
    """Two transactions take the day's next reference at once: one waits for the other's counter row."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers with its IMMEDIATE transactions; the in-memory test database "
                    "cannot be opened from a second thread")
    from django.db import close_old_connections, transaction

    day = D("2031-01-02")
    results, started = [], threading.Barrier(2)

    def take():
        try:
            started.wait(10)
            with transaction.atomic():
                number = services.next_reference(day)
                threading.Event().wait(0.3)
            results.append(number)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["YT20310102000001", "YT20310102000002"]
    ReferenceCounter.objects.filter(day=day).delete()


def test_answers_helper_reads_json(world, impl):
    case = draft_case(world.citizen, impl)
    assert services.answers_of(case) | ANSWERS == services.answers_of(case)


# --- 免证办 and the result licence -------------------------------------------------------------------------------
@pytest.fixture
def licence_world(world):
    """A 居住证-like licence type issued by 余江区行政审批局 (our implementing department), its seal, and the
    citizen's licence (dgov/licenses/tests/conftest.py's helpers)."""
    from dgov.licenses import services as license_services
    from dgov.licenses.models import LicenseType
    from dgov.licenses.tests.conftest import DEFINING, FIELDS, GUIXI, YUJIANG, give_credit_codes, issue, make_seal
    from dgov.orgs.models import Department

    give_credit_codes(DEFINING, YUJIANG, GUIXI)
    departments = {code: Department.objects.get(code=code) for code in (DEFINING, YUJIANG, GUIXI)}
    t = license_services.type_save(
        actor=world.admin, license_type=LicenseType(
            name="居住证", defining_department=departments[DEFINING], holder_kind="person",
            physical_licence="居住证（IC卡）", fields=FIELDS, validity_months=12, face={"title": "居住证"}),
        issuing_departments=[departments[YUJIANG], departments[GUIXI]])
    make_seal(world.admin, departments[YUJIANG])
    licence = issue(world.yujiang_admin, t, departments[YUJIANG], world.citizen)
    return {"type": t, "licence": licence, "departments": departments}


def test_licence_free_handling_through_the_holders_grant(world, officials, licence_world):
    from dgov.licenses import selectors as license_selectors
    from dgov.licenses.models import LicenseGrant

    t, licence = licence_world["type"], licence_world["licence"]
    impl = make_implementation(materials=[{"name": "居住证", "license_type": t}, {"name": "申请书"}])
    by_licence = impl.materials.get(name="居住证")
    case = draft_case(world.citizen, impl)  # uploads the 申请书
    item = services.use_licence(actor=world.citizen, case=case, material=by_licence, identifier=licence.identifier)
    assert (item.kind, item.license_identifier, item.license_grant) == ("licence", licence.identifier, None)
    case = services.submit(actor=world.citizen, case=case)
    item.refresh_from_db()
    grant = item.license_grant
    assert grant.case_reference == case.reference and grant.department == impl.department
    assert audited("licenses.licensegrant.create", object_id=str(grant.pk)) is not None

    pdf = services.read_material(actor=officials.intake, case_material=item)
    assert pdf.startswith(b"%PDF")
    uses = license_selectors.holder_uses(world.citizen)
    assert [(u.case_reference, u.department_id) for u in uses] == [(case.reference, impl.department_id)]
    assert audited("licenses.license.pull") is not None
    # the applicant reads their own licence without a pull
    assert services.read_material(actor=world.citizen, case_material=item) == pdf
    assert license_selectors.holder_uses(world.citizen).count() == 1
    # once the applicant withdraws the application, the grant ends and the department cannot pull any more
    case = services.transition(actor=world.citizen, case=case, action="withdraw")
    assert LicenseGrant.objects.get(pk=grant.pk).revoked_at is not None
    assert CaseEvent.objects.get(case=case, action="withdraw").data == {"grants_withdrawn": 1}
    with pytest.raises(NotFound):
        services.read_material(actor=officials.intake, case_material=item)


def test_licence_must_be_the_applicants_and_of_the_materials_type(world, licence_world):
    from dgov.accounts.testing import make_citizen

    t, licence = licence_world["type"], licence_world["licence"]
    impl = make_implementation(materials=[{"name": "居住证", "license_type": t}, {"name": "户口簿"}])
    case = services.start(actor=world.citizen, implementation=impl)
    with pytest.raises(ValidationError) as exc:  # not replaceable by a licence
        services.use_licence(actor=world.citizen, case=case, material=impl.materials.get(name="户口簿"),
                             identifier=licence.identifier)
    assert "material" in exc.value.details
    stranger = make_citizen("c_stranger", verified=True)
    theirs = services.start(actor=stranger, implementation=impl)
    with pytest.raises(ValidationError) as exc:
        services.use_licence(actor=stranger, case=theirs, material=impl.materials.get(name="居住证"),
                             identifier=licence.identifier)
    assert "identifier" in exc.value.details
    # a licence of another type
    from dgov.licenses import services as license_services
    from dgov.licenses.models import LicenseType
    from dgov.licenses.tests.conftest import FIELDS, issue

    departments = licence_world["departments"]
    other = license_services.type_save(
        actor=world.admin, license_type=LicenseType(
            name="暂住证明", defining_department=t.defining_department, holder_kind="person", fields=FIELDS,
            validity_months=12, face={"title": "暂住证明"}),
        issuing_departments=[departments["360603907"]])
    other_licence = issue(world.yujiang_admin, other, departments["360603907"], world.citizen)
    with pytest.raises(ValidationError) as exc:
        services.use_licence(actor=world.citizen, case=case, material=impl.materials.get(name="居住证"),
                             identifier=other_licence.identifier)
    assert "居住证" in exc.value.details["identifier"][0]
    assert not case.materials.exists()


def test_approve_issues_the_result_licence(world, officials, licence_world):
    from dgov.licenses.models import License
    from dgov.licenses.tests.conftest import VALUES

    t = licence_world["type"]
    impl = make_implementation(result_license_type=t, form={"version": 1, "pages": [
        {"key": "address", "title": "居住地址", "fields": [
            {"key": "address", "label": "居住地址", "type": "text", "required": True}]},
        {"key": "category", "title": "类别", "fields": [
            {"key": "category", "label": "类别", "type": "choice", "required": True,
             "choices": [{"value": "务工", "label": "务工"}, {"value": "就学", "label": "就学"}]}]}]})
    case = submitted_case(world.citizen, impl, answers={"address": VALUES["address"], "category": "务工"})
    case = services.transition(actor=officials.all_roles, case=case, action="accept")
    case = services.transition(actor=officials.decider, case=case, action="approve")
    licence = License.objects.get(identifier=case.result_license)
    assert licence.case_reference == case.reference and licence.source == "case"
    assert licence.holder_code == world.citizen.person.id_number and licence.issuer == impl.department
    assert CaseEvent.objects.get(case=case, action="approve").data["result_license"] == licence.identifier
    assert licence.identifier in messages_to(world.citizen).filter(channel="in_app").last().body


def test_approve_is_refused_when_the_licence_cannot_be_issued(world, officials, licence_world):
    from dgov.licenses.models import Seal

    t = licence_world["type"]
    Seal.objects.filter(department=licence_world["departments"]["360603907"]).update(status="revoked")
    impl = make_implementation(result_license_type=t, form={"version": 1, "pages": [
        {"key": "address", "title": "居住地址", "fields": [
            {"key": "address", "label": "居住地址", "type": "text", "required": True}]}]})
    case = submitted_case(world.citizen, impl, answers={"address": "余江区锦江镇"})
    case = services.transition(actor=officials.all_roles, case=case, action="accept")
    with pytest.raises(ValidationError) as exc:
        services.transition(actor=officials.decider, case=case, action="approve", fields={"category": "务工"})
    assert exc.value.code == "license_not_issued"
    assert "e-seal" in str(exc.value.message) or "电子印章" in str(exc.value.message)
    case.refresh_from_db()
    assert case.state == "accepted" and not case.result_license


def test_an_enterprise_account_applies_as_the_enterprise(world):
    from dgov.accounts.models import Enterprise, UserKind
    from dgov.accounts.testing import make_user
    from dgov.cases.models import APPLICANT_INDEX
    from dgov.core.validators import credit_code_check_char
    from dgov.crypto.fields import blind_index

    account = make_user("c_ent_account", kind=UserKind.ENTERPRISE, phone="13800000001")
    first17 = "91360603MA35" + "FGHJK"
    company = Enterprise.objects.create(name="鹰潭办件测试有限公司",
                                        credit_code=first17 + credit_code_check_char(first17),
                                        legal_representative="王五", account=account, verified=True)
    impl = make_implementation(service_object="enterprise", form={})
    case = services.start(actor=account, implementation=impl)
    assert (case.enterprise, case.applicant_name, case.applicant_code) == (company, company.name, company.credit_code)
    assert case.applicant_code_index == blind_index(company.credit_code, APPLICANT_INDEX)
    assert services.answers_of(case)["enterprise_name"] == company.name  # prefilled from the verified enterprise
    with pytest.raises(PermissionDenied):
        services.start(actor=account, implementation=make_implementation(service_object="person"))


def test_review_steps_leave_out_intake_and_what_follows_the_decision(db):
    impl = make_implementation(process_steps=[{"name": "申请"}, {"name": "受理"}, {"name": "审核"},
                                              {"name": "现场核查"}, {"name": "许可决定"}, {"name": "制证发证"}])
    case = Case(implementation=impl)
    assert services.review_steps(case) == ["审核", "现场核查"]
    impl.process_steps = [{"name": "申请"}, {"name": "审核发证"}]
    assert services.review_steps(case) == ["审查"]


def test_natural_day_limits_and_pauses(world, officials, frozen):
    impl = make_implementation(promised_limit=7, promised_unit="natural")
    frozen("2026-09-21", "10:00")
    case = submitted_case(world.citizen, impl)
    frozen("2026-09-22", "10:00")
    case = services.transition(actor=officials.all_roles, case=case, action="accept")
    # 22 Sep + 7 natural days = 29 Sep (a Tuesday, a working day)
    assert (case.limit_unit, case.due_on) == ("natural", D("2026-09-29"))
    case = services.transition(actor=officials.all_roles, case=case, action="suspend", reason="检测",
                               procedure="testing")
    frozen("2026-09-24", "10:00")
    case = services.transition(actor=officials.all_roles, case=case, action="resume")
    # two natural days paused: 1 October, a holiday, so the deadline moves to the next working day
    assert (case.paused_days, case.due_on) == (2, D("2026-10-08"))
    assert clock.remaining_working_days(case, D("2026-09-30")) == 8  # natural days for a natural limit


# --- hooks for other apps and cases without application ---------------------------------------------------
def test_other_apps_hear_every_transition_and_may_refuse_one(world, impl, officials):
    from dgov.cases.signals import case_transitioned, case_transitioning

    heard = []

    def listen(sender, case, action, before, **kwargs):
        heard.append((action, before, case.state))

    def refuse_review(sender, case, action, **kwargs):
        if action == "review":
            raise ValidationError("not now", code="vetoed")

    case_transitioned.connect(listen)
    case_transitioning.connect(refuse_review)
    try:
        case = submitted_case(world.citizen, impl)
        services.transition(actor=officials.intake, case=case, action="accept")
        with pytest.raises(ValidationError) as exc:
            services.transition(actor=officials.reviewer, case=case, action="review")
        assert exc.value.code == "vetoed"
    finally:
        case_transitioned.disconnect(listen)
        case_transitioning.disconnect(refuse_review)
    assert heard == [("submit", "draft", "submitted"), ("accept", "submitted", "accepted")]
    case.refresh_from_db()
    assert case.state == "accepted" and case.step == 0  # the refused action changed nothing
    assert events(case)[-1] == "accept"


def test_open_proactive_makes_an_accepted_case_without_application(world, impl, officials, frozen):
    from dgov.accounts.testing import make_enterprise

    frozen("2026-09-30", "10:00")
    company = make_enterprise()
    impl.service_object = "enterprise"
    impl.save()
    case = services.open_proactive(actor=officials.decider, implementation=impl, enterprise=company,
                                   answers={"policy": "P1"}, reason="符合政策")
    assert case.channel == "proactive" and case.state == "accepted" and case.reference.startswith("YT20260930")
    assert case.applicant == company.account and case.applicant_name == company.name
    assert case.accepted_on == D("2026-09-30") and case.due_on is not None
    assert services.answers_of(case) == {"policy": "P1"}
    assert events(case) == ["open_proactive"]
    assert audited("cases.case.open_proactive", object_id=str(case.pk))
    message = messages_to(company.account).last()
    assert message is not None and case.reference in message.subject
    assert list(selectors.my_cases(company.account)) == [case]
    with pytest.raises(ValidationError):
        services.open_proactive(actor=officials.decider, implementation=impl)
    impl.status = "draft"
    impl.save()
    with pytest.raises(ValidationError):
        services.open_proactive(actor=officials.decider, implementation=impl, enterprise=company)
