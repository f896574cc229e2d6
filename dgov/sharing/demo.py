"""Demo sharing (`dgov init --demo`): the demo consumer application of 余江区人社局
(`demo-yj-hrss`, "（演示）" in its name) and five requests of it in different states, one of them
overdue, one granted, giving an active grant on the aggregation demo dataset's entry (two items:
姓名, masked by the gateway, and 保障类别). All marked `is_demo` and "（演示数据）" in their usage
scenario. Loaded after the demo catalog and the aggregation demo; a request whose entry is missing
or unpublished is left out.

Dates are counted back from the day of loading in working days, so the overdue request is overdue
whenever the demo is loaded. Running it again creates only what is missing (the application by
code, requests by entry and purpose, the grant by its request). Like the other demos, the rows are
written directly in the command line's system context: one audit entry `sharing.demo.load`
records the load.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from dgov.accounts.models import Application, User, UserKind
from dgov.calendars.selectors import add_working_days
from dgov.catalog.models import CatalogEntry
from dgov.catalog.models import Status as EntryStatus
from dgov.core import audit
from dgov.orgs.models import Department
from dgov.sharing import services
from dgov.sharing.models import Grant, GrantStatus, SharingEvent, SharingRequest, Status

DEMO_NOTE = "（演示数据）"
CONSUMER = "360603905"  # 余江区人力资源和社会保障局
APP_CODE = "demo-yj-hrss"
APP_NAME = "余江区社会救助资格核验系统（演示）"
CIVIL_AFFAIRS = "360603909"  # 余江区民政局: the aggregation demo dataset's department
DATASET_ENTRY = "城乡低保对象联系信息（归集演示）"  # dgov.aggregation.demo.DEMO_ENTRY_NAME
SOCIAL_AID = "《社会救助暂行办法》第十一条、第六十条；《政务数据共享条例》"
CENTRE = "360600036"


@dataclass(frozen=True)
class Demo:
    provider: str
    entry: str
    items: tuple
    purpose: str
    status: str
    days_ago: int  # working days since submission
    provider_reason: str = ""
    centre_reason: str = ""


REQUESTS = [
    Demo(CIVIL_AFFAIRS, DATASET_ENTRY, ("姓名", "保障类别"),
         "就业援助对象认定时核验申请人是否为城乡低保对象及其保障类别。", Status.GRANTED, 12,
         provider_reason="用途明确、依据充分，同意提供姓名和保障类别，其余信息项不提供。",
         centre_reason="符合《政务数据共享条例》有条件共享要求，同意授权。"),
    Demo(CIVIL_AFFAIRS, "婚姻登记信息", ("男方姓名", "女方姓名", "登记类型", "登记日期"),
         "认定零就业家庭时核实申请人的婚姻状况和家庭成员。", Status.SUBMITTED, 15),
    Demo(CIVIL_AFFAIRS, DATASET_ENTRY, ("姓名", "公民身份号码", "月保障金额"),
         "失业保险金申领时核对申请人是否同时领取低保金。", Status.PROVIDER_APPROVED, 6,
         provider_reason="同意提供，公民身份号码脱敏展示。"),
    Demo(CIVIL_AFFAIRS, DATASET_ENTRY, ("姓名", "联系电话", "居住地址"),
         "向低保对象推送就业岗位信息。", Status.REJECTED, 9,
         provider_reason="联系电话、居住地址仅用于社会救助，推送岗位信息不属于共享用途，不予提供。"),
    Demo(CIVIL_AFFAIRS, "婚姻登记信息", ("男方姓名", "女方姓名"),
         "核实就业困难人员家庭成员（已改为线下核验）。", Status.WITHDRAWN, 4),
]


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def ensure_application() -> tuple[Application, bool]:
    """The demo consumer application with its service account (no password: tokens only), as
    `accounts.services.application_create` makes one."""
    app = Application.objects.filter(code=APP_CODE).first()
    if app is not None:
        return app, False
    department = Department.objects.select_related("region").get(code=CONSUMER)
    account = User(username=f"app.{APP_CODE}", kind=UserKind.APPLICATION, real_name=APP_NAME, department=department,
                   region=department.region, is_demo=True)
    account.set_unusable_password()
    account.save()
    app = Application.objects.create(code=APP_CODE, name=APP_NAME, department=department, account=account,
                                     description="演示用的消费方应用系统，调用共享数据服务。" + DEMO_NOTE, is_demo=True)
    return app, True


def _build(demo: Demo, app: Application, entry: CatalogEntry, today: dt.date):
    submitted = add_working_days(today, -demo.days_ago)
    request = SharingRequest(
        department=app.department, application=app, entry=entry, provider=entry.department,
        sharing_type=services.effective_sharing_type(entry, list(demo.items)), items=list(demo.items),
        purpose=demo.purpose, legal_basis=SOCIAL_AID,
        scenario="余江区社会救助资格核验系统按件调用，每月约500次。" + DEMO_NOTE,
        period_start=submitted, period_end=submitted + dt.timedelta(days=365), status=demo.status,
        submitted_on=submitted, provider_due_on=add_working_days(submitted, services.provider_days()), is_demo=True)
    events = [(SharingEvent.Action.SUBMIT, submitted, 9, app.department, "", Status.SUBMITTED)]
    provider_day = add_working_days(submitted, 3)
    if demo.status == Status.SUBMITTED:
        request.due_on = request.provider_due_on
    elif demo.status == Status.WITHDRAWN:
        request.withdraw_reason = "已改为线下核验，不再需要。"
        request.due_on = None
        events.append((SharingEvent.Action.WITHDRAW, add_working_days(submitted, 1), 10, app.department,
                       request.withdraw_reason, Status.WITHDRAWN))
    else:
        request.provider_reason, request.provider_decided_at = demo.provider_reason, _at(provider_day, 15)
        if demo.status == Status.REJECTED:
            request.due_on = None
            events.append((SharingEvent.Action.PROVIDER_REJECT, provider_day, 15, entry.department,
                           demo.provider_reason,
                           Status.REJECTED))
        else:
            request.approved_items = list(demo.items)
            request.daily_quota, request.rate_limit = 1000, 30
            request.centre_due_on = add_working_days(provider_day, services.centre_days())
            events.append((SharingEvent.Action.PROVIDER_APPROVE, provider_day, 15, entry.department,
                           demo.provider_reason, Status.PROVIDER_APPROVED))
            if demo.status == Status.PROVIDER_APPROVED:
                request.due_on = request.centre_due_on
            else:
                centre_day = add_working_days(provider_day, 2)
                request.centre_reason, request.centre_decided_at = demo.centre_reason, _at(centre_day, 11)
                request.due_on = None
                centre = Department.objects.filter(code=CENTRE).first()
                events += [(SharingEvent.Action.CENTRE_APPROVE, centre_day, 11, centre, demo.centre_reason,
                            Status.GRANTED),
                           (SharingEvent.Action.GRANT, centre_day, 11, centre, "", Status.GRANTED)]
    return request, events


def load_demo() -> dict:
    """Create the demo application, requests and grant that are missing. Returns counts."""
    today = timezone.localdate()
    entries = {(e.department.code, e.name): e for e in CatalogEntry.objects.filter(
        status=EntryStatus.PUBLISHED, name__in={d.entry for d in REQUESTS}).select_related("department")}
    created = grants = 0
    with transaction.atomic():
        app, app_created = ensure_application()
        existing = set(SharingRequest.objects.filter(is_demo=True).values_list("entry__name", "purpose"))
        for demo in sorted(REQUESTS, key=lambda d: -d.days_ago):  # numbers in the order of submission
            entry = entries.get((demo.provider, demo.entry))
            if entry is None or (demo.entry, demo.purpose) in existing:
                continue
            request, events = _build(demo, app, entry, today)
            request.number = services.next_number(request.submitted_on.year)
            request.full_clean()
            request.save()
            SharingRequest.objects.filter(pk=request.pk).update(created_at=_at(events[0][1], events[0][2]),
                                                                updated_at=_at(events[-1][1], events[-1][2]))
            SharingEvent.objects.bulk_create(
                SharingEvent(request=request, action=action, department=department, text=text, status=status,
                             created_at=_at(day, hour)) for action, day, hour, department, text, status in events)
            created += 1
            if request.status == Status.GRANTED and not Grant.objects.filter(
                    application=app, entry=entry, status=GrantStatus.ACTIVE).exists():
                Grant.objects.create(
                    application=app, entry=entry, items=request.approved_items, row_filter=[],
                    valid_from=request.centre_decided_at,
                    expires_at=_at(request.period_end + dt.timedelta(days=1), 0),
                    daily_quota=request.daily_quota, rate_limit=request.rate_limit, unmasked_items=[],
                    request=request, is_demo=True)
                grants += 1
        if created or app_created:
            audit.record("sharing.demo.load", audit.Target("sharing.sharingrequest", "", "demo"),
                         changes={"application": APP_CODE if app_created else None, "requests": created,
                                  "grants": grants})
    return {"created": created, "total": len(REQUESTS), "grants": grants}
