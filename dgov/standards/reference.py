"""The standards' reference data (`dgov init`): the code sets the platform needs (see data/README.md for
their sources) and the built-in released data elements of the platform's common fields. Idempotent: a
second run creates nothing; `update=True` resets shipped rows that differ from the files."""

import csv
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from dgov.core import audit
from dgov.orgs.services import REGIONS_FILE
from dgov.policies.industry import DATA_FILE as INDUSTRIES_FILE
from dgov.standards.models import CodeSet, CodeValue, DataElement, ElementEvent, ElementStatus

DATA_DIR = Path(__file__).resolve().parent / "data"

SEX = "GB/T 2261.1-2003"
REGION = "GB/T 2260"
INDUSTRY = "GB/T 4754-2017"
DIBAO_CATEGORY = "YT-DBBZLB"


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def sex_values() -> list[tuple[str, str, str]]:
    return [(r["code"], r["name"], "") for r in _read(DATA_DIR / "sex-gbt2261.1-2003.csv")]


def region_values() -> list[tuple[str, str, str]]:
    """The GB/T 2260 subset: province, city and county rows of the NBS 2023 file, as 6-digit codes."""
    out = []
    for row in _read(REGIONS_FILE):
        if row["level"] in ("province", "city", "county"):
            parent = row["parent_code"][:6] if row["parent_code"] else ""
            out.append((row["code"][:6], row["name"], parent))
    return out


def industry_values() -> list[tuple[str, str, str]]:
    rows = _read(INDUSTRIES_FILE)
    known = {r["code"] for r in rows}
    out = []
    for row in rows:
        code = row["code"]
        parent = ""
        candidate = code
        while len(candidate) > 1:
            candidate = candidate[0] if len(candidate) <= 3 else candidate[:-1]
            if candidate in known:
                parent = candidate
                break
        out.append((code, row["name"], parent))
    return out


def dibao_values() -> list[tuple[str, str, str]]:
    return [(r["code"], r["name"], "") for r in _read(DATA_DIR / "dibao-categories-yingtan.csv")]


#: code, name, standard, version, source, description, values
CODE_SETS = [
    (SEX, "人的性别代码", "GB/T 2261.1", "2003",
     "GB/T 2261.1-2003《个人基本信息分类与代码 第1部分：人的性别代码》; dgov/standards/data/sex-gbt2261.1-2003.csv",
     "", sex_values),
    (REGION, "中华人民共和国行政区划代码（江西省、各设区市及鹰潭市所辖县级）", "GB/T 2260", "2023",
     "GB/T 2260 six-digit codes from the NBS 2023 division list (dgov/orgs/data/regions-nbs2023.csv)",
     "子集：江西省、11 个设区市、鹰潭市所辖 3 个县级行政区。", region_values),
    (INDUSTRY, "国民经济行业分类", "GB/T 4754", "2017",
     "GB/T 4754-2017 (amendment No. 1, 2019); dgov/policies/data/industries.csv",
     "子集：全部 20 个门类和平台政策用到的大类、中类、小类。", industry_values),
    (DIBAO_CATEGORY, "最低生活保障保障类别（鹰潭本地）", "", "2024",
     "鹰潭市本地代码集（非国家标准）; dgov/standards/data/dibao-categories-yingtan.csv",
     "本地代码集：余江区民政局低保信息系统记录的保障类别。", dibao_values),
]

ID_PATTERN = r"^[1-9][0-9]{5}(18|19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9X]$"
CREDIT_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
PHONE_PATTERN = r"^(1[3-9][0-9]{9}|0[1-9][0-9]{1,2}-?[0-9]{7,8})$"

#: identifier → fields of the built-in element (version 1, released)
ELEMENTS = {
    "DE0001": dict(name="公民身份号码", english_name="citizen identity number", data_type="string", max_length=18,
                   format="c18", pattern=ID_PATTERN, check_digit="id_number", personal=True,
                   definition="赋码机关为每个公民给出的唯一的、终身不变的法定号码（GB 11643-1999），末位为校验码。"),
    "DE0002": dict(name="统一社会信用代码", english_name="unified social credit code", data_type="string",
                   max_length=18, format="c18", pattern=CREDIT_PATTERN, check_digit="credit_code",
                   definition="按照 GB 32100-2015 为法人和其他组织赋予的唯一的、终身不变的身份识别代码，"
                              "末位为校验码。"),
    "DE0003": dict(name="性别代码", english_name="sex code", data_type="string", max_length=1, format="n1",
                   code_set=SEX, definition="人的性别的代码，采用 GB/T 2261.1-2003。"),
    "DE0004": dict(name="行政区划代码", english_name="administrative division code", data_type="string",
                   max_length=6, format="n6", pattern=r"^[0-9]{6}$", code_set=REGION,
                   definition="县级及县级以上行政区划的代码，采用 GB/T 2260。"),
    "DE0005": dict(name="行业代码", english_name="industry code", data_type="string", max_length=5,
                   format="a1n..4", pattern=r"^[A-T]([0-9]{2,4})?$", code_set=INDUSTRY,
                   definition="国民经济行业分类的代码（门类字母加大类、中类或小类数字），采用 GB/T 4754-2017。"),
    "DE0006": dict(name="姓名", english_name="name", data_type="string", max_length=50, format="c..50",
                   personal=True, definition="在户籍管理部门正式登记注册、人事档案中正式记载的姓氏名称。"),
    "DE0007": dict(name="联系电话", english_name="contact telephone number", data_type="string", max_length=20,
                   format="n..20", pattern=PHONE_PATTERN, personal=True,
                   definition="联系人的电话号码：大陆手机号码（11 位）或带区号的固定电话号码。"),
    "DE0008": dict(name="出生日期", english_name="date of birth", data_type="date", format="YYYYMMDD",
                   personal=True, definition="个人出生当日的公历日期。"),
    "DE0009": dict(name="登记日期", english_name="registration date", data_type="date", format="YYYYMMDD",
                   definition="事项在登记机关登记的公历日期。"),
    "DE0010": dict(name="更新时间", english_name="update time", data_type="datetime", format="YYYYMMDDhhmmss",
                   definition="记录最后一次被修改的日期和时间。"),
    "DE0011": dict(name="居住地址", english_name="residential address", data_type="string", max_length=200,
                   format="c..200", personal=True, definition="个人实际居住地的详细地址。"),
    "DE0012": dict(name="月保障金额", english_name="monthly allowance", data_type="decimal", max_length=10,
                   format="n..10,2", unit="元", definition="按月发放的最低生活保障金额。"),
    "DE0013": dict(name="最低生活保障保障类别", english_name="minimum living allowance category",
                   data_type="string", max_length=20, code_set=DIBAO_CATEGORY,
                   definition="最低生活保障对象的保障类别（城市低保或农村低保），采用鹰潭市本地代码集。"),
}


def load_code_sets(*, update: bool = False) -> int:
    """Create the shipped code sets and values that are missing (with `update`, reset changed ones).
    Returns the number of code sets created or changed."""
    changed = 0
    for code, name, standard, version, source, description, values in CODE_SETS:
        with transaction.atomic():
            fields = {"name": name, "standard": standard, "version": version, "source": source,
                      "description": description, "is_builtin": True}
            code_set = CodeSet.objects.filter(code=code).first()
            touched = False
            if code_set is None:
                code_set = CodeSet.objects.create(code=code, **fields)
                touched = True
            elif update and any(getattr(code_set, k) != v for k, v in fields.items()):
                for k, v in fields.items():
                    setattr(code_set, k, v)
                code_set.save()
                touched = True
            existing = {v.code: v for v in code_set.values.all()}
            new = []
            for position, (value, label, parent) in enumerate(values(), 1):
                row = existing.get(value)
                if row is None:
                    new.append(CodeValue(code_set=code_set, code=value, name=label, parent_code=parent,
                                         position=position))
                elif update and (row.name, row.parent_code, row.position) != (label, parent, position):
                    row.name, row.parent_code, row.position = label, parent, position
                    row.save()
                    touched = True
            if new:
                CodeValue.objects.bulk_create(new)
                touched = True
            if touched:
                changed += 1
                audit.record("standards.codeset.load", code_set,
                             changes={"values": code_set.values.count(), "added": len(new)})
    return changed


def load_elements(*, update: bool = False) -> int:
    """Create the built-in released elements that are missing (version 1). Returns how many were
    created or changed."""
    changed = 0
    code_sets = {c.code: c for c in CodeSet.objects.filter(code__in=[s[0] for s in CODE_SETS])}
    now = timezone.now()
    for identifier, spec in ELEMENTS.items():
        fields = {**spec, "code_set": code_sets.get(spec["code_set"]) if spec.get("code_set") else None,
                  "is_builtin": True}
        with transaction.atomic():
            element = DataElement.objects.filter(identifier=identifier, version=1).first()
            if element is None:
                element = DataElement.objects.create(identifier=identifier, version=1, status=ElementStatus.RELEASED,
                                                     released_at=now, reviewed_at=now, **fields)
                ElementEvent.objects.create(element=element, action="load", to_status=ElementStatus.RELEASED,
                                            note="reference data")
            elif update and element.is_builtin and any(getattr(element, k) != v for k, v in fields.items()):
                for k, v in fields.items():
                    setattr(element, k, v)
                element.save()
            else:
                continue
            changed += 1
            audit.record("standards.dataelement.load", element, changes={"identifier": identifier})
    return changed
