"""Demo supply–demand list (`dgov init --demo`): fourteen demands between Yingtan's city and 余江区
departments, in every state, two of them overdue, all marked `is_demo` and "（演示数据）" in their
usage scenario. Loaded after the demo catalog: each demand's catalog entry is found by its
department and name when loading; a demand whose entry is missing or unpublished stays open.

Dates are counted back from the day of loading (the filing, the match, the provider's deadline in
working days, the answer), so the overdue demands are overdue whenever the demo is loaded. Running
it again creates only what is missing (demands are found by department and title). Like the other
demos, the rows are written directly in the command line's system context: one audit entry
`demands.demo.load` records the load.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dgov.calendars.selectors import add_working_days
from dgov.catalog.models import CatalogEntry
from dgov.catalog.models import Status as EntryStatus
from dgov.core import audit
from dgov.demands.models import DataDemand, DemandEvent, State
from dgov.demands.services import next_number
from dgov.orgs.models import Department

DEMO_NOTE = "（演示数据）"
SOCIAL_AID = ("《社会救助暂行办法》第十一条、第六十条：县级以上人民政府民政部门根据申请或者工作需要，可以查询、核"
              "对社会救助申请人的家庭收入和财产状况，有关单位应当予以配合。")
DATA_RULES = ("《江西省公共数据管理办法》：政务部门因履行职责需要使用共享数据的，应当通过公共数据平台提出需求，数"
              "据提供部门应当按规定时限答复。")


@dataclass(frozen=True)
class Demo:
    requester: str
    title: str
    fields: tuple
    purpose: str
    legal_basis: str
    scenario: str
    method: str
    provider: str = ""  # department code of the catalog entry
    entry: str = ""  # its name
    state: str = State.OPEN
    filed_days_ago: int = 3
    text: str = ""  # the answer (confirmed, fulfilled), or the reason (rejected)
    fulfilment: str = ""


DEMANDS = [
    Demo(
        requester="360603909",
        title="低保申请家庭成员社保参保状态核验",
        fields=("姓名", "身份证号", "参保险种", "参保状态"),
        purpose="城乡低保申请审核时核对家庭成员是否参加职工养老保险及参保状态，判断家庭收入。",
        legal_basis=SOCIAL_AID,
        scenario="余江区社会救助综合信息系统按申请逐件核验，每月约300件。",
        method="api",
        provider="360603905",
        entry="社会保险参保信息",
        state=State.MATCHED,
        filed_days_ago=32,
    ),
    Demo(
        requester="360603905",
        title="就业援助对象婚姻状况核验",
        fields=("男方姓名", "女方姓名", "登记类型", "登记日期"),
        purpose="认定就业困难人员（零就业家庭）时核实申请人的婚姻状况和家庭成员。",
        legal_basis="《就业服务与就业管理规定》第四十一条；《江西省就业困难人员认定办法》",
        scenario="余江区公共就业服务系统按件查询。",
        method="api",
        provider="360603909",
        entry="婚姻登记信息",
        state=State.MATCHED,
    ),
    Demo(
        requester="360603911",
        title="学生资助对象低保家庭认定",
        fields=("姓名", "身份证号", "保障类别", "所属乡镇"),
        purpose="家庭经济困难学生认定时核对学生家庭是否为城乡低保家庭，免除学生提交证明材料。",
        legal_basis="《学生资助资金管理办法》（财教〔2021〕310号）第三十七条",
        scenario="每学期初批量比对一次，约2000人。",
        method="file",
        provider="360603909",
        entry="城乡低保对象信息",
        state=State.CONFIRMED,
        filed_days_ago=12,
        text="同意共享。按学期以文件方式提供在保对象的姓名、身份证号、保障类别和所属乡镇，仅限学生资助认定使用。",
    ),
    Demo(
        requester="360600028",
        title="医疗救助对象身份认定",
        fields=("姓名", "身份证号", "保障类别", "享受起始日期"),
        purpose="医疗救助“一站式”结算时自动识别低保对象、特困人员身份，按类别确定救助比例。",
        legal_basis="《国务院办公厅关于健全重特大疾病医疗保险和救助制度的意见》（国办发〔2021〕42号）",
        scenario="医保结算系统实时调用。",
        method="api",
        provider="360600007",
        entry="最低生活保障对象信息",
        state=State.FULFILLED,
        filed_days_ago=60,
        text="同意通过市公共数据平台接口共享，每日同步变更。",
        fulfilment="已在市公共数据平台开通“低保对象身份核验”接口，医保结算系统已完成对接。",
    ),
    Demo(
        requester="360600013",
        title="公租房申请人社保缴纳情况核查",
        fields=("姓名", "身份证号", "参保单位", "参保状态"),
        purpose="审核公共租赁住房申请人的就业和社保缴纳情况，核实申请条件。",
        legal_basis="《公共租赁住房管理办法》（住房城乡建设部令第11号）第七条",
        scenario="公租房管理系统按件核验。",
        method="api",
        provider="360600010",
        entry="社会保险参保登记信息",
        state=State.CONFIRMED,
        filed_days_ago=18,
        text="同意共享参保单位和参保状态，以接口方式按件核验，不提供缴费明细。",
    ),
    Demo(
        requester="360600030",
        title="企业开办一件事市场主体信息复用",
        fields=("统一社会信用代码", "单位名称", "法定代表人", "住所", "成立日期"),
        purpose="企业开办“一件事”办理中复用市场主体登记信息，免予企业重复填报。",
        legal_basis="《优化营商环境条例》第三十七条；《国务院关于加快推进政务服务标准化规范化便利化的指导意见》",
        scenario="政务服务一体化平台实时调用。",
        method="api",
        provider="360600025",
        entry="市场主体登记信息",
        state=State.FULFILLED,
        filed_days_ago=90,
        text="同意无条件共享。",
        fulfilment="已通过市公共数据平台“市场主体登记信息查询”接口提供，日均调用约400次。",
    ),
    Demo(
        requester="360600003",
        title="义务教育入学户籍核验",
        fields=("姓名", "身份证号", "户籍地址", "与户主关系"),
        purpose="义务教育新生入学报名时核验适龄儿童及其监护人的户籍，确定学区。",
        legal_basis="《中华人民共和国义务教育法》第十二条",
        scenario="每年6月至8月招生报名期间按件核验，约1.2万人。",
        method="api",
        provider="360600006",
        entry="户籍人口信息",
        state=State.MATCHED,
        filed_days_ago=40,
    ),
    Demo(
        requester="360600007",
        title="殡葬惠民补贴死亡信息比对",
        fields=("姓名", "身份证号", "死亡日期", "死亡原因"),
        purpose="发放基本殡葬服务费用减免补贴时比对死亡医学证明信息，防止冒领。",
        legal_basis="《殡葬管理条例》；《江西省惠民殡葬政策实施办法》",
        scenario="殡葬管理系统每日比对。",
        method="api",
        provider="360600020",
        entry="死亡医学证明信息",
        state=State.MATCHED,
        filed_days_ago=4,
    ),
    Demo(
        requester="360600028",
        title="艾滋病患者医疗救助身份核验",
        fields=("姓名", "身份证号", "报告日期"),
        purpose="对艾滋病患者实施医疗救助时核验其病例报告身份。",
        legal_basis="《艾滋病防治条例》第四十四条",
        scenario="医疗救助审核时按件核验。",
        method="api",
        provider="360600020",
        entry="艾滋病病例报告信息",
        state=State.REJECTED,
        filed_days_ago=25,
        text="该资源为“不予共享”，并列入数据负面清单（《艾滋病防治条例》第三十九条：未经本人或者其监护人同意，不"
             "得公开其身份信息）。请由患者本人授权后通过医疗救助申请材料办理。",
    ),
    Demo(
        requester="360600027",
        title="消费投诉举报统计分析",
        fields=("投诉人", "联系电话", "被投诉单位", "投诉内容"),
        purpose="按季度分析全市消费投诉的行业分布，编制消费环境统计监测报告。",
        legal_basis="《中华人民共和国统计法》第七条",
        scenario="每季度一次，文件方式。",
        method="file",
        provider="360600025",
        entry="12315投诉举报信息",
        state=State.REJECTED,
        filed_days_ago=20,
        text="投诉人姓名和联系电话属于个人信息，统计分析不需要。可按季度提供去除个人信息的分类汇总数据，请调整字"
             "段后重新提出需求。",
    ),
    Demo(
        requester="360603909",
        title="城乡低保家庭车辆情况核查",
        fields=("所有人", "号牌号码", "车辆类型", "机动车状态"),
        purpose="城乡低保审核时核查申请家庭成员名下是否有机动车，判断家庭财产状况。",
        legal_basis=SOCIAL_AID,
        scenario="余江区社会救助综合信息系统按件核验。",
        method="api",
        filed_days_ago=2,
    ),
    Demo(
        requester="360603910",
        title="家庭医生签约对象医保参保状态",
        fields=("姓名", "身份证号", "险种类型", "参保状态"),
        purpose="家庭医生签约服务中核实签约居民的医保参保状态，落实签约服务费医保支付。",
        legal_basis="《关于推进家庭医生签约服务高质量发展的指导意见》（国卫基层发〔2022〕10号）",
        scenario="基层卫生信息系统按月批量比对。",
        method="file",
        filed_days_ago=1,
    ),
    Demo(
        requester="360603901",
        title="全区网格员手机定位数据",
        fields=("姓名", "手机号码", "定位时间", "经度", "纬度"),
        purpose="考核网格员巡查到位情况。",
        legal_basis=DATA_RULES,
        scenario="网格化管理平台实时获取。",
        method="api",
        state=State.REJECTED,
        filed_days_ago=15,
        text="数据资源目录中没有该类资源，且手机定位属于敏感个人信息，考核应使用网格化平台自有的巡查签到记录，不"
             "予受理。",
    ),
    Demo(
        requester="360600021",
        title="优抚对象死亡停发核查",
        fields=("姓名", "身份证号", "死亡日期", "注销日期"),
        purpose="每月比对优抚对象死亡注销户口信息，及时停发抚恤补助，防止冒领。",
        legal_basis="《军人抚恤优待条例》第四十五条",
        scenario="每月批量比对一次。",
        method="file",
        provider="360600006",
        entry="死亡注销户口信息",
        state=State.FULFILLED,
        filed_days_ago=75,
        text="同意每月以文件方式提供优抚对象名单范围内的死亡注销信息。",
        fulfilment="已通过市公共数据平台每月5日推送比对结果文件。",
    ),
]

CENTRE = "360600201"  # 市大数据中心: matches demands and rejects those the catalog cannot serve


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 20)))


def _build(demo: Demo, departments: dict, entries: dict, today: dt.date):
    """The demand and its events (action, day, hour, department, text, state after)."""
    filed = today - dt.timedelta(days=demo.filed_days_ago)
    requester = departments[demo.requester]
    demand = DataDemand(department=requester, title=demo.title, fields=list(demo.fields), purpose=demo.purpose,
                        legal_basis=demo.legal_basis, scenario=demo.scenario + DEMO_NOTE, sharing_method=demo.method,
                        state=State.OPEN, is_demo=True)
    events = [(DemandEvent.Action.FILE, filed, 9, requester, "", State.OPEN)]
    entry = entries.get((demo.provider, demo.entry))
    if demo.state == State.REJECTED and entry is None:  # the centre: nothing in the catalog serves it
        demand.state, demand.reason = State.REJECTED, demo.text
        events.append((DemandEvent.Action.REJECT, min(add_working_days(filed, 1), today), 15, departments[CENTRE],
                       demo.text, State.REJECTED))
        return demand, events
    if entry is None:
        return demand, events
    matched = min(add_working_days(filed, 1), today)
    demand.state, demand.entry, demand.provider, demand.matched_on = State.MATCHED, entry, entry.department, matched
    demand.due_on = add_working_days(matched, settings.DGOV_DEMAND_REPLY_WORKING_DAYS)
    events.append((DemandEvent.Action.MATCH, matched, 10, departments[CENTRE], "", State.MATCHED))
    answered = min(add_working_days(matched, 3), today)
    if demo.state == State.REJECTED:
        demand.state, demand.reason = State.REJECTED, demo.text
        events.append((DemandEvent.Action.REJECT, answered, 16, entry.department, demo.text, State.REJECTED))
    elif demo.state in (State.CONFIRMED, State.FULFILLED):
        demand.state, demand.answer = State.CONFIRMED, demo.text
        events.append((DemandEvent.Action.CONFIRM, answered, 16, entry.department, demo.text, State.CONFIRMED))
        if demo.state == State.FULFILLED:
            demand.state, demand.fulfilment = State.FULFILLED, demo.fulfilment
            demand.fulfilled_on = min(add_working_days(answered, 5), today)
            events.append((DemandEvent.Action.FULFIL, demand.fulfilled_on, 11, requester, demo.fulfilment,
                           State.FULFILLED))
    return demand, events


def load_demo() -> dict:
    """Create the demo demands that are missing. Returns counts."""
    today = timezone.localdate()
    departments = {d.code: d for d in Department.objects.filter(
        code__in={CENTRE, *(d.requester for d in DEMANDS), *(d.provider for d in DEMANDS if d.provider)})}
    entries = {(e.department.code, e.name): e for e in CatalogEntry.objects.filter(
        status=EntryStatus.PUBLISHED, name__in={d.entry for d in DEMANDS if d.entry}).select_related("department")}
    created = 0
    with transaction.atomic():
        existing = set(DataDemand.objects.filter(is_demo=True).values_list("department__code", "title"))
        for demo in sorted(DEMANDS, key=lambda d: -d.filed_days_ago):  # numbers in the order of filing
            if (demo.requester, demo.title) in existing:
                continue
            demand, events = _build(demo, departments, entries, today)
            demand.number = next_number(events[0][1].year)
            demand.full_clean()
            demand.save()
            DataDemand.objects.filter(pk=demand.pk).update(created_at=_at(events[0][1], events[0][2]),
                                                           updated_at=_at(events[-1][1], events[-1][2]))
            DemandEvent.objects.bulk_create(
                DemandEvent(demand=demand, action=action, department=department, text=text, state=state,
                            created_at=_at(day, hour)) for action, day, hour, department, text, state in events)
            created += 1
        if created:
            audit.record("demands.demo.load", audit.Target("demands.datademand", "", "demo"),
                         changes={"demands": created})
    return {"created": created, "total": len(DEMANDS)}
