"""Demo responsibility list (`dgov init --demo`, after the catalog's demo): the statutory duties of
the city's and the counties' public security, civil affairs, human resources and social security,
market regulation and medical security departments, with their legal bases, linked to the demo
catalog's entries of the same department (found by name when loading). A few duties have no entry
in the demo catalog on purpose, so the list shows flagged duties.

Running it again creates only what is missing (duties are found by department, duty and data), so
`dgov init --demo` twice creates no duplicates. Like the catalog's demo, the rows are written
directly as the command line's system context; one audit entry `duties.demo.load` records the load.
"""

from dataclasses import dataclass

from django.db import transaction

from dgov.catalog.models import CatalogEntry
from dgov.core import audit
from dgov.duties.models import DataDuty
from dgov.orgs.models import Department

CITY = "360600"
COUNTIES = [("360602", "月湖区"), ("360603", "余江区"), ("360681", "贵溪市")]
DEMO_NOTE = "（演示数据）"

SOCIAL_ASSISTANCE = "《社会救助暂行办法》"
SOCIAL_INSURANCE_LAW = "《中华人民共和国社会保险法》"
FOOD_SAFETY_LAW = "《中华人民共和国食品安全法》"


@dataclass(frozen=True)
class Duty:
    dept: str  # the last three digits of the department code (of 360600 for the city, of each county)
    duty: str
    data_name: str
    description: str  # {area}: 鹰潭市 or the county's name
    legal_basis: str
    update_cycle: str
    unit: str
    entries: tuple[str, ...]  # names of the department's demo catalog entries holding the data; none: flagged


CITY_DUTIES = [
    Duty("006", "户口登记管理", "常住人口户口登记、迁移和注销信息",
         "{area}常住人口的出生、死亡、迁入、迁出和变更更正登记。",
         "《中华人民共和国户口登记条例》第二条、第三条", "daily", "户政管理科",
         ("户籍人口信息", "出生登记信息", "户籍迁移信息", "死亡注销户口信息")),
    Duty("006", "居民身份证管理", "居民身份证申领、换领和补领信息",
         "居民身份证受理、制发和领取记录。", "《中华人民共和国居民身份证法》第二条、第八条", "daily", "户政管理科",
         ("居民身份证办理信息",)),
    Duty("006", "流动人口居住登记", "居住登记和居住证办理信息",
         "离开常住户口所在地到{area}居住的人员的居住登记和居住证签发记录。", "《居住证暂行条例》第二条、第四条",
         "daily", "治安管理支队", ("流动人口居住登记信息",)),
    Duty("006", "机动车登记", "机动车注册、变更、转移、抵押和注销登记信息",
         "在{area}登记的机动车及其登记业务记录。", "《中华人民共和国道路交通安全法》第八条、第九条", "daily",
         "交通警察支队车辆管理所", ("机动车登记信息",)),
    Duty("006", "养犬登记", "犬只登记和狂犬病免疫证明信息",
         "饲养犬只的登记、年检和免疫证明记录。",
         "《中华人民共和国动物防疫法》第三十条：饲养犬只应当凭动物诊疗机构出具的免疫证明向所在地养犬登记机关申请登记。",
         "daily", "治安管理支队", ()),
    Duty("007", "婚姻登记", "结婚登记、离婚登记和补领婚姻登记证信息",
         "{area}婚姻登记机关办理的结婚、离婚登记和补发婚姻登记证记录。",
         "《中华人民共和国民法典》第一千零四十九条、第一千零七十六条；《婚姻登记条例》第二条、第四条", "daily",
         "社会事务科", ("婚姻登记信息", "结婚证电子证照信息")),
    Duty("007", "收养登记", "收养登记和解除收养关系登记信息", "中国公民在{area}办理的收养登记记录。",
         "《中华人民共和国民法典》第一千一百零五条；《中国公民收养子女登记办法》第二条", "irregular", "社会事务科",
         ("收养登记信息",)),
    Duty("007", "最低生活保障", "最低生活保障对象认定和保障金发放信息",
         "城乡最低生活保障对象的申请、审核确认、动态管理和保障金发放记录。",
         f"{SOCIAL_ASSISTANCE}第九条至第十三条", "monthly", "社会救助科", ("最低生活保障对象信息",)),
    Duty("007", "特困人员救助供养", "特困人员认定和救助供养信息", "特困人员的认定、供养形式和供养金发放记录。",
         f"{SOCIAL_ASSISTANCE}第十四条至第十九条", "monthly", "社会救助科", ("特困人员救助供养信息",)),
    Duty("007", "临时救助", "临时救助对象和救助金发放信息", "遭遇突发性、紧迫性困难的家庭和个人的临时救助记录。",
         f"{SOCIAL_ASSISTANCE}第四十七条至第五十条", "monthly", "社会救助科", ("临时救助信息",)),
    Duty("007", "养老机构监督管理", "养老机构备案和服务质量检查信息", "{area}养老机构的备案、床位和检查记录。",
         "《中华人民共和国老年人权益保障法》第四十三条；《养老机构管理办法》第九条", "quarterly", "养老服务科",
         ("养老机构信息",)),
    Duty("007", "社会组织登记管理", "社会团体和民办非企业单位登记信息", "社会组织的成立、变更、注销登记和年检记录。",
         "《社会团体登记管理条例》第六条；《民办非企业单位登记管理暂行条例》第五条", "monthly", "社会组织管理科",
         ("社会组织登记信息",)),
    Duty("007", "慈善组织认定", "慈善组织认定和公开募捐资格信息", "慈善组织的认定、公开募捐资格和慈善信托备案记录。",
         "《中华人民共和国慈善法》第十条、第二十二条、第四十五条", "irregular", "社会组织管理科", ()),
    Duty("007", "殡葬管理", "遗体火化和殡葬服务信息", "殡仪馆遗体接运、火化和骨灰安放记录。",
         "《殡葬管理条例》第四条、第六条", "daily", "社会事务科", ("殡葬服务火化信息",)),
    Duty("010", "社会保险登记", "用人单位和个人社会保险登记信息", "{area}参保单位和参保人员的社会保险登记和变更记录。",
         f"{SOCIAL_INSURANCE_LAW}第五十七条、第五十八条", "daily", "社会保险科",
         ("社会保险参保登记信息", "社保关系转移接续信息")),
    Duty("010", "基本养老保险", "养老保险费缴纳和养老金发放信息",
         "企业职工和城乡居民基本养老保险的缴费和待遇发放记录。",
         f"{SOCIAL_INSURANCE_LAW}第十条至第二十二条", "monthly", "养老保险科",
         ("企业职工基本养老保险缴费信息", "城乡居民养老保险待遇发放信息")),
    Duty("010", "失业保险", "失业保险金申领和发放信息", "失业人员失业保险金的申领、核定和发放记录。",
         f"{SOCIAL_INSURANCE_LAW}第四十五条至第五十二条；《失业保险条例》第十四条", "monthly", "失业保险科",
         ("失业保险金发放信息",)),
    Duty("010", "工伤认定", "工伤认定申请和结论信息", "职工工伤认定的申请、调查核实和认定结论。",
         "《工伤保险条例》第十七条、第二十条", "monthly", "工伤保险科", ("工伤认定信息",)),
    Duty("010", "就业失业登记", "就业登记和失业登记信息", "劳动者就业登记、失业登记和就业援助记录。",
         "《中华人民共和国就业促进法》第三十五条；《就业服务与就业管理规定》第六十一条", "daily", "就业促进科",
         ("就业登记信息", "失业登记信息")),
    Duty("010", "农民工工资支付监管", "工程建设领域农民工实名制和工资支付信息",
         "在建工程项目农民工实名登记、工资专用账户和按月足额支付记录。",
         "《保障农民工工资支付条例》第十条、第三十一条", "monthly", "劳动保障监察支队", ()),
    Duty("025", "市场主体登记", "市场主体设立、变更和注销登记信息",
         "{area}企业、个体工商户和农民专业合作社的登记记录。",
         "《中华人民共和国市场主体登记管理条例》第三条、第五条", "daily", "登记注册科",
         ("市场主体登记信息", "营业执照电子证照信息")),
    Duty("025", "企业信息公示", "企业年度报告和经营异常名录信息", "企业年度报告、即时信息公示和经营异常名录记录。",
         "《企业信息公示暂行条例》第八条、第十七条", "daily", "信用监督管理科",
         ("企业年度报告信息", "经营异常名录信息")),
    Duty("025", "食品经营许可", "食品经营许可证核发信息", "食品经营许可的申请、核发、变更和注销记录。",
         f"{FOOD_SAFETY_LAW}第三十五条", "daily", "食品经营安全监督管理科", ("食品经营许可信息",)),
    Duty("025", "食品安全抽样检验", "食品安全监督抽检计划和结果信息", "食品安全监督抽检的计划、样品和检验结论。",
         f"{FOOD_SAFETY_LAW}第八十七条", "monthly", "食品安全抽检监测科", ("食品安全监督抽检信息",)),
    Duty("025", "特种设备安全监察", "特种设备使用登记和定期检验信息",
         "锅炉、电梯、压力容器等特种设备的使用登记和检验记录。",
         "《中华人民共和国特种设备安全法》第三十三条", "daily", "特种设备安全监察科", ("特种设备信息",)),
    Duty("025", "广告监督管理", "广告监测和违法广告案件信息", "传统媒体和互联网广告的监测结果和违法广告查处记录。",
         "《中华人民共和国广告法》第六条、第四十九条", "monthly", "广告监督管理科", ()),
    Duty("028", "基本医疗保险参保", "基本医疗保险参保登记和缴费信息", "职工和城乡居民基本医疗保险的参保和缴费记录。",
         f"{SOCIAL_INSURANCE_LAW}第二十三条、第二十五条", "daily", "待遇保障科", ("基本医疗保险参保信息",)),
    Duty("028", "医疗费用结算", "参保人员医疗费用直接结算信息", "定点医药机构与医保经办机构直接结算的医疗费用记录。",
         f"{SOCIAL_INSURANCE_LAW}第二十九条", "daily", "医药服务管理科", ("医疗费用结算信息",)),
    Duty("028", "医疗救助", "医疗救助对象和救助金信息", "困难群众参保资助和住院、门诊医疗救助记录。",
         f"{SOCIAL_ASSISTANCE}第二十七条至第三十二条", "monthly", "待遇保障科", ("医疗救助信息",)),
]

COUNTY_DUTIES = [
    Duty("904", "户口登记管理", "辖区常住人口户口登记信息", "{area}派出所办理的户口登记、迁移和注销记录。",
         "《中华人民共和国户口登记条例》第二条、第三条", "daily", "户政管理大队", ("辖区户籍人口信息",)),
    Duty("904", "流动人口居住登记", "辖区流动人口居住登记信息", "在{area}居住的流动人口的居住登记记录。",
         "《居住证暂行条例》第四条", "daily", "治安管理大队", ("辖区流动人口信息",)),
    Duty("905", "社会保险登记", "辖区社会保险参保登记信息", "{area}参保单位和参保人员的登记和缴费记录。",
         f"{SOCIAL_INSURANCE_LAW}第五十七条、第五十八条", "daily", "社会保险股", ("社会保险参保信息",)),
    Duty("905", "城乡居民基本养老保险", "城乡居民养老保险缴费信息", "城乡居民养老保险的参保缴费和政府补贴记录。",
         f"{SOCIAL_INSURANCE_LAW}第二十条、第二十一条", "monthly", "社会保险股", ("城乡居民养老保险缴费信息",)),
    Duty("905", "被征地农民社会保障", "被征地农民社会保障信息", "被征地农民纳入养老保险等社会保障体系的记录。",
         "《中华人民共和国土地管理法》第四十八条", "quarterly", "社会保险股", ("被征地农民社会保障信息",)),
    Duty("906", "市场主体登记", "辖区市场主体登记信息", "{area}企业和个体工商户的设立、变更和注销登记记录。",
         "《中华人民共和国市场主体登记管理条例》第三条、第五条", "daily", "登记注册股",
         ("辖区市场主体登记信息", "个体工商户信息")),
    Duty("906", "食品安全日常监督检查", "食品生产经营日常监督检查信息", "对辖区食品生产经营者的日常检查记录和结果。",
         f"{FOOD_SAFETY_LAW}第一百一十条、第一百一十三条", "monthly", "食品安全监管股",
         ("食品生产经营日常监督检查信息",)),
    Duty("906", "食品小作坊和食品摊贩管理", "小作坊和食品摊贩登记信息",
         "食品生产加工小作坊和食品摊贩的登记、备案记录。",
         f"{FOOD_SAFETY_LAW}第三十六条", "monthly", "食品安全监管股", ("小作坊和食品摊贩登记信息",)),
    Duty("909", "婚姻登记", "结婚登记、离婚登记和补领婚姻登记证信息", "{area}婚姻登记处办理的结婚、离婚登记记录。",
         "《中华人民共和国民法典》第一千零四十九条、第一千零七十六条；《婚姻登记条例》第二条", "daily", "婚姻登记处",
         ("婚姻登记信息",)),
    Duty("909", "最低生活保障", "城乡低保对象认定和保障金发放信息",
         "{area}城乡低保对象的审核确认、动态管理和保障金发放记录。",
         f"{SOCIAL_ASSISTANCE}第九条至第十三条", "monthly", "社会救助股", ("城乡低保对象信息",)),
    Duty("909", "特困人员救助供养", "特困人员认定和供养金发放信息", "特困人员认定、分散或集中供养和供养金发放记录。",
         f"{SOCIAL_ASSISTANCE}第十四条至第十九条", "monthly", "社会救助股", ("特困供养人员信息",)),
    Duty("909", "临时救助", "临时救助对象和救助金发放信息", "乡镇（街道）和区县民政部门实施的临时救助记录。",
         f"{SOCIAL_ASSISTANCE}第四十七条至第五十条", "monthly", "社会救助股", ()),
    Duty("909", "居家养老服务", "居家和社区养老服务信息", "居家养老服务对象、服务项目和补贴记录。",
         "《中华人民共和国老年人权益保障法》第三十七条", "monthly", "养老服务股", ("居家养老服务信息",)),
    Duty("909", "残疾人两项补贴发放", "困难残疾人生活补贴和重度残疾人护理补贴信息", "两项补贴的申请、审核和发放记录。",
         "《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》（国发〔2015〕52号）", "monthly",
         "社会事务股", ("残疾人两项补贴发放信息",)),
    Duty("909", "殡葬管理", "遗体火化和公益性公墓安葬信息", "辖区遗体火化、骨灰安放和公益性公墓安葬记录。",
         "《殡葬管理条例》第四条、第八条", "daily", "社会事务股", ()),
]


def planned() -> list[tuple[str, str, Duty]]:
    """(department code, area name, duty) for every demo duty: the city's once, the counties' in each county."""
    plans = [(CITY + d.dept, "鹰潭市", d) for d in CITY_DUTIES]
    for prefix, area in COUNTIES:
        plans += [(prefix + d.dept, area, d) for d in COUNTY_DUTIES]
    return plans


def load_demo() -> dict:
    """Create the demo duties that are missing, linked to their department's demo entries. Returns counts."""
    plans = planned()
    departments = {d.code: d for d in Department.objects.filter(code__in={code for code, _a, _d in plans})}
    created = unlinked = 0
    with transaction.atomic():
        existing = set(DataDuty.objects.values_list("department__code", "duty", "data_name"))
        for code, area, d in plans:
            department = departments.get(code)
            if department is None or (code, d.duty, d.data_name) in existing:
                continue
            duty = DataDuty(department=department, duty=d.duty, data_name=d.data_name,
                            description=d.description.format(area=area) + DEMO_NOTE, legal_basis=d.legal_basis,
                            update_cycle=d.update_cycle, responsible_unit=d.unit, is_demo=True)
            duty.full_clean()
            duty.save()
            entries = list(CatalogEntry.objects.filter(department=department, name__in=d.entries))
            duty.entries.set(entries)
            created += 1
            unlinked += not entries
            existing.add((code, d.duty, d.data_name))
        if created:
            audit.record("duties.demo.load", audit.Target("duties.dataduty", "", "demo"),
                         changes={"duties": created, "unlinked": unlinked})
    return {"created": created, "unlinked": sum(not d.entries for _c, _a, d in plans), "total": len(plans)}
