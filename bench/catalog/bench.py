"""Catalog search benchmark: indexed Chinese search with facets against a plain LIKE scan, in the same
run, on SQLite and PostgreSQL (see bench/README.md, "Catalog search"). Run it through `bench/catalog/run`.

One run, for each database (SQLite in a temporary data directory; PostgreSQL in its own database,
by default `dgov_bench_catalog`, dropped and re-created, never `dgov` or `test_dgov`):

1. `dgov init --no-static` loads the reference data (regions, the city's 137 departments, the catalog
   classifications) into a fresh temporary data directory.
2. A worker process (this script with `--worker`) generates `--entries` catalog entries (100 000 by
   default) with their data items, spread over the departments and classifications, from a fixed
   seed: Django `bulk_create` for entries and items; the search index (`SearchTerm`) from the same
   `dgov.catalog.search.terms()` that `search.index_entry` uses, inserted in bulk (SQLite
   `executemany`, PostgreSQL `COPY`), with the index's secondary indexes dropped during the load and
   re-created from their own definitions afterwards. A sample of entries is then checked against
   `search.entry_terms()`. PostgreSQL gets `VACUUM ANALYZE` (what autovacuum does after a bulk
   load); SQLite gets no `ANALYZE`, as dgov never runs it (`--sqlite-analyze` to add it).
3. For each query (QUERIES below), in-process through the ORM, interleaved:
   - search: what GET /api/v1/catalog/resources?q=…&limit=20 does (dgov/catalog/api.py):
     `search_entries(CatalogEntry.objects.all(), q=…, filters=…)` with every facet, the count from
     the facets (`facet_total`), the first page of 20 with department, classification and region;
   - baseline: the same question as a plain `LIKE '%term%'` scan (ORM `icontains`) over the name,
     the summary and the data-item names (an EXISTS), then the selectors' own filters, facet
     GROUP BYs, count and page.
   `--repeat` timed repetitions of the search (50) and `--like-repeat` of the baseline (10; a LIKE
   request takes seconds), after `--warmup` untimed search requests and one untimed baseline request
   (the check below). The search requests are cold (the process caches emptied before each: facets
   counted in the database); then `--repeat` warm ones (facets at the same catalog generation from
   the process cache) are timed apart. Each timed figure is one whole
   "request": every query it sends, wall clock (time.perf_counter).
4. Reports per query p50 / p95 / max ms, the matches of both sides, the speedup (baseline p50 /
   search p50), PASS/FAIL of the search's p95 against 100 ms, and the p95 over all typical queries;
   writes bench/catalog/results/<UTC time>.json and .md and latest.json.

Exit status: 0 when every typical query's p95 is under the target on every database measured, 1 when
one is not or the search disagrees with the baseline (matches, facets, first page), 2 when the run
itself failed (search_entries missing, the bulk-built index differs from search.entry_terms()).
"""

import argparse
import json
import math
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/, for common.py
from common import (  # noqa: E402
    BenchError,
    busy_cpus,
    cpu_model,
    cpu_stat,
    cpus_usable,
    django_setup,
    figure,
    file_digest,
    loadavg,
    logger,
    memory_gb,
    num,
    pg_database,
    pg_recreate,
    run_cmd,
    run_worker,
    venv_versions,
    worker_env,
    write_results,
)

TARGET_MS = 100.0
PAGE = 20
SEED = 20261127
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/dgov_bench_catalog"

# name, q, filters ({facet field: symbolic value}, resolved against the generated data), typical?, what
QUERIES = [
    ("q=社保", "社保", {}, True, "2-char term, some entries (人社, 医保, 街道)"),
    ("q=婚姻", "婚姻", {}, True, "2-char term, few entries (民政, 司法, 婚姻状况 items)"),
    ("q=企业", "企业", {}, True, "2-char term, many entries (法人 data)"),
    ("q=殡葬", "殡葬", {}, True, "2-char term, rare"),
    ("q=不动产", "不动产", {}, True, "3-char term (2 bigrams)"),
    ("q=婚姻登记", "婚姻登记", {}, True, "4-char term (3 bigrams)"),
    ("q=社会保险", "社会保险", {}, True, "4-char term whose first bigram 社会 is very common"),
    ("q=社保 + department", "社保", {"department": "dept:360600010"}, True,
     "query + one facet filter (市人社局)"),
    ("q=企业 + catalog_type + sharing_type", "企业", {"catalog_type": "3", "sharing_type": "conditional"}, True,
     "query + two facet filters"),
    ("facets only", "", {}, True, "no query, no filter: the catalog's landing page (all entries)"),
    ("facets + open_type", "", {"open_type": "unconditional"}, True, "no query, one filter (the open-data view)"),
    ("q=信息 (worst case)", "信息", {}, False, "a term in nearly every entry: not a typical query, reported apart"),
]
# --- the vocabulary of the generated catalog --------------------------------------------------------
# Department groups: which departments (by a word of their name), what they hold about (person,
# enterprise or object: decides the common data items), and their topics: (resource subject, its own
# data items). Names, summaries and items are put together from these, so a query term hits the share
# of entries that it would in a real city catalog: 企业 and 社会 many, 社保 and 不动产 some, 婚姻 few.

PERSON_ITEMS = [("姓名", 10), ("公民身份号码", 10), ("性别", 6), ("民族", 3), ("出生日期", 6), ("户籍地址", 3),
                ("现住址", 4), ("联系电话", 7), ("婚姻状况", 0.3), ("文化程度", 2), ("证件类型", 3), ("人员类别", 2)]
ENTERPRISE_ITEMS = [("统一社会信用代码", 10), ("企业名称", 9), ("法定代表人", 7), ("注册资本", 4), ("成立日期", 4),
                    ("住所", 4), ("经营范围", 4), ("登记机关", 3), ("企业类型", 4), ("经营状态", 4), ("联系人", 3)]
OBJECT_ITEMS = [("项目名称", 6), ("项目代码", 4), ("坐落位置", 4), ("面积", 4), ("用途", 3), ("权利人", 3),
                ("批准文号", 3), ("建设单位", 3), ("经度", 2), ("纬度", 2), ("责任单位", 3)]
COMMON_ITEMS = [("办理日期", 6), ("经办机构", 5), ("经办人", 3), ("审核状态", 3), ("数据来源", 3), ("更新时间", 6),
                ("备注", 5), ("行政区划代码", 4), ("所属区县", 3), ("记录编号", 4), ("有效期至", 2), ("附件", 2)]
SUBJECT_ITEMS = {"person": PERSON_ITEMS, "enterprise": ENTERPRISE_ITEMS, "object": OBJECT_ITEMS}

GROUPS = {
    "人社": (["人力资源和社会保障"], "person", [
        ("企业职工基本养老保险参保",
         ["社会保障号码", "参保单位名称", "缴费基数", "缴费月份", "参保状态", "参加工作日期"]),
        ("城乡居民基本养老保险", ["社会保障号码", "缴费档次", "缴费年度", "待遇领取状态", "养老金月发放额"]),
        ("社保卡发放", ["社保卡号", "卡片状态", "发卡日期", "发卡银行", "金融账号"]),
        ("社会保险缴费", ["社会保障号码", "险种类型", "缴费金额", "缴费月份", "缴费方式"]),
        ("社保待遇核定", ["待遇类别", "核定金额", "核定日期", "发放方式", "社保经办机构"]),
        ("失业保险金发放", ["失业登记号", "领取月数", "发放金额", "发放月份"]),
        ("工伤认定", ["事故发生日期", "工伤认定结论", "伤残等级", "用人单位名称"]),
        ("就业登记", ["就业单位名称", "就业日期", "就业形式", "劳动合同期限"]),
        ("职业技能培训补贴", ["培训机构名称", "培训工种", "补贴金额", "证书编号"]),
        ("劳动人事争议仲裁案件", ["案件编号", "申请人", "被申请人", "仲裁结果"]),
        ("企业社保参保登记", ["统一社会信用代码", "企业名称", "参保险种", "参保人数", "社保登记日期"]),
    ]),
    "民政": (["民政局"], "person", [
        ("婚姻登记", ["男方姓名", "女方姓名", "登记类型", "结婚证字号", "婚姻登记机关", "登记日期"]),
        ("离婚登记", ["男方姓名", "女方姓名", "离婚证字号", "婚姻登记机关", "登记日期"]),
        ("补领婚姻登记证", ["申请人", "原证字号", "补领日期", "婚姻登记机关"]),
        ("最低生活保障对象", ["保障人数", "保障金额", "救助类别", "审批日期"]),
        ("特困人员救助供养", ["供养方式", "供养标准", "认定日期"]),
        ("临时救助", ["救助事由", "救助金额", "救助日期"]),
        ("养老机构", ["机构名称", "床位数", "入住人数", "星级评定"]),
        ("社会组织登记", ["统一社会信用代码", "社会组织名称", "登记类型", "业务主管单位"]),
        ("殡葬服务", ["逝者姓名", "火化日期", "殡仪馆名称"]),
        ("残疾人两项补贴", ["残疾证号", "残疾等级", "补贴类型", "补贴金额"]),
        ("地名信息", ["标准地名", "地名类别", "罗马字母拼写", "地名含义"]),
    ]),
    "市场监管": (["市场监督管理"], "enterprise", [
        ("企业设立登记", ["注册号", "核准日期", "出资方式", "股东名称"]),
        ("企业变更登记", ["变更事项", "变更前内容", "变更后内容", "变更日期"]),
        ("企业注销登记", ["注销原因", "注销日期", "清算组成员"]),
        ("企业年度报告", ["报告年度", "从业人数", "资产总额", "营业总收入"]),
        ("个体工商户登记", ["经营者姓名", "字号名称", "组成形式"]),
        ("食品经营许可证", ["许可证编号", "经营项目", "发证日期"]),
        ("特种设备使用登记", ["设备类别", "设备代码", "使用登记证编号", "下次检验日期"]),
        ("行政处罚决定", ["处罚决定书文号", "违法行为类型", "处罚内容", "罚没金额"]),
        ("经营异常名录", ["列入原因", "列入日期", "移出日期"]),
        ("产品质量监督抽查", ["产品名称", "抽查结果", "检验机构"]),
        ("商标质押登记", ["商标注册号", "质权人", "质押期限"]),
    ]),
    "自然资源": (["自然资源"], "object", [
        ("不动产登记", ["不动产单元号", "不动产权证书号", "权利类型", "权利性质", "登记日期"]),
        ("不动产抵押登记", ["不动产单元号", "抵押权人", "债权数额", "抵押期限"]),
        ("不动产查封登记", ["查封机关", "查封文号", "查封期限"]),
        ("国有建设用地使用权出让", ["宗地编号", "出让面积", "出让价款", "土地用途"]),
        ("建设用地规划许可", ["许可证编号", "用地面积", "用地性质"]),
        ("建设工程规划许可", ["许可证编号", "建筑面积", "建设规模"]),
        ("土地利用现状调查", ["图斑编号", "地类名称", "图斑面积"]),
        ("矿业权登记", ["矿种", "矿区面积", "有效期限"]),
        ("测绘成果", ["成果名称", "比例尺", "坐标系统"]),
        ("永久基本农田", ["地块编号", "划定面积", "保护责任人"]),
    ]),
    "公安": (["公安"], "person", [
        ("常住人口户籍", ["户号", "与户主关系", "迁入日期", "户口类别", "婚姻状况"]),
        ("居民身份证办理", ["证件有效期", "签发机关", "受理日期"]),
        ("流动人口居住登记", ["居住证编号", "居住事由", "登记日期"]),
        ("机动车登记", ["号牌号码", "车辆类型", "车辆识别代号", "所有人"]),
        ("驾驶证", ["准驾车型", "初次领证日期", "累积记分"]),
        ("道路交通事故", ["事故编号", "事故地点", "事故形态", "伤亡人数"]),
        ("出入境证件办理", ["证件号码", "证件种类", "签发日期"]),
        ("旅馆业治安管理", ["旅馆名称", "入住时间", "退房时间", "房间号"]),
        ("企业印章刻制备案", ["统一社会信用代码", "企业名称", "印章类型", "刻制日期"]),
    ]),
    "卫健": (["卫生健康"], "person", [
        ("出生医学证明", ["新生儿姓名", "出生时间", "出生地点", "母亲姓名", "父亲姓名", "证明编号"]),
        ("医疗机构执业登记", ["机构名称", "执业许可证号", "诊疗科目", "床位数"]),
        ("医师执业注册", ["医师姓名", "执业类别", "执业范围", "执业地点"]),
        ("预防接种", ["疫苗名称", "接种日期", "接种剂次", "接种单位"]),
        ("居民电子健康档案", ["档案编号", "血型", "过敏史", "既往史"]),
        ("死亡医学证明", ["死亡日期", "死亡原因", "死亡地点"]),
        ("公共场所卫生许可", ["单位名称", "许可项目", "许可证号"]),
        ("计划生育家庭特别扶助", ["扶助类别", "扶助金额", "扶助年度"]),
    ]),
    "医保": (["医疗保障"], "person", [
        ("基本医疗保险参保", ["医保编号", "参保类别", "参保状态", "缴费年度", "社保卡号"]),
        ("医疗费用结算", ["结算编号", "医疗总费用", "统筹支付", "个人自付"]),
        ("定点医药机构", ["机构名称", "定点编号", "协议期限"]),
        ("医疗救助", ["救助对象类别", "救助金额", "救助日期"]),
        ("异地就医备案", ["备案类型", "就医地", "备案日期"]),
    ]),
    "住建": (["住房和城乡建设"], "object", [
        ("商品房预售许可", ["预售许可证号", "项目名称", "预售面积", "开发企业名称"]),
        ("商品房买卖合同网签备案", ["合同编号", "房屋坐落", "建筑面积", "成交价格", "买受人"]),
        ("建筑工程施工许可", ["施工许可证号", "建设单位", "施工单位", "合同价格"]),
        ("建筑业企业资质", ["统一社会信用代码", "企业名称", "资质类别", "资质等级"]),
        ("房屋征收补偿", ["被征收人", "补偿方式", "补偿金额"]),
        ("住房公积金缴存", ["公积金账号", "缴存基数", "月缴存额", "缴存状态"]),
        ("公共租赁住房保障", ["申请人", "保障方式", "租金标准"]),
        ("城镇老旧小区改造", ["小区名称", "改造内容", "投资金额"]),
    ]),
    "行政审批": (["行政审批", "政务服务"], "enterprise", [
        ("企业开办一件事", ["统一社会信用代码", "企业名称", "办结日期", "办理环节"]),
        ("政务服务事项办件", ["办件编号", "事项名称", "申请人", "办结日期", "办理结果"]),
        ("投资项目审批", ["项目代码", "项目名称", "审批事项", "批复文号"]),
        ("不动产交易登记一窗受理", ["受理编号", "不动产单元号", "申请人", "受理日期"]),
        ("好差评", ["评价等级", "评价内容", "评价时间"]),
        ("证照批文", ["证照名称", "证照编号", "发证日期", "持证主体"]),
    ]),
    "发改": (["发展和改革"], "enterprise", [
        ("企业投资项目备案", ["项目代码", "项目名称", "总投资", "建设地点"]),
        ("重点项目调度", ["项目名称", "年度计划投资", "完成投资", "形象进度"]),
        ("公共信用信息", ["信用主体", "信用记录类型", "认定单位", "有效期"]),
        ("价格监测", ["商品名称", "规格", "价格", "监测日期"]),
        ("粮油储备", ["品种", "储备数量", "存储库点"]),
    ]),
    "工信": (["工业和信息化"], "enterprise", [
        ("规模以上工业企业", ["统一社会信用代码", "企业名称", "工业总产值", "主营业务收入"]),
        ("专精特新中小企业", ["企业名称", "认定年度", "主导产品"]),
        ("企业技术改造项目", ["项目名称", "企业名称", "技改投资"]),
        ("工业用电量", ["企业名称", "用电月份", "用电量"]),
    ]),
    "生态环境": (["生态环境"], "enterprise", [
        ("排污许可", ["排污许可证编号", "行业类别", "主要污染物种类", "有效期限"]),
        ("环境影响评价审批", ["项目名称", "批复文号", "环评类别"]),
        ("空气质量监测", ["监测点位", "监测时间", "空气质量指数", "首要污染物"]),
        ("重点排污企业", ["企业名称", "排放口编号", "排放浓度"]),
        ("环境行政处罚", ["处罚决定书文号", "违法事实", "罚款金额"]),
    ]),
    "交通": (["交通运输"], "enterprise", [
        ("道路运输经营许可", ["许可证号", "经营范围", "企业名称"]),
        ("营运车辆", ["车牌号码", "道路运输证号", "车辆类型"]),
        ("网约车驾驶员证", ["驾驶员姓名", "证件号", "发证日期"]),
        ("公路桥梁", ["桥梁名称", "桥梁编码", "技术等级"]),
        ("公交线路", ["线路名称", "站点数", "首末班时间"]),
    ]),
    "农业": (["农业农村"], "object", [
        ("农村土地承包经营权", ["承包方代表", "地块编码", "承包面积", "承包期限"]),
        ("家庭农场名录", ["农场名称", "经营者", "经营面积"]),
        ("农药经营许可", ["许可证编号", "经营者名称", "经营范围"]),
        ("高标准农田建设", ["项目名称", "建设面积", "投资金额"]),
        ("动物防疫", ["养殖场名称", "存栏数量", "免疫日期"]),
    ]),
    "教育": (["教育"], "person", [
        ("学生学籍", ["学籍号", "学校名称", "年级", "班级", "入学日期"]),
        ("中小学教师资格", ["教师资格证号", "任教学科", "资格种类"]),
        ("民办学校办学许可", ["学校名称", "办学许可证号", "举办者"]),
        ("学前教育资助", ["幼儿园名称", "资助金额", "资助学期"]),
        ("中考成绩", ["准考证号", "总分", "录取学校"]),
    ]),
    "商务": (["商务"], "enterprise", [
        ("外商投资企业", ["企业名称", "投资方国别", "合同外资"]),
        ("对外贸易经营者备案", ["企业名称", "备案登记表编号", "进出口企业代码"]),
        ("单用途商业预付卡备案", ["发卡企业", "备案编号", "发卡金额"]),
        ("社会消费品零售总额", ["统计月份", "零售额", "同比增长"]),
    ]),
    "财政": (["财政"], "enterprise", [
        ("政府采购合同", ["采购项目名称", "供应商名称", "合同金额", "签订日期"]),
        ("非税收入缴款", ["缴款书号", "执收单位", "缴款金额"]),
        ("惠民惠农补贴发放", ["补贴项目", "发放金额", "发放日期", "姓名"]),
        ("行政事业单位国有资产", ["资产名称", "资产编号", "原值", "使用单位"]),
    ]),
    "司法": (["司法"], "person", [
        ("公证书", ["公证书编号", "公证事项", "当事人", "出证日期"]),
        ("婚姻状况公证", ["当事人", "公证书编号", "婚姻状况", "用途"]),
        ("律师执业", ["律师姓名", "执业证号", "律师事务所"]),
        ("法律援助案件", ["受援人", "案件类型", "承办人"]),
        ("人民调解案件", ["纠纷类型", "调解结果", "调解日期"]),
        ("社区矫正对象", ["矫正类别", "矫正期限", "执行地"]),
    ]),
    "应急": (["应急管理"], "enterprise", [
        ("危险化学品经营许可", ["企业名称", "许可证编号", "经营品种"]),
        ("安全生产行政处罚", ["处罚决定书文号", "违法行为", "罚款金额"]),
        ("自然灾害灾情", ["灾害类型", "受灾人口", "直接经济损失"]),
        ("应急物资储备", ["物资名称", "储备数量", "储备地点"]),
        ("企业安全生产标准化", ["企业名称", "达标等级", "证书编号"]),
    ]),
    "统计": (["统计"], "enterprise", [
        ("名录库企业", ["统一社会信用代码", "企业名称", "行业代码", "规模"]),
        ("地区生产总值", ["统计年度", "地区生产总值", "增速"]),
        ("人口抽样调查", ["调查户编号", "户规模", "调查年度"]),
        ("固定资产投资统计", ["项目名称", "本年完成投资", "统计月份"]),
    ]),
    "退役军人": (["退役军人"], "person", [
        ("退役军人信息采集", ["入伍时间", "退役时间", "服役部队", "安置方式"]),
        ("优抚对象抚恤补助", ["优抚类别", "抚恤标准", "发放金额"]),
        ("光荣牌悬挂", ["家庭住址", "悬挂日期"]),
    ]),
    "水利": (["水利"], "object", [
        ("取水许可", ["取水权人", "取水许可证号", "年取水量"]),
        ("水库基本信息", ["水库名称", "总库容", "坝型"]),
        ("河湖长制", ["河湖名称", "河湖长姓名", "巡河次数"]),
        ("水文监测", ["测站名称", "水位", "流量", "监测时间"]),
    ]),
    "林业": (["林业"], "object", [
        ("林权登记", ["林权证号", "林地面积", "林种", "权利人"]),
        ("林木采伐许可", ["采伐证号", "采伐面积", "采伐蓄积"]),
        ("古树名木", ["树种", "树龄", "保护等级"]),
    ]),
    "文旅": (["文化", "旅游", "体育"], "enterprise", [
        ("旅行社经营许可", ["旅行社名称", "许可证号", "质量保证金"]),
        ("A级旅游景区", ["景区名称", "等级", "年接待人次"]),
        ("文物保护单位", ["文物名称", "保护级别", "公布批次"]),
        ("公共体育场馆", ["场馆名称", "开放时间", "面积"]),
        ("网吧经营许可", ["场所名称", "许可证号", "终端数"]),
    ]),
    "城管": (["城市管理"], "object", [
        ("城市管理案件", ["案件编号", "案件类别", "发生地址", "处置结果"]),
        ("户外广告设置许可", ["设置单位", "设置地点", "规格"]),
        ("市政设施", ["设施名称", "设施类型", "养护单位"]),
        ("渣土运输核准", ["运输企业", "车牌号码", "核准期限"]),
    ]),
    "数据": (["数据局", "大数据"], "object", [
        ("政务数据共享申请", ["申请部门", "资源名称", "申请日期", "审核结果"]),
        ("公共数据开放", ["数据集名称", "开放方式", "更新频率"]),
        ("电子证照目录", ["证照类型", "签发部门", "证照数量"]),
        ("政务云资源", ["云主机数量", "存储容量", "使用部门"]),
    ]),
    "金融国资": (["金融", "国有资产"], "enterprise", [
        ("地方金融组织", ["机构名称", "机构类型", "注册资本"]),
        ("企业融资需求", ["企业名称", "融资金额", "融资用途"]),
        ("国有企业产权登记", ["企业名称", "出资人", "国有资本"]),
    ]),
    "政府": (["人民政府", "办公室", "管理委员会", "审计", "信访", "人民防空", "机关事务", "粮食", "科学技术"],
             "object", [
        ("政府信息公开申请", ["申请人", "申请内容", "答复日期", "答复类型"]),
        ("人大建议政协提案办理", ["建议编号", "承办单位", "办理结果"]),
        ("信访事项", ["信访件编号", "信访人", "诉求内容", "办理状态"]),
        ("督查督办事项", ["督办事项", "责任单位", "办结时限"]),
        ("政策文件", ["文件标题", "发文字号", "成文日期", "有效性"]),
        ("审计发现问题整改", ["问题描述", "整改措施", "整改状态"]),
        ("科技项目", ["项目名称", "承担单位", "立项经费"]),
    ]),
    "街道": (["街道", "镇", "乡"], "person", [
        ("社区网格人口", ["网格编号", "居住类型", "人员标签"]),
        ("辖区企业走访", ["企业名称", "走访日期", "诉求事项"]),
        ("低保申请受理", ["申请人", "家庭人口数", "受理日期"]),
        ("高龄津贴发放", ["年龄段", "发放金额", "发放月份"]),
        ("城乡居民社保代办", ["代办事项", "社会保障号码", "办理日期"]),
        ("村居基本情况", ["村居名称", "户数", "人口数"]),
    ]),
}
NAME_SUFFIXES = [("信息", 10), ("数据", 6), ("记录", 3), ("台账", 2), ("名录", 2), ("明细", 2), ("统计", 2),
                 ("汇总表", 1), ("登记表", 1)]
NAME_PREFIXES = [("", 20), ("历年", 1), ("全市", 1), ("辖区", 1), ("年度", 1), ("电子", 1)]
PURPOSES = ["用于部门间数据共享和业务协同", "支撑政务服务一网通办", "为社保待遇核定提供依据", "服务企业和群众办事",
            "用于监管执法和信用评价", "为领导决策提供数据支撑", "支撑网格化社会治理", "用于统计分析和绩效考核",
            "供公安、民政、人社等部门核验使用", "面向社会开放供企业开发利用", "支撑不动产登记和交易监管",
            "用于婚姻状况核验和户籍业务办理"]
PURPOSE_WEIGHTS = [30, 25, 2, 8, 12, 10, 8, 10, 4, 5, 2, 1]
CYCLE_WORDS = {"realtime": "实时", "daily": "每日", "weekly": "每周", "monthly": "每月", "quarterly": "每季度",
               "half_yearly": "每半年", "yearly": "每年", "irregular": "不定期"}
SUMMARY_TEMPLATES = [
    "{region}{dept}在{topic}业务办理中形成的{suffix}，包括{items}等内容，{cycle}更新，{purpose}。",
    "记录{region}{topic}情况，含{items}等信息项。数据由{dept}采集和维护，{purpose}。",
    "{topic}{suffix}，覆盖{region}全域，{cycle}汇聚至市大数据中心，{purpose}；{extra}",
    "本资源汇集{dept}{topic}相关数据，主要字段有{items}，{purpose}。",
]
EXTRAS = ["涉及个人信息的字段按规定脱敏后共享。", "数据质量经过比对核验。", "历史数据已完成电子化。",
          "按照政务数据共享开放管理办法提供。", "部分字段不予共享。", "与省级系统实时对接。"]
SHARING_USERS = ["政务部门", "公安、民政、人社等部门", "行政审批部门"]
SOURCE_SYSTEMS = ["业务管理系统", "一体化政务服务平台", "省级业务专网系统", "综合监管平台", "数据共享交换平台",
                  "网格化管理平台"]


log = logger("bench/catalog")


def weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def sample_weighted(rng: random.Random, pairs, k: int) -> list[str]:
    """k distinct values, drawn by weight."""
    pool = list(pairs)
    out = []
    while pool and len(out) < k:
        i = rng.choices(range(len(pool)), [w for _, w in pool])[0]
        out.append(pool.pop(i)[0])
    return out


# --- generation (worker) ------------------------------------------------------------------------

THEME_OF_GROUP = {"人社": "203", "民政": "203", "街道": "210", "卫健": "202", "医保": "202", "市场监管": "204",
                  "应急": "205", "发改": "208", "住建": "209", "城管": "209", "生态环境": "211", "公安": "212",
                  "金融国资": "208", "农业": "201", "工信": "207"}
BASE_OF_SUBJECT = {"person": "101", "enterprise": "102", "object": "103"}
DATA_TYPES = {"日期": "date", "时间": "datetime", "金额": "decimal", "面积": "decimal", "数": "integer",
              "价格": "decimal", "投资": "decimal", "量": "decimal", "附件": "binary"}
SENSITIVE_ITEMS = {"公民身份号码", "社会保障号码", "婚姻状况", "既往史", "过敏史", "血型", "死亡原因", "残疾证号"}
PERSONAL_ITEMS = {"姓名", "联系电话", "现住址", "户籍地址", "出生日期", "男方姓名", "女方姓名", "申请人", "当事人",
                  "社保卡号", "医保编号", "新生儿姓名", "母亲姓名", "父亲姓名", "逝者姓名", "驾驶员姓名", "受援人"}


def group_of(dept) -> str:
    if dept.kind == "township":
        return "街道"
    for name, (words, _, _) in GROUPS.items():
        if name != "街道" and any(w in dept.name for w in words):
            return name
    return "政府"


#: how many resources a department holds, relative to others of its level: the big data holders
#: (public security, social insurance, market regulation, natural resources, ...) hold most
GROUP_WEIGHT = {"公安": 3.0, "人社": 2.5, "市场监管": 2.5, "自然资源": 2.0, "卫健": 2.0, "行政审批": 2.0, "民政": 1.5,
                "住建": 1.5, "医保": 1.5, "教育": 1.2, "交通": 1.2, "生态环境": 1.2, "政府": 0.5, "退役军人": 0.6,
                "林业": 0.6, "水利": 0.6, "统计": 0.8, "金融国资": 0.5}


def department_weight(dept, group: str) -> float:
    if dept.kind == "township":
        return 0.15
    return (1.0 if dept.region.level == "city" else 0.6) * GROUP_WEIGHT.get(group, 1.0)


def bench_classifications(departments) -> dict:
    """The 类/项 rows from `dgov init`, plus one 目 under 307 (省及其下各级政务部门) per department
    (the city defines the 目 level), as the department catalogs."""
    from dgov.catalog.models import Classification

    by_code = {c.code: c for c in Classification.objects.all()}
    parent = by_code["307"]
    new = [Classification(code=f"307{i:03d}", name=d.short_name or d.name, level=3, parent=parent)
           for i, d in enumerate(departments, 1) if f"307{i:03d}" not in by_code]
    Classification.objects.bulk_create(new)
    by_code = {c.code: c for c in Classification.objects.all()}
    return {"by_code": by_code, "of_department": {d.pk: by_code[f"307{i:03d}"] for i, d in enumerate(departments, 1)}}


def make_entry(rng, dept, group, classes, seq, today):
    from dgov.catalog.models import CatalogEntry

    _, subject, topics = GROUPS[group]
    topic, topic_items = rng.choice(topics)
    roll = rng.random()
    if roll < 0.65:
        cls = classes["of_department"][dept.pk]
    elif roll < 0.90:
        cls = classes["by_code"][THEME_OF_GROUP.get(group, "201")]
    else:
        cls = classes["by_code"]["105" if rng.random() < 0.15 else BASE_OF_SUBJECT[subject]]
    prefix = cls.code.ljust(9, "0")
    seq[prefix] = seq.get(prefix, 0) + 1
    suffix = weighted(rng, NAME_SUFFIXES)
    year = f"{rng.randint(2016, 2025)}年" if rng.random() < 0.12 else ""
    name = f"{year}{weighted(rng, NAME_PREFIXES)}{topic}{suffix}"

    items = list(topic_items[:rng.randint(max(2, len(topic_items) - 2), len(topic_items))])
    items += sample_weighted(rng, SUBJECT_ITEMS[subject], rng.randint(2, 6))
    items += sample_weighted(rng, COMMON_ITEMS, rng.randint(1, 4))
    items = list(dict.fromkeys(items))
    rng.shuffle(items)

    cycle = weighted(rng, [("realtime", 8), ("daily", 20), ("weekly", 6), ("monthly", 22), ("quarterly", 8),
                           ("half_yearly", 3), ("yearly", 13), ("irregular", 20)])
    region = "" if dept.region.level == "city" else dept.region.name
    template = rng.choice(SUMMARY_TEMPLATES)
    summary = template.format(
        region=region or rng.choice(["全市", "本市", ""]), dept=dept.short_name or dept.name, topic=topic,
        suffix=suffix, items="、".join(items[:rng.randint(2, 4)]), cycle=CYCLE_WORDS[cycle],
        purpose=rng.choices(PURPOSES, PURPOSE_WEIGHTS)[0], extra=rng.choice(EXTRAS))

    sharing = weighted(rng, [("unconditional", 45), ("conditional", 42), ("none", 13)])
    opening = "none" if sharing == "none" else weighted(rng, [("unconditional", 25), ("conditional", 20),
                                                              ("none", 55)])
    published = today - timedelta(days=rng.randint(0, 6 * 365))
    entry = CatalogEntry(
        code=f"{prefix}/{seq[prefix]:06d}", classification=cls, name=name, department=dept,
        region_id=dept.region_id, summary=summary,
        format=weighted(rng, [("database", 45), ("spreadsheet", 25), ("document", 10), ("self_describing", 10),
                              ("image", 5), ("streaming", 2), ("other", 3)]),
        sharing_type=sharing,
        sharing_conditions=(f"仅限{rng.choice(SHARING_USERS)}在履行法定职责时使用" if sharing == "conditional" else ""),
        sharing_method=weighted(rng, [("api", 60), ("file", 25), ("database", 15)]) if sharing != "none" else "",
        open_type=opening,
        open_conditions="经申请并签订数据使用协议后开放" if opening == "conditional" else "",
        update_cycle=cycle, published_on=published,
        data_updated_on=published + timedelta(days=rng.randint(0, max(0, (today - published).days))),
        related_codes=[], source_system=f"{dept.short_name or dept.name}{rng.choice(SOURCE_SYSTEMS)}",
        record_count=int(rng.lognormvariate(9, 2.5)),
        status=weighted(rng, [("published", 70), ("reviewed", 5), ("submitted", 5), ("draft", 17), ("withdrawn", 3)]),
    )
    return entry, items


def item_row(rng, position: int, name: str) -> dict:
    data_type = next((t for word, t in DATA_TYPES.items() if word in name), "string")
    return {"position": position, "name": name, "data_type": data_type,
            "length": rng.choice([20, 50, 100, 200, 18, 32]) if data_type == "string" else None,
            "personal_data": "sensitive" if name in SENSITIVE_ITEMS else "personal" if name in PERSONAL_ITEMS
            else "none"}


def searchterm_indexes(connection) -> list[tuple[str, str, str]]:
    """The secondary indexes and constraints of the SearchTerm table that a bulk load may drop and
    re-create: (kind, name, definition). SQLite's UNIQUE (term, entry_id) lives in the table itself and
    stays (rows go in sorted by it)."""
    from dgov.catalog.models import SearchTerm

    table = SearchTerm._meta.db_table
    with connection.cursor() as c:
        if connection.vendor == "sqlite":
            c.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                      [table])
            return [("index", name, sql) for name, sql in c.fetchall()]
        c.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                  "AND contype IN ('u', 'f')", [table])
        constraints = [("constraint", name, definition) for name, definition in c.fetchall()]
        c.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                  "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)", [table, table])
        return constraints + [("index", name, definition) for name, definition in c.fetchall()]


def load_terms(connection, postings: dict[str, list[int]]) -> tuple[int, dict]:
    """Insert the (term, entry) rows with the table's secondary indexes dropped, then re-create them."""
    from django.db import transaction

    from dgov.catalog.models import SearchTerm

    table = SearchTerm._meta.db_table
    q = connection.ops.quote_name
    dropped = searchterm_indexes(connection)
    timings = {}
    rows = 0
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as c:
        if connection.vendor == "sqlite":
            c.execute("PRAGMA cache_size = -1000000")  # 1 GB for the load (the connection is closed after it)
        for kind, name, _ in dropped:
            c.execute(f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(name)}" if kind == "constraint"
                      else f"DROP INDEX {q(name)}")
        if connection.vendor == "sqlite":
            def batches():
                batch = []
                for term in sorted(postings):  # the order of the UNIQUE (term, entry_id) index
                    batch.extend((term, e) for e in postings[term])
                    if len(batch) >= 200_000:
                        yield batch
                        batch = []
                yield batch
            raw = c.cursor  # Django's SQLiteCursorWrapper; executemany takes the native placeholders
            for batch in batches():
                raw.executemany(f'INSERT INTO "{table}" (term, entry_id) VALUES (?, ?)', batch)
                rows += len(batch)
        else:
            raw = c.cursor  # psycopg cursor
            by_entry: dict[int, list[str]] = {}
            for term, entries in postings.items():
                for e in entries:
                    by_entry.setdefault(e, []).append(term)
            with raw.copy(f'COPY "{table}" (term, entry_id) FROM STDIN') as copy:
                chunk = []
                for e in sorted(by_entry):  # entry order, as entries are indexed one by one
                    chunk.append("".join(f"{t}\t{e}\n" for t in by_entry[e]))
                    rows += len(by_entry[e])
                    if len(chunk) >= 2000:
                        copy.write("".join(chunk))
                        chunk = []
                copy.write("".join(chunk))
            c.execute("SET maintenance_work_mem = '512MB'")
        timings["insert_s"] = round(time.perf_counter() - t0, 1)
        t1 = time.perf_counter()
        for kind, name, definition in dropped:
            c.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition}" if kind == "constraint"
                      else definition)
        timings["reindex_s"] = round(time.perf_counter() - t1, 1)
    timings["recreated"] = [f"{kind} {name}: {definition}" for kind, name, definition in dropped]
    return rows, timings


def generate(n: int, seed: int) -> dict:
    from django.db import connection, transaction

    from dgov.catalog import search
    from dgov.catalog.models import CatalogEntry, DataItem
    from dgov.orgs.models import Department

    if CatalogEntry.objects.exists():
        raise BenchError("the benchmark database already holds catalog entries")
    rng = random.Random(seed)
    departments = list(Department.objects.select_related("region").order_by("code"))
    classes = bench_classifications(departments)
    groups = {d.pk: group_of(d) for d in departments}
    weights = [department_weight(d, groups[d.pk]) for d in departments]
    today = date(2026, 11, 27)
    seq: dict[str, int] = {}
    postings: dict[str, list[int]] = {}
    stats = {"entries": 0, "items": 0}
    t0 = time.perf_counter()
    batch_size = 2000
    for start in range(0, n, batch_size):
        entries, item_names = [], []
        for dept in rng.choices(departments, weights, k=min(batch_size, n - start)):
            entry, items = make_entry(rng, dept, groups[dept.pk], classes, seq, today)
            entries.append(entry)
            item_names.append(items)
        with transaction.atomic():
            CatalogEntry.objects.bulk_create(entries, batch_size=500)
            DataItem.objects.bulk_create(
                [DataItem(entry_id=e.pk, **item_row(rng, i, name))
                 for e, items in zip(entries, item_names, strict=True) for i, name in enumerate(items, 1)],
                batch_size=2000)
        for e, items in zip(entries, item_names, strict=True):
            # the same text as search.entry_terms(): name, summary and the item names, joined by spaces
            for term in search.terms(" ".join([e.name, e.summary, *items])):
                postings.setdefault(term, []).append(e.pk)
            stats["items"] += len(items)
        stats["entries"] += len(entries)
        if (start // batch_size) % 10 == 9:
            log(f"  {stats['entries']} entries, {stats['items']} items ({time.perf_counter() - t0:.0f} s)")
    stats["entries_items_s"] = round(time.perf_counter() - t0, 1)
    log(f"  search index: {sum(map(len, postings.values()))} rows of {len(postings)} distinct terms")
    stats["search_terms"], timings = load_terms(connection, postings)
    stats["distinct_terms"] = len(postings)
    stats["search_index_load"] = timings
    stats["generate_s"] = round(time.perf_counter() - t0, 1)
    stats["share_of_entries_holding"] = {
        t: round(len(postings.get(t, ())) / n, 4)
        for t in ["信息", "社会", "企业", "社保", "婚姻", "不动", "动产", "殡葬", "登记", "保险", "会保"]}
    stats["classifications_added"] = "one 目 per department under 307 (the department catalogs)"
    return stats


def verify_index(sample: int, seed: int) -> dict:
    """The bulk-built index must equal what search.index_entry would write for the same entries."""
    from dgov.catalog import search
    from dgov.catalog.models import CatalogEntry, SearchTerm

    rng = random.Random(seed + 1)
    ids = list(CatalogEntry.objects.values_list("pk", flat=True))
    bad = []
    for pk in rng.sample(ids, min(sample, len(ids))):
        entry = CatalogEntry.objects.get(pk=pk)
        stored = set(SearchTerm.objects.filter(entry_id=pk).values_list("term", flat=True))
        if stored != search.entry_terms(entry):
            bad.append(entry.code)
    if bad:
        raise BenchError(f"the bulk-built search index differs from search.entry_terms() for {bad[:5]}")
    return {"entries_checked": min(sample, len(ids)), "ok": True}


def database_size(connection) -> dict:
    with connection.cursor() as c:
        if connection.vendor == "sqlite":
            c.execute("PRAGMA page_count")
            pages = c.fetchone()[0]
            c.execute("PRAGMA page_size")
            size = pages * c.fetchone()[0]
            out = {"database_mb": round(size / 1e6)}
            try:
                c.execute("SELECT name, SUM(pgsize) FROM dbstat WHERE name LIKE 'catalog_%' OR name LIKE "
                          "'sqlite_autoindex_catalog_%' GROUP BY name")
                out["objects_mb"] = {name: round(b / 1e6, 1) for name, b in c.fetchall() if b > 1e6}
            except Exception:  # dbstat is an optional compile-time module
                pass
            return out
        c.execute("SELECT pg_database_size(current_database())")
        out = {"database_mb": round(c.fetchone()[0] / 1e6)}
        c.execute("SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c WHERE (c.relname LIKE 'catalog_%%' "
                  "OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN (SELECT oid FROM pg_class "
                  "WHERE relname LIKE 'catalog_%%'))) AND pg_relation_size(c.oid) > 1000000 ORDER BY 2 DESC")
        out["objects_mb"] = {name: round(b / 1e6, 1) for name, b in c.fetchall()}
        return out


# --- measurement (worker) -------------------------------------------------------------------------

def resolve_filters(filters: dict) -> dict:
    """Symbolic filter values ("dept:<department code>") → what search_entries takes: the
    department's code (the API's `department=` parameter)."""
    out = {}
    for field, value in filters.items():
        if isinstance(value, str) and value.startswith("dept:"):
            value = value[5:]
        out[field] = value
    return out


def like_text(queryset, q: str):
    """The baseline's text match: a plain LIKE '%word%' scan (ORM icontains) over the name, the
    summary and the data-item names (an EXISTS), every word of `q`."""
    from django.db.models import Exists, OuterRef, Q

    from dgov.catalog.models import DataItem

    for word in q.split():
        queryset = queryset.filter(Q(name__icontains=word) | Q(summary__icontains=word)
                                   | Exists(DataItem.objects.filter(entry=OuterRef("pk"), name__icontains=word)))
    return queryset


def first_page(results, count: int) -> list:
    """The first page as GET /api/v1/catalog/resources reads it (dgov/catalog/api.py): through
    `selectors.entry_page` (the page's ids, then their rows with department, classification and
    region), or with select_related where the selectors have no entry_page."""
    from dgov.catalog import selectors

    if not count:
        return []
    if hasattr(selectors, "entry_page"):
        try:
            page = selectors.entry_page(results, 0, PAGE, total=count)
        except TypeError:  # selectors of before the page knew the total
            page = selectors.entry_page(results, 0, PAGE)
    else:
        page = results.select_related("department", "classification", "region")[:PAGE]
    return [(e.code, e.name, e.department.code, e.classification.code, e.region.code) for e in page]


def run_like(q: str, filters: dict):
    """The baseline request: the LIKE scan in place of the index, and everything else as the search
    request does it (the selectors' own filters, facet GROUP BYs and count), so that the difference
    is the text match alone."""
    from dgov.catalog.models import CatalogEntry
    from dgov.catalog.selectors import apply_filters, facet_counts, facet_total
    from dgov.core.cache import ProcessCache

    ProcessCache.clear_all()  # cold, like the search requests it is compared with
    results = apply_filters(like_text(CatalogEntry.objects.all(), q), resolve_filters(filters))
    facets = facet_counts(results)
    count = facet_total(facets)
    return count, first_page(results, count), facets


def make_run_search(search_entries, *, cold: bool = True):
    """One search request, as GET /api/v1/catalog/resources?q=…&<filters>&limit=20 makes it
    (dgov/catalog/api.py): search_entries with every facet, the count from the facets, the first
    page with its department, classification and region. The queryset is every entry (the view of a
    reviewer with scope all, the widest).

    `cold`: the per-process caches are emptied first, so the request counts its facets in the
    database (as the first request after a catalog change does); otherwise (warm) facets counted
    earlier at the same catalog generation are reused, as repeated visits to the same list are."""
    from dgov.catalog.models import CatalogEntry
    from dgov.catalog.selectors import facet_total
    from dgov.core.cache import ProcessCache

    def run_search(q: str, filters: dict):
        if cold:
            ProcessCache.clear_all()
        results, facets = search_entries(CatalogEntry.objects.all(), q=q, filters=resolve_filters(filters))
        facets = {field: list(values) for field, values in facets.items()}  # evaluated, should they be lazy
        count = facet_total(facets)
        return count, first_page(results, count), facets

    return run_search


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (an observed value, never interpolated)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def stats_ms(samples: list[float]) -> dict:
    if not samples:
        return {}
    return {"n": len(samples), "p50": round(percentile(samples, 50), 2), "p95": round(percentile(samples, 95), 2),
            "max": round(max(samples), 2), "min": round(min(samples), 2), "mean": round(statistics.fmean(samples), 2)}


def statements(fn, *args, rounds: int = 3, keep_sql: int = 800) -> list[dict]:
    """The SQL statements of one call, each then run again on its own `rounds` times with every row
    fetched (Django's execute() returns before SQLite has produced the rows of a streaming plan, so
    timing execute() alone would miss most of the work): the median ms of each."""
    from django.db import connection

    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        fn(*args)
    out = []
    with connection.cursor() as c:
        for sql, params in seen:
            times = []
            for _ in range(rounds):
                t = time.perf_counter()
                c.execute(sql, params)
                c.fetchall()
                times.append((time.perf_counter() - t) * 1000)
            out.append({"label": statement_label(sql), "ms": round(statistics.median(times), 2),
                        "sql": sql if len(sql) <= keep_sql else sql[:keep_sql] + " …",
                        "params": [str(p) for p in params or ()]})
    return out


def compare(search_out, like_out, exact: bool) -> dict:
    """Check that the search answers the same question as the baseline: equal counts for a query whose
    every match must hold the term's one bigram (2 characters); for longer ones the index may also
    match entries that hold the bigrams apart, never fewer. For the exact ones the facets must be equal
    too, and the first page the same."""
    s_count, s_page, s_facets = search_out
    l_count, l_page, l_facets = like_out
    problems = []
    if exact and s_count != l_count:
        problems.append(f"count {s_count} ≠ LIKE {l_count}")
    if s_count < l_count:
        problems.append(f"count {s_count} < LIKE {l_count}: the index misses entries")
    if exact:
        for field, values in s_facets.items():
            if values != l_facets.get(field):
                problems.append(f"facet {field} differs from LIKE's")
        if s_page != l_page:
            problems.append("first page differs from LIKE's")
    total = sum(v["count"] for v in s_facets.get("department", []))
    if total != s_count:
        problems.append(f"department facet adds up to {total}, not the count {s_count}")
    return {"search_count": s_count, "like_count": l_count, "ok": not problems, "problems": problems}


def measure(run_search, repeat: int, like_repeat: int, warmup: int, run_warm=None) -> list[dict]:
    results = []
    for name, q, filters, typical, what in QUERIES:
        log(f"  {name}: warm-up")
        for _ in range(warmup):
            search_out = run_search(q, filters)
        like_out = run_like(q, filters)
        check = compare(search_out, like_out, exact=len(q) <= 2)
        search_sql = statements(run_search, q, filters)
        like_sql = statements(run_like, q, filters, rounds=1, keep_sql=200)
        log(f"  {name}: {repeat} × search, {like_repeat} × LIKE (matches {check['search_count']} / "
            f"{check['like_count']}; {len(search_sql)} / {len(like_sql)} queries)")
        stride = max(1, repeat // max(like_repeat, 1))
        s_samples, l_samples, s_cpu = [], [], []
        stat0, t0 = cpu_stat(), time.perf_counter()
        for i in range(repeat):
            c, t = time.process_time(), time.perf_counter()
            run_search(q, filters)
            s_samples.append((time.perf_counter() - t) * 1000)
            s_cpu.append((time.process_time() - c) * 1000)
            if i % stride == 0 and len(l_samples) < like_repeat:
                t = time.perf_counter()
                run_like(q, filters)
                l_samples.append((time.perf_counter() - t) * 1000)
        stat1, t1 = cpu_stat(), time.perf_counter()
        w_samples = []
        if run_warm is not None:  # the same request again at the same catalog generation (cached facets)
            run_warm(q, filters)
            for _ in range(repeat):
                t = time.perf_counter()
                run_warm(q, filters)
                w_samples.append((time.perf_counter() - t) * 1000)
        busy = busy_cpus(stat0, stat1, t1 - t0)
        s, lk = stats_ms(s_samples), stats_ms(l_samples)
        results.append({
            "name": name, "q": q, "filters": filters, "typical": typical, "what": what, "check": check,
            "search": s, "like": lk, "warm": stats_ms(w_samples), "search_samples_ms": [round(x, 2) for x in s_samples],
            "like_samples_ms": [round(x, 2) for x in l_samples],
            "speedup_p50": round(lk["p50"] / s["p50"], 1) if lk and s["p50"] else None,
            "pass": s["p95"] < TARGET_MS,
            "search_queries": len(search_sql), "like_queries": len(like_sql),
            # this process's CPU time over wall time in the search requests (SQLite runs in-process, so
            # below ~0.95 there means the CPU went elsewhere), and how many CPUs the whole machine kept busy
            "search_cpu_share": round(sum(s_cpu) / sum(s_samples), 2), "machine_busy_cpus": busy,
            "search_statements": search_sql, "like_statements": like_sql,
        })
        log(f"    search p50 {s['p50']} p95 {s['p95']} ms; LIKE p50 {lk.get('p50')} ms")
    return results


def worker(args) -> int:
    out: dict = django_setup(args.repo)
    from django.db import connection

    from dgov.catalog.models import CatalogEntry

    if connection.vendor == "postgresql":
        settings = {}
        with connection.cursor() as c:
            for name in ("shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "jit",
                         "max_parallel_workers_per_gather"):
                c.execute(f"SHOW {name}")
                settings[name] = c.fetchone()[0]
        out["settings"] = settings
    existing = CatalogEntry.objects.count()
    if existing and args.reuse:
        log(f"reusing the {existing} entries already generated")
        out["generation"] = json.loads((Path(os.environ["DGOV_DATA_DIR"]) / "bench-generation.json").read_text())
    else:
        log(f"generating {args.entries} entries ({connection.vendor})")
        out["generation"] = generate(args.entries, SEED)
        (Path(os.environ["DGOV_DATA_DIR"]) / "bench-generation.json").write_text(json.dumps(out["generation"]))
        connection.close()
        log("checking the bulk-built index against search.entry_terms()")
        out["generation"]["index_check"] = verify_index(300, SEED)
        t = time.perf_counter()
        with connection.cursor() as c:
            if connection.vendor == "postgresql":
                c.execute("VACUUM ANALYZE")
            elif args.sqlite_analyze:
                c.execute("ANALYZE")
            else:
                c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        out["generation"]["analyze"] = ("VACUUM ANALYZE" if connection.vendor == "postgresql"
                                        else "ANALYZE" if args.sqlite_analyze else "none (as dgov runs it)")
        out["generation"]["analyze_s"] = round(time.perf_counter() - t, 1)
    out["size"] = database_size(connection)
    out["code"] = {name: file_digest(args.repo / "dgov" / "catalog" / name)
                   for name in ("selectors.py", "search.py", "models.py")}
    try:
        from dgov.catalog.selectors import search_entries
    except ImportError as exc:
        out["error"] = f"dgov.catalog.selectors.search_entries is missing ({exc})"
        log(out["error"])
        Path(args.out).write_text(json.dumps(out, ensure_ascii=False))
        return 2
    tuning = [f"PRAGMA {p}" for p in args.sqlite_pragma] if connection.vendor == "sqlite" else [
        f"SET {name.strip()} = '{value.strip()}'" for name, _, value in (p.partition("=") for p in args.pg_set)]
    if tuning:
        from django.db.backends.signals import connection_created

        def tune(sender, connection, **kwargs):
            with connection.cursor() as c:
                for statement in tuning:
                    c.execute(statement)

        connection_created.connect(tune, weak=False)
        out["connection_tuning"] = tuning
        log(f"on every connection (not dgov's settings): {'; '.join(tuning)}")
    connection.close()
    log(f"measuring ({args.repeat} × search, {args.like_repeat} × LIKE per query)")
    out["queries"] = measure(make_run_search(search_entries), args.repeat, args.like_repeat, args.warmup,
                             run_warm=make_run_search(search_entries, cold=False))
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False))
    return 0


# --- the run (orchestrator) -----------------------------------------------------------------------

def machine_info(python: Path) -> dict:
    python_version, django = venv_versions(python, "django")
    return {"cpu_model": cpu_model(), "nproc": os.cpu_count(), "cpus_usable": cpus_usable(),
            "memory_gb": memory_gb(kib_per_gb=1e6), "kernel": platform.release(), "python": python_version,
            "django": django, "loadavg_before": loadavg()}


def run_database(db: str, args, repo: Path) -> dict:
    python = repo / ".venv" / "bin" / "python"
    keep_dir = args.workdir is not None
    workdir = (args.workdir / db) if keep_dir else Path(tempfile.mkdtemp(prefix=f"dgov-bench-catalog-{db}-"))
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / "data"
    reuse = keep_dir and (data / "bench-generation.json").exists()
    env = worker_env(data, args.postgres_url if db == "postgresql" else None)
    started = datetime.now(UTC)
    try:
        if not reuse and db == "postgresql":
            log(f"re-creating the PostgreSQL database {pg_database(args.postgres_url)}")
            pg_recreate(args.postgres_url, create=True)
        # Reusing data: init again all the same, to apply migrations added since it was generated.
        log(f"{db}: data directory {data}; dgov init --no-static (migrations, reference data)")
        run_cmd([str(repo / ".venv" / "bin" / "dgov"), "init", "--no-static"], env, workdir / "setup.log",
                stdout_to_log=True)
        out_file = workdir / "worker.json"
        cmd = [str(python), str(Path(__file__).resolve()), "--worker", "--repo", str(repo), "--out", str(out_file),
               "--entries", str(args.entries), "--repeat", str(args.repeat), "--like-repeat", str(args.like_repeat),
               "--warmup", str(args.warmup)]
        if args.sqlite_analyze:
            cmd.append("--sqlite-analyze")
        for option in ("sqlite_pragma", "pg_set"):
            for value in getattr(args, option):
                cmd += [f"--{option.replace('_', '-')}", value]
        if reuse:
            cmd.append("--reuse")
        return run_worker(cmd, env, out_file, db=db, started=started)
    finally:
        if not keep_dir and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
            if db == "postgresql":
                try:
                    pg_recreate(args.postgres_url, create=False)
                except Exception as exc:  # noqa: BLE001  (report and go on: the figures are what matters)
                    log(f"could not drop {pg_database(args.postgres_url)}: {exc}")
        else:
            also = f" and the database {pg_database(args.postgres_url)}" if db == "postgresql" else ""
            log(f"kept {workdir}{also}")


def summarise(result: dict) -> dict:
    queries = result.get("queries", [])
    typical = [q for q in queries if q["typical"]]
    pooled = [x for q in typical for x in q["search_samples_ms"]]
    pooled_like = [x for q in typical for x in q["like_samples_ms"]]
    failed = [q["name"] for q in typical if not q["pass"]]
    checks = [f"{q['name']}: {'; '.join(q['check']['problems'])}" for q in queries if not q["check"]["ok"]]
    def pct(values, p):
        return round(percentile(values, p), 2) if values else None

    return {"typical_queries": len(typical), "search_p95_all_typical": pct(pooled, 95),
            "search_p50_all_typical": pct(pooled, 50), "like_p95_all_typical": pct(pooled_like, 95),
            "worst_typical_p95": max((q["search"]["p95"] for q in typical), default=None),
            "failed": failed, "check_problems": checks, "met": bool(typical) and not failed and not checks}


def statement_label(sql: str) -> str:
    """A short name for a SQL statement of a search request."""
    def columns(text):
        return [c.split(" AS ")[0].split(".")[-1].strip('" ')
                for c in text.split(" FROM ", 1)[0].replace("SELECT", "", 1).split(",")]

    if "GROUPING SETS" in sql:
        return "facets in one pass (GROUPING SETS)"
    if sql.startswith("WITH "):
        return "facets in one pass (CTE + GROUP BYs)"
    if "group_concat(" in sql:
        return "facets in one pass (group_concat over the covering index)"
    if "GROUP BY" in sql and "COUNT(" in sql:
        return "facet GROUP BY " + ", ".join(c for c in columns(sql) if "COUNT(" not in c)
    table = sql.split(" FROM ", 1)[1].split()[0].strip('"') if " FROM " in sql else "?"
    if "LIMIT" in sql and table == "catalog_catalogentry":
        return "page: ids" if len(columns(sql)) == 1 else "page"
    if table == "catalog_catalogentry" and "INNER JOIN" in sql:
        return "page: rows"
    if table in ("orgs_department", "orgs_region", "catalog_classification") and "COUNT(" not in sql:
        return f"names from {table}"
    return f"{table}: {sql[:60]}…"


def markdown(report: dict) -> str:
    m = report["machine"]
    out = [f"# dgov catalog search benchmark, {report['started']}", "",
           f"{num(report['entries'])} generated entries per database; per query {report['repeat']} timed search "
           f"requests and {report['like_repeat']} LIKE-baseline requests, interleaved, after {report['warmup']} "
           "untimed search requests. A request is what GET /api/v1/catalog/resources?q=…&limit=20 does: "
           "`search_entries` with all 8 facets, the count from the facets, the first page of 20 (search); or the "
           "same with `icontains` over name, summary and item names in place of the index (LIKE; filters, facet "
           "GROUP BYs, count and page are the selectors' own). Search figures are cold: the process caches are "
           "emptied before each request, so every request counts its facets in the database (the PASS/FAIL column "
           "judges these); warm: the same request repeated at the same catalog generation, facets from the process "
           "cache, as repeated visits get them. In process, no HTTP. Wall-clock ms, nearest-rank "
           "percentiles. "
           f"Target: search p95 < {TARGET_MS:.0f} ms for each typical query. CPU share: this process's CPU time ÷ "
           "wall time over the search requests (SQLite runs inside it, so below ~0.95 the CPU went to other "
           "processes; PostgreSQL works in its own server process, so the share is lower by nature). Machine "
           f"busy: CPUs kept busy by everything on the machine meanwhile (of {report['machine']['nproc']}).", ""]
    for db, result in report["databases"].items():
        if "error" in result:
            out += [f"## {db}", "", f"**Not measured:** {result['error']}", ""]
            continue
        g, s = result["generation"], result["summary"]
        version = result["version"] + (f" ({', '.join(f'{k}={v}' for k, v in result['settings'].items())})"
                                       if result.get("settings") else "")
        tuned = (f"Measured with, on every connection (a tuning trial, not dgov's settings): "
                 f"`{'; '.join(result['connection_tuning'])}`." if result.get("connection_tuning") else "")
        out += [f"## {db} {version}", "", *([tuned, ""] if tuned else []),
                "| query | matches (search / LIKE) | search p50 | p95 | max | SQL queries | LIKE p50 | LIKE p95 | "
                "speedup (p50) | p95 < 100 ms | warm p50 | warm p95 | CPU share | machine busy |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|"]
        for q in result["queries"]:
            verdict = ("PASS" if q["pass"] else "FAIL") if q["typical"] else ("(pass)" if q["pass"] else "(fail)")
            check = "" if q["check"]["ok"] else " ⚠"
            speedup = f"{q['speedup_p50']}×" if q["q"] else f"{q['speedup_p50']}× (no text: same SQL)"
            out.append(f"| {q['name']} | {num(q['check']['search_count'])} / {num(q['check']['like_count'])}{check} | "
                       f"{figure(q['search']['p50'])} | {figure(q['search']['p95'])} | {figure(q['search']['max'])} | "
                       f"{q['search_queries']} | {figure(q['like'].get('p50'))} | {figure(q['like'].get('p95'))} | "
                       f"{speedup} | {verdict} | {figure(q.get('warm', {}).get('p50'))} | "
                       f"{figure(q.get('warm', {}).get('p95'))} | "
                       f"{q['search_cpu_share']} | {q['machine_busy_cpus']} |")
        verdict = "Target met" if s["met"] else "Target missed"
        out += ["", f"All {s['typical_queries']} typical queries pooled: search p50 "
                f"{figure(s['search_p50_all_typical'])} ms, p95 {figure(s['search_p95_all_typical'])} ms (LIKE p95 "
                f"{figure(s['like_p95_all_typical'])} ms); worst per-query p95 {figure(s['worst_typical_p95'])} ms. "
                f"**{verdict}**"
                + (f": {', '.join(s['failed'])} over {TARGET_MS:.0f} ms" if s["failed"] else "")
                + (f"; check problems: {'; '.join(s['check_problems'])}" if s["check_problems"] else "") + ".", ""]
        size, load = result["size"], g["search_index_load"]
        objects = ", ".join(f"{k} {num(v)} MB" for k, v in size.get("objects_mb", {}).items())
        out += [f"Data: {num(g['entries'])} entries, {num(g['items'])} data items, {num(g['search_terms'])} "
                f"search-index rows ({num(g['distinct_terms'])} distinct terms); database {num(size['database_mb'])} MB"
                f" ({objects}). Generated in {g['generate_s']:.0f} s (entries and items {g['entries_items_s']:.0f} s, "
                f"index insert {load['insert_s']:.0f} s + re-index {load['reindex_s']:.0f} s); statistics: "
                f"{g.get('analyze', '?')}; bulk-built index checked against search.entry_terms() for "
                f"{g.get('index_check', {}).get('entries_checked', '?')} entries.",
                "", "Share of entries holding a term: " + ", ".join(
                    f"{t} {v * 100:.1f} %" for t, v in g["share_of_entries_holding"].items()), ""]
        out += ["Slowest SQL statements of one search request (each run again alone, all rows fetched; median of "
                "3, ms):", ""]
        for q in result["queries"]:
            top = sorted(q["search_statements"], key=lambda st: -st["ms"])[:3]
            total = sum(st["ms"] for st in q["search_statements"])
            out.append(f"- {q['name']}: all {len(q['search_statements'])} statements {total:.1f} ms; "
                       + ", ".join(f"{st.get('label') or statement_label(st['sql'])} {st['ms']}" for st in top))
        out.append("")
    out += ["## Machine", "",
            f"- {m['cpu_model']}, {m['nproc']} CPUs ({m['cpus_usable']} usable), {m['memory_gb']} GB; kernel "
            f"{m['kernel']}; Python {m['python']}, Django {m['django']}",
            f"- load average before {m['loadavg_before']}, after {m.get('loadavg_after')}",
            "- dgov/catalog code measured (sha256, first 16 hex digits): " + "; ".join(
                f"{db} {r.get('code')}" for db, r in report["databases"].items()), ""]
    return "\n".join(out) + "\n"


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/catalog/run", description=__doc__.split("\n\n")[0])
    p.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[2], help=argparse.SUPPRESS)
    p.add_argument("--entries", type=int, default=100_000, help="catalog entries to generate (default 100000)")
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both", help="default both")
    p.add_argument("--postgres-url", default=os.environ.get("BENCH_CATALOG_POSTGRES_URL", DEFAULT_PG_URL),
                   help=f"the benchmark's own database, dropped and re-created (default {DEFAULT_PG_URL})")
    p.add_argument("--repeat", type=int, default=50, help="timed search requests per query (default 50)")
    p.add_argument("--like-repeat", type=int, default=10, help="timed LIKE-baseline requests per query (default 10)")
    p.add_argument("--warmup", type=int, default=2, help="untimed search requests per query first (default 2)")
    p.add_argument("--sqlite-analyze", action="store_true", help="run ANALYZE on SQLite after loading (dgov does not)")
    p.add_argument("--sqlite-pragma", action="append", default=[], metavar="NAME=VALUE",
                   help="measure with this PRAGMA on every SQLite connection (a tuning trial, not dgov's settings)")
    p.add_argument("--pg-set", action="append", default=[], metavar="NAME=VALUE",
                   help="measure with this setting on every PostgreSQL connection (a tuning trial)")
    p.add_argument("--results", type=Path, help="output directory (default bench/catalog/results)")
    p.add_argument("--keep", action="store_true", help="keep the data directories and the PostgreSQL database")
    p.add_argument("--workdir", type=Path, help="use (and keep) this directory; a later run with the same one "
                                                "re-measures the data generated there instead of generating again")
    # worker mode (one database, in the environment the orchestrator sets)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--reuse", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.entries < 100 or args.repeat < 1 or args.like_repeat < 1 or args.warmup < 1:
        p.error("--entries must be at least 100, --repeat, --like-repeat and --warmup at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    repo = args.repo.resolve()
    if args.worker:
        try:
            return worker(args)
        except BenchError as exc:
            log(f"FAILED: {exc}")
            return 2
    if args.workdir:
        args.workdir = args.workdir.resolve()
    results_dir = (args.results or repo / "bench" / "catalog" / "results").resolve()
    started = datetime.now(UTC)
    machine = machine_info(repo / ".venv" / "bin" / "python")
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    report = {"benchmark": "dgov catalog search (bigram index + facets) vs LIKE scan",
              "started": started.strftime("%Y-%m-%d %H:%M:%S UTC"), "entries": args.entries, "repeat": args.repeat,
              "like_repeat": args.like_repeat, "warmup": args.warmup, "target_p95_ms": TARGET_MS, "page": PAGE,
              "percentiles": "nearest rank", "seed": SEED, "machine": machine,
              "queries": [{"name": n, "q": q, "filters": f, "typical": t, "what": w} for n, q, f, t, w in QUERIES],
              "databases": {}}
    failed_run = False
    try:
        if "postgresql" in databases:
            pg_database(args.postgres_url)
        for db in databases:
            result = run_database(db, args, repo)
            if "error" not in result:
                result["summary"] = summarise(result)
            else:
                failed_run = True
            report["code"] = result.get("code")
            report["databases"][db] = result
    except BenchError as exc:
        log(f"FAILED: {exc}")
        return 2
    machine["loadavg_after"] = loadavg()
    md = markdown(report)
    sys.stdout.write(md)
    stamp = started.strftime("%Y-%m-%dT%H%M%SZ")
    write_results(results_dir, stamp, report, md, indent=1)
    log(f"results written to {results_dir}/{stamp}.{{json,md}} and latest.json")
    if failed_run:
        return 2
    return 0 if all(r["summary"]["met"] for r in report["databases"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
