"""Demo census (`dgov init --demo`, after the demo catalog): the open 2026 campaign, assigned to
twelve departments of the city and the counties in a realistic mix of states — some accepted, some
submitted and waiting for the centre, one returned with a reason, the rest (余江区民政局, the demo
account `yj_data`, among them) still to fill in.

Like the demo catalog, the rows are written directly as the command line's system context (no user);
one audit entry `census.demo.load` records the load. A submitted or accepted department has the
upload that submitted it in its history: its pre-filled template, every entry confirmed. Running it
again creates nothing twice (the campaign is found by year and name, assignments by department)."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from dgov.catalog.importer import template_xlsx
from dgov.catalog.models import CatalogEntry
from dgov.census.models import AssignmentState, CampaignState, CensusAssignment, CensusCampaign, CensusUpload
from dgov.core import audit
from dgov.crypto.primitives import sm3
from dgov.orgs.models import Department

YEAR = 2026
NAME = "2026年度鹰潭市政务数据资源普查"
INSTRUCTIONS = ("请各部门下载本部门预填的数据资源目录模板，逐条核对资源名称、摘要、共享开放属性、更新周期和信息项，"
                "已变化的草稿条目直接修改，新增资源另起一行并将资源代码留空，核对无误后上传。上传前可先试运行检查。"
                "（演示数据）")
RETURN_REASON = "未填报本部门新增的医保移动支付结算数据，请补充后重新上传。"

#: department → state in the demo campaign
ASSIGNMENTS = {
    "360600007": AssignmentState.ACCEPTED,   # 鹰潭市民政局
    "360600010": AssignmentState.ACCEPTED,   # 鹰潭市人力资源和社会保障局
    "360600025": AssignmentState.ACCEPTED,   # 鹰潭市市场监督管理局
    "360600006": AssignmentState.ACCEPTED,   # 鹰潭市公安局
    "360600020": AssignmentState.SUBMITTED,  # 鹰潭市卫生健康委员会
    "360600003": AssignmentState.SUBMITTED,  # 鹰潭市教育局
    "360602909": AssignmentState.SUBMITTED,  # 月湖区民政局
    "360600028": AssignmentState.RETURNED,   # 鹰潭市医疗保障局
    "360600002": AssignmentState.ASSIGNED,   # 鹰潭市发展和改革委员会
    "360681909": AssignmentState.ASSIGNED,   # 贵溪市民政局
    "360603905": AssignmentState.ASSIGNED,   # 余江区人力资源和社会保障局
    "360603909": AssignmentState.ASSIGNED,   # 余江区民政局 (yj_data)
}


def load_demo() -> dict:
    today = timezone.localdate()
    now = timezone.now()
    created = 0
    with transaction.atomic():
        campaign, new_campaign = CensusCampaign.objects.get_or_create(year=YEAR, name=NAME, defaults={
            "instructions": INSTRUCTIONS, "opens_on": today - dt.timedelta(days=21),
            "due_on": today + dt.timedelta(days=14), "state": CampaignState.OPEN, "is_demo": True})
        have = set(campaign.assignments.values_list("department__code", flat=True))
        departments = {d.code: d for d in Department.objects.filter(code__in=ASSIGNMENTS)}
        for n, (code, state) in enumerate(ASSIGNMENTS.items()):
            if code in have or code not in departments:
                continue
            department = departments[code]
            entries = CatalogEntry.objects.filter(department=department)
            count = entries.count()
            assignment = CensusAssignment(campaign=campaign, department=department, state=state,
                                          entries_before=count)
            if state != AssignmentState.ASSIGNED:
                submitted_at = now - dt.timedelta(days=12 - n, hours=n)
                assignment.submitted_at, assignment.confirmed, assignment.entries_after = submitted_at, count, count
                if state in (AssignmentState.ACCEPTED, AssignmentState.RETURNED):
                    assignment.reviewed_at = submitted_at + dt.timedelta(days=2)
                if state == AssignmentState.RETURNED:
                    assignment.return_reason = RETURN_REASON
            assignment.save()
            if state != AssignmentState.ASSIGNED:
                data = template_xlsx(entries.select_related("classification", "department")
                                     .prefetch_related("items").order_by("code"))
                name = f"{YEAR}年数据资源普查-{department.short_name or department.name}.xlsx"
                upload = CensusUpload.objects.create(assignment=assignment, filename=name, size=len(data),
                                                     digest=sm3(data).hex(), ok=True, unchanged_count=count)
                CensusUpload.objects.filter(pk=upload.pk).update(created_at=assignment.submitted_at)
            created += 1
        if new_campaign or created:
            audit.record("census.demo.load", audit.Target("census.censuscampaign", str(campaign.pk), NAME),
                         changes={"assignments": created})
    return {"year": YEAR, "assignments": created}
