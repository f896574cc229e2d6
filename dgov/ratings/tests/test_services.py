"""Ratings: who may rate what and when, the bad rating's rectification loop with its working-day
deadlines, the rule that a bad rating cannot close before its fix and call-back, and the daily reminders."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from dgov.accounts.testing import make_citizen
from dgov.calendars.selectors import add_working_days
from dgov.cases.testing import make_implementation, submitted_case
from dgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from dgov.core.testing import audited
from dgov.notifications.models import OutboxMessage
from dgov.ratings import services
from dgov.ratings.models import Rating, Rectification, Step

from .conftest import decide


def bad(citizen, case, **kwargs):
    return services.rate(actor=citizen, case=case, level=kwargs.pop("level", 1),
                         indicators=kwargs.pop("indicators", ["attitude"]), comment="态度不好", **kwargs)


def test_a_good_rating_is_kept_and_opens_nothing(world, decided):
    rating = services.rate(actor=world.citizen, case=decided, level=5, indicators=["efficiency"], comment="很快")
    assert (rating.level, rating.indicators, rating.department_id) == (5, ["efficiency"], decided.department_id)
    assert not Rectification.objects.filter(rating=rating).exists()
    assert audited("ratings.rating.create", object_id=str(rating.pk)) is not None


@pytest.mark.parametrize("actions", [("accept", "approve"), ("accept", "refuse"), ("not_accept",),
                                     ("accept", "approve", "deliver", "close")])
def test_every_decided_state_can_be_rated(world, officials, actions):
    case = decide(submitted_case(world.citizen, make_implementation()), officials.all_roles, *actions)
    assert services.can_rate(world.citizen, case)
    assert services.rate(actor=world.citizen, case=case, level=4).case_id == case.pk


def test_a_case_not_yet_decided_cannot_be_rated(world, officials):
    case = submitted_case(world.citizen, make_implementation())
    assert not services.can_rate(world.citizen, case)
    with pytest.raises(Conflict) as exc:
        services.rate(actor=world.citizen, case=case, level=5)
    assert exc.value.code == "not_rateable"
    case = decide(case, officials.all_roles, "accept")
    with pytest.raises(Conflict):
        services.rate(actor=world.citizen, case=case, level=5)


def test_only_the_applicant_rates_and_only_once(world, decided, officials):
    with pytest.raises(NotFound):
        services.rate(actor=make_citizen("r_other"), case=decided, level=5)
    with pytest.raises(NotFound):
        services.rate(actor=officials.all_roles, case=decided, level=5)
    services.rate(actor=world.citizen, case=decided, level=5)
    with pytest.raises(Conflict) as exc:
        services.rate(actor=world.citizen, case=decided, level=1, indicators=["attitude"])
    assert exc.value.code == "already_rated"
    assert Rating.objects.filter(case=decided).count() == 1
    assert not services.can_rate(world.citizen, decided)


@pytest.mark.parametrize(("level", "indicators", "field"), [(0, [], "level"), (6, [], "level"), ("x", [], "level"),
                                                           (4, ["nonsense"], "indicators"), (2, [], "indicators"),
                                                           (1, "attitude", "indicators")])
def test_bad_input_is_refused_by_field(world, decided, level, indicators, field):
    with pytest.raises(ValidationError) as exc:
        services.rate(actor=world.citizen, case=decided, level=level, indicators=indicators)
    assert field in exc.value.details
    assert not Rating.objects.exists()


def test_a_too_long_comment_is_refused(world, decided):
    with pytest.raises(ValidationError) as exc:
        services.rate(actor=world.citizen, case=decided, level=5, comment="长" * 1001)
    assert "comment" in exc.value.details


def test_a_bad_rating_opens_its_rectification_due_in_one_working_day_and_tells_the_managers(
        world, decided, manager, guixi_manager, on_day):
    on_day(dt.date(2026, 11, 13))  # a Friday: verification due on Monday
    rating = bad(world.citizen, decided, level=2, indicators=["efficiency", "attitude"])
    rect = rating.rectification
    assert rect.state == Step.VERIFY and rect.due_on == dt.date(2026, 11, 16)
    told = OutboxMessage.objects.filter(user=manager, channel="in_app")
    assert told.count() == 1 and decided.reference in told.get().subject and "2026-11-16" in told.get().body
    assert not OutboxMessage.objects.filter(user=guixi_manager).exists()


def test_the_loop_verify_fix_callback_closes_with_deadlines_on_the_calendar(world, decided, manager, on_day):
    on_day(dt.date(2026, 11, 13))
    rect = bad(world.citizen, decided).rectification
    rect = services.record_step(actor=manager, rectification=rect, step="verify", text="情况属实", founded=True)
    assert rect.state == Step.FIX and rect.founded is True
    assert rect.due_on == add_working_days(dt.date(2026, 11, 13), 5)
    rect = services.record_step(actor=manager, rectification=rect, step="fix", text="已对窗口人员批评教育")
    assert rect.state == Step.CALLBACK and rect.due_on == add_working_days(dt.date(2026, 11, 13), 3)
    # the applicant is told what was done (整改反馈)
    assert any("已对窗口人员批评教育" in m.body for m in OutboxMessage.objects.filter(user=world.citizen))
    rect = services.record_step(actor=manager, rectification=rect, step="callback", text="电话回访，表示满意",
                                satisfied=True)
    assert rect.state == Step.CLOSED and rect.due_on is None and rect.closed_at is not None
    assert [e.step for e in rect.events.all()] == ["verify", "fix", "callback"]
    assert audited("ratings.rectification.callback", object_id=str(rect.pk)).changes["state"] == ["callback",
                                                                                                 "closed"]


def test_a_bad_rating_cannot_close_before_its_fix_and_callback(world, decided, manager):
    rect = bad(world.citizen, decided).rectification
    for step in ("fix", "callback"):  # no skipping ahead from verify
        with pytest.raises(ValidationError) as exc:
            services.record_step(actor=manager, rectification=rect, step=step, text="跳过", satisfied=True)
        assert exc.value.code == "not_allowed"
    rect = services.record_step(actor=manager, rectification=rect, step="verify", text="属实", founded=True)
    with pytest.raises(ValidationError):  # verified but not fixed: no call-back, no closing
        services.record_step(actor=manager, rectification=rect, step="callback", text="回访", satisfied=True)
    rect.refresh_from_db()
    assert rect.state == Step.FIX and rect.closed_at is None
    # nor behind the services' back: the database refuses a closed rectification without fix and call-back
    with pytest.raises(IntegrityError), transaction.atomic():
        Rectification.objects.filter(pk=rect.pk).update(state=Step.CLOSED)


def test_an_unfounded_complaint_still_needs_the_explanation_and_the_callback(world, decided, manager):
    rect = bad(world.citizen, decided).rectification
    rect = services.record_step(actor=manager, rectification=rect, step="verify", text="经核实，不属实",
                                founded=False)
    assert rect.state == Step.FIX and rect.founded is False
    rect = services.record_step(actor=manager, rectification=rect, step="fix", text="已向申请人解释法定要求")
    rect = services.record_step(actor=manager, rectification=rect, step="callback", text="回访", satisfied=False)
    assert rect.state == Step.CLOSED and rect.satisfied is False


@pytest.mark.parametrize(("step", "kwargs", "field"), [("verify", {"text": "属实"}, "founded"),
                                                       ("verify", {"text": " ", "founded": True}, "text"),
                                                       ("jump", {"text": "x"}, "step")])
def test_a_step_needs_its_facts(world, decided, manager, step, kwargs, field):
    rect = bad(world.citizen, decided).rectification
    with pytest.raises(ValidationError) as exc:
        services.record_step(actor=manager, rectification=rect, step=step, **kwargs)
    assert field in exc.value.details


def test_only_the_departments_managers_in_scope_record_steps(world, decided, manager, guixi_manager, officials):
    rect = bad(world.citizen, decided).rectification
    for outsider in (guixi_manager, officials.all_roles, world.citizen):
        with pytest.raises(PermissionDenied):
            services.record_step(actor=outsider, rectification=rect, step="verify", text="属实", founded=True)
    rect.refresh_from_db()
    assert rect.state == Step.VERIFY


def test_the_tick_reminds_once_when_due_and_once_when_overdue(world, decided, manager, on_day):
    on_day(dt.date(2026, 11, 13))
    rect = bad(world.citizen, decided).rectification  # due 2026-11-16
    assert services.run_tick(today=dt.date(2026, 11, 13)) == {"due": 0, "overdue": 0, "messages": 0}
    assert services.run_tick(today=dt.date(2026, 11, 16)) == {"due": 1, "overdue": 0, "messages": 1}
    assert services.run_tick(today=dt.date(2026, 11, 16))["messages"] == 0
    assert services.run_tick(today=dt.date(2026, 11, 17)) == {"due": 0, "overdue": 1, "messages": 1}
    assert services.run_tick(today=dt.date(2026, 11, 18))["messages"] == 0
    rect.refresh_from_db()
    assert services.is_overdue(rect, dt.date(2026, 11, 17)) and rect.warning_sent == "overdue"
    rect = services.record_step(actor=manager, rectification=rect, step="verify", text="属实", founded=True)
    assert rect.warning_sent == ""  # the next step is reminded afresh


def test_the_tick_command_tells_the_manager(world, decided, manager, on_day):
    from io import StringIO

    from django.core.management import call_command

    on_day(dt.date(2026, 11, 13))
    bad(world.citizen, decided)  # verification due 2026-11-16
    before = OutboxMessage.objects.filter(user=manager).count()
    out = StringIO()
    call_command("ratings_tick", today="2026-11-17", stdout=out)
    assert "1 overdue" in out.getvalue()
    reminder = OutboxMessage.objects.filter(user=manager).order_by("-pk").first()
    assert OutboxMessage.objects.filter(user=manager).count() == before + 1 and decided.reference in reminder.subject
