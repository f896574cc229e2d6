"""Test helpers for sharing: consumer applications, published entries to request, and requests
submitted through the services and brought to any status."""

import datetime as dt
import itertools

from django.utils import timezone

from dgov.accounts.models import Application
from dgov.accounts.services import application_create
from dgov.catalog.models import Status as EntryStatus
from dgov.catalog.testing import YUJIANG_CIVIL_AFFAIRS, item, make_entry, make_superuser
from dgov.orgs.models import Department
from dgov.sharing import services
from dgov.sharing.models import SharingRequest, Status

YUJIANG_HRSS = "360603905"  # 余江区人力资源和社会保障局: the consumer of the tests
GUIXI_HRSS = "360681905"  # 贵溪市人力资源和社会保障局: a consumer out of the Yujiang officials' scope
_seq = itertools.count(1)


def make_app(department_code: str = YUJIANG_HRSS, code: str | None = None,
             name: str = "社会救助核验系统") -> Application:
    return application_create(actor=make_superuser(), code=code or f"test-app-{next(_seq)}", name=name,
                              department=Department.objects.get(code=department_code))


def population_entry(department_code: str = YUJIANG_CIVIL_AFFAIRS, *, sharing_type: str = "conditional",
                     items=None, **fields):
    """A published entry of 低保 recipients with personal-data items."""
    items = items or [item("姓名", personal_data="personal"), item("公民身份号码", personal_data="sensitive"),
                      item("联系电话", personal_data="personal"), item("救助类别"), item("所属乡镇"),
                      item("保障金额", data_type="decimal", length=None)]
    return make_entry(name=fields.pop("name", "城乡低保对象信息"), department_code=department_code,
                      status=EntryStatus.PUBLISHED, sharing_type=sharing_type,
                      sharing_conditions="依法履职使用" if sharing_type == "conditional" else "", items=items, **fields)


def make_request(*, actor=None, application=None, entry=None, items=("姓名", "救助类别"),
                 status: str = Status.SUBMITTED,
                 today: dt.date | None = None, **values) -> SharingRequest:
    """A request for `entry` (default a new published conditional entry of 余江区民政局) by
    `application` (default a new one of 余江区人社局), as `actor` (default a superuser), brought to
    `status` by a superuser."""
    root = make_superuser()
    actor = actor or root
    application = application or make_app()
    entry = entry or population_entry()
    start = today or timezone.localdate()
    request = SharingRequest(
        department=application.department, application=application, entry=entry, items=list(items),
        purpose=values.pop("purpose", "低保对象社保待遇资格核验"),
        legal_basis=values.pop("legal_basis", "《社会救助暂行办法》第十一条"),
        scenario=values.pop("scenario", "社会救助系统按件调用，每月约300次"),
        period_start=values.pop("period_start", start),
        period_end=values.pop("period_end", start + dt.timedelta(days=365)),
        **values)
    services.submit(actor=actor, instance=request, today=today)
    if request.status in (status, Status.GRANTED):  # unconditionally shared data is granted at once
        return request
    if status == Status.WITHDRAWN:
        return services.withdraw(actor=root, request=request, reason="测试：不再需要")
    if status == Status.REJECTED:
        return services.provider_reject(actor=root, request=request, reason="测试：不符合共享条件")
    request = services.provider_approve(actor=root, request=request, reason="测试：同意", today=today)
    if status == Status.PROVIDER_APPROVED:
        return request
    return services.centre_approve(actor=root, request=request, reason="测试：同意")
