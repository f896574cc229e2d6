"""The supply–demand services: filing, every step and who may take it, the reply deadline in working
days (holidays skipped), the negative list, overdue demands and their reminders, suggestions."""

import datetime as dt

import pytest

from dgov.catalog.models import Status as EntryStatus
from dgov.catalog.testing import (
    GUIXI_CIVIL_AFFAIRS,
    YUJIANG_CIVIL_AFFAIRS,
    item,
    make_editor,
    make_entry,
    make_reviewer,
    negative_list,
)
from dgov.core.errors import Conflict, PermissionDenied, ValidationError
from dgov.core.testing import audited
from dgov.demands import selectors, services
from dgov.demands.models import DataDemand, DemandEvent, State
from dgov.demands.testing import YUJIANG_HRSS, make_demand, marriage_entry
from dgov.notifications.models import OutboxMessage
from dgov.orgs.models import Department


def new_demand(**fields) -> DataDemand:
    return DataDemand(title=fields.pop("title", "居民婚姻状况核验"), fields=fields.pop("fields", ["姓名", "婚姻状况"]),
                      purpose="办理低保时核验婚姻状况。", legal_basis="《社会救助暂行办法》第十一条",
                      sharing_method="api", **fields)


def test_filing_gives_a_number_the_actors_department_and_a_history(requester):
    demand = services.demand_save(actor=requester, instance=new_demand(fields=[" 姓名 ", "婚姻状况", "姓名", ""]))
    assert demand.number.startswith(f"XQ{dt.date.today().year}") and len(demand.number) == 11
    assert demand.department.code == YUJIANG_HRSS and demand.filed_by == requester
    assert demand.state == State.OPEN and demand.fields == ["姓名", "婚姻状况"]
    second = services.demand_save(actor=requester, instance=new_demand())
    assert int(second.number[6:]) == int(demand.number[6:]) + 1
    assert list(demand.events.values_list("action", flat=True)) == ["file"]
    assert audited("demands.datademand.create", object_id=str(demand.pk)) is not None


def test_filing_needs_fields_and_stays_in_scope(requester):
    with pytest.raises(ValidationError) as exc:
        services.demand_save(actor=requester, instance=new_demand(fields=["  "]))
    assert "fields" in exc.value.details
    with pytest.raises(PermissionDenied) as exc:
        services.demand_save(actor=requester, instance=new_demand(
            department=Department.objects.get(code=GUIXI_CIVIL_AFFAIRS)))
    assert exc.value.code == "out_of_scope"
    assert not DataDemand.objects.exists()


def test_only_an_open_demand_can_be_changed(requester, provider):
    demand = make_demand(actor=requester)
    demand.title = "居民婚姻状况信息核验"
    services.demand_save(actor=requester, instance=demand)
    assert DataDemand.objects.get(pk=demand.pk).title == "居民婚姻状况信息核验"
    assert audited("demands.datademand.change").changes["title"] == ["居民婚姻状况核验", "居民婚姻状况信息核验"]
    services.match(actor=requester, demand=demand, entry=marriage_entry())
    demand.refresh_from_db()
    demand.title = "又改"
    with pytest.raises(Conflict):
        services.demand_save(actor=requester, instance=demand)


def test_the_whole_way_to_fulfilled(requester, provider, centre):
    entry = marriage_entry()
    demand = make_demand(actor=requester)
    demand = services.match(actor=centre, demand=demand, entry=entry, today=dt.date(2026, 3, 2))
    assert (demand.state, demand.provider.code, demand.entry) == (State.MATCHED, YUJIANG_CIVIL_AFFAIRS, entry)
    assert demand.due_on == dt.date(2026, 3, 16)  # ten working days after Monday 2 March
    with pytest.raises(PermissionDenied) as exc:  # the requester cannot answer for the provider
        services.confirm(actor=requester, demand=demand, answer="好")
    assert exc.value.code == "out_of_scope"
    with pytest.raises(ValidationError) as exc:
        services.confirm(actor=provider, demand=demand, answer="  ")
    assert "answer" in exc.value.details
    demand = services.confirm(actor=provider, demand=demand, answer="同意，通过接口提供姓名和婚姻状况。")
    assert demand.state == State.CONFIRMED
    with pytest.raises(PermissionDenied):  # fulfilment is the requester's (or the centre's)
        services.fulfil(actor=provider, demand=demand, fulfilment="x")
    demand = services.fulfil(actor=requester, demand=demand, fulfilment="已开通婚姻状况核验接口。")
    assert demand.state == State.FULFILLED and demand.fulfilled_on is not None
    events = list(demand.events.order_by("created_at", "pk").values_list("action", "state", "text"))
    assert [e[:2] for e in events] == [("file", "open"), ("match", "matched"), ("confirm", "confirmed"),
                                       ("fulfil", "fulfilled")]
    assert events[2][2] == "同意，通过接口提供姓名和婚姻状况。"
    assert audited("demands.datademand.confirm", object_id=str(demand.pk)).changes["state"] == [
        "matched", "confirmed"]
    with pytest.raises(Conflict):  # nothing after fulfilled
        services.reject(actor=centre, demand=demand, reason="晚了")


def test_a_deadline_skips_a_public_holiday(db):
    # National Day 2026: 1–7 October are holidays, Saturday 10 October a make-up working day.
    demand = make_demand(state=State.OPEN)
    demand = services.match(actor=make_reviewer(), demand=demand, entry=marriage_entry(),
                            today=dt.date(2026, 9, 29))
    # 30 Sep (1), 8 Oct (2), 9 Oct (3), 10 Oct Saturday make-up (4), 12–16 Oct (5–9), 19 Oct (10)
    assert demand.due_on == dt.date(2026, 10, 19)


def test_the_deadline_follows_the_setting(db, settings):
    settings.DGOV_DEMAND_REPLY_WORKING_DAYS = 3
    demand = services.match(actor=make_reviewer(), demand=make_demand(), entry=marriage_entry(),
                            today=dt.date(2026, 3, 5))
    assert demand.due_on == dt.date(2026, 3, 10)


def test_rejection_needs_a_reason_and_the_right_party(requester, provider, centre):
    open_demand = make_demand(actor=requester)
    with pytest.raises(PermissionDenied):  # before a match, only the centre rejects
        services.reject(actor=provider, demand=open_demand, reason="无")
    with pytest.raises(ValidationError) as exc:
        services.reject(actor=centre, demand=open_demand, reason="")
    assert "reason" in exc.value.details
    services.reject(actor=centre, demand=open_demand, reason="目录中没有可以满足的数据资源。")
    matched = make_demand(actor=requester, state=State.MATCHED)
    rejected = services.reject(actor=provider, demand=matched, reason="该数据由省级系统管理，请向省厅申请。")
    assert rejected.state == State.REJECTED and rejected.reason.startswith("该数据")
    with pytest.raises(Conflict):
        services.confirm(actor=provider, demand=rejected, answer="又同意了")


def test_matching_rules(requester, centre):
    demand = make_demand(actor=requester)
    draft = make_entry(department_code=YUJIANG_CIVIL_AFFAIRS)
    with pytest.raises(ValidationError):  # only published entries
        services.match(actor=centre, demand=demand, entry=draft)
    own = make_entry(department_code=YUJIANG_HRSS, status=EntryStatus.PUBLISHED)
    with pytest.raises(ValidationError):  # not the requester's own data
        services.match(actor=centre, demand=demand, entry=own)
    outsider = make_editor(GUIXI_CIVIL_AFFAIRS)
    with pytest.raises(PermissionDenied):
        services.match(actor=outsider, demand=demand, entry=marriage_entry())
    services.match(actor=requester, demand=demand, entry=marriage_entry(name="婚姻登记信息二"))
    with pytest.raises(Conflict):
        services.match(actor=centre, demand=demand, entry=marriage_entry(name="婚姻登记信息三"))


def not_shared(name: str) -> dict:
    return item(name, sharing_type="none", open_type="none")


def test_a_negative_listed_item_can_only_be_rejected(requester, provider):
    entry = marriage_entry(items=[item("男方姓名"), not_shared("男方身份证号"), item("婚姻状况")])
    negative_list(entry.code, "男方身份证号", legal_basis="《中华人民共和国居民身份证法》第十九条")
    demand = make_demand(actor=requester, fields=["男方身份证号", "婚姻状况"], state=State.MATCHED, entry=entry)
    with pytest.raises(ValidationError) as exc:
        services.confirm(actor=provider, demand=demand, answer="同意")
    assert exc.value.code == "negative_list"
    assert "居民身份证法" in " ".join(exc.value.details["entry"])
    services.reject(actor=provider, demand=demand, reason="男方身份证号列入数据负面清单，不予共享。")


def test_an_entry_not_shared_cannot_be_confirmed(requester, provider):
    entry = marriage_entry(sharing_type="none", sharing_conditions="", sharing_method="")
    demand = make_demand(actor=requester, state=State.MATCHED, entry=entry)
    with pytest.raises(ValidationError) as exc:
        services.confirm(actor=provider, demand=demand, answer="同意")
    assert "不予共享" in " ".join(exc.value.details["entry"])


def test_overdue_demands_and_their_reminders_once(requester, provider):
    centre = make_reviewer()
    late = make_demand(actor=requester)
    services.match(actor=centre, demand=late, entry=marriage_entry(), today=dt.date(2026, 3, 2))
    in_time = make_demand(actor=requester, state=State.MATCHED)
    late.refresh_from_db()
    assert late.is_overdue and not in_time.is_overdue
    assert list(DataDemand.objects.overdue()) == [late]
    before = set(OutboxMessage.objects.values_list("pk", flat=True))
    result = services.remind_overdue()
    assert result == {"demands": 1, "messages": 2}
    messages = OutboxMessage.objects.exclude(pk__in=before)
    assert {m.user for m in messages} == {requester, provider} and {m.channel for m in messages} == {"in_app"}
    assert all(late.number in m.subject and late.title in m.body for m in messages)
    assert services.remind_overdue() == {"demands": 0, "messages": 0}  # once per demand
    assert OutboxMessage.objects.exclude(pk__in=before).count() == 2
    late.refresh_from_db()
    assert late.reminded_on is not None
    assert late.events.filter(action=DemandEvent.Action.REMIND).count() == 1
    services.confirm(actor=provider, demand=late, answer="同意")
    late.refresh_from_db()
    assert not late.is_overdue


def test_each_side_hears_of_the_other_sides_step(requester, provider):
    demand = make_demand(actor=requester)
    services.match(actor=requester, demand=demand, entry=marriage_entry())
    told = OutboxMessage.objects.get()
    assert told.user == provider and demand.number in told.subject and "婚姻登记信息" in told.body
    services.reject(actor=provider, demand=demand, reason="数据由省级系统管理")
    told = OutboxMessage.objects.exclude(pk=told.pk).get()
    assert told.user == requester and "数据由省级系统管理" in told.body


def test_suggestions_find_the_marriage_and_social_insurance_entries(requester):
    marriage = marriage_entry()
    social = make_entry(name="社会保险参保登记信息", summary="职工和城乡居民参加养老保险（社保）的参保登记和参保状态。",
                        department_code="360600010", status=EntryStatus.PUBLISHED,
                        items=[item("姓名"), item("公民身份号码"), item("参保状态"), item("参保险种")])
    make_entry(name="婚姻登记机关信息", department_code=GUIXI_CIVIL_AFFAIRS, status=EntryStatus.DRAFT)
    demand = make_demand(actor=requester, title="婚姻登记信息", fields=["男方姓名", "婚姻状况"])
    found = selectors.suggestions(requester, demand)
    assert found and found[0].entry == marriage
    assert found[0].found == 2 and found[0].missing == []
    assert all(s.entry.status == EntryStatus.PUBLISHED for s in found)
    demand = make_demand(department_code=YUJIANG_CIVIL_AFFAIRS, title="居民社保参保状态", fields=["姓名", "参保状态"])
    found = selectors.suggestions(make_reviewer(), demand)
    assert found[0].entry == social and found[0].fields["参保状态"] == ["参保状态"]


def test_suggestions_warn_of_the_negative_list(requester):
    entry = marriage_entry(items=[item("男方姓名"), not_shared("婚姻状况")])
    negative_list(entry.code, "婚姻状况")
    demand = make_demand(actor=requester, title="婚姻登记信息", fields=["婚姻状况"])
    found = selectors.suggestions(requester, demand)
    assert found[0].entry == entry and found[0].refusal


def test_the_daily_command_reminds_once(requester, provider, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    demand = make_demand(actor=requester, state=State.MATCHED)
    due = demand.due_on
    call_command("demands_remind", today=due.isoformat())  # due today: not yet overdue
    assert "reminded: 0" in capsys.readouterr().out
    call_command("demands_remind", today=(due + dt.timedelta(days=1)).isoformat())
    assert "reminded: 1, messages sent: 2" in capsys.readouterr().out
    call_command("demands_remind", today=(due + dt.timedelta(days=2)).isoformat())
    assert "reminded: 0" in capsys.readouterr().out
    assert audited("demands.datademand.remind", object_id=str(demand.pk)).source == "cli"
    with pytest.raises(CommandError):
        call_command("demands_remind", today="tomorrow")
