"""Bulk import of catalog entries from a spreadsheet (.xlsx or .csv), one row per entry, with the
column headers of 《政务信息资源目录编制指南(试行)》 in Chinese (`COLUMNS`).

Every row is validated completely first, in memory against preloaded departments,
classifications, resource codes and the negative list: the result names every problem of every
row by its spreadsheet row number and column header. Only when every row passes are the entries
written, in one transaction, each through `services.entry_save` (versions, audit, search index,
the negative-list check and the actor's scope all apply). A dry run validates only and writes
nothing.

Two modes: "create" (the default) makes a new entry of every row; "upsert" (the yearly census,
`dgov.census`) updates the entry a row names by its resource code and creates the rows without
one. An upsert row identical to its stored entry is counted as confirmed ("unchanged") and not
written; a changed one goes through `entry_save` as a new version (only drafts can change, as
everywhere). `department=` restricts a file to one department's entries. `template_xlsx(entries)`
writes the template pre-filled with existing entries, every column as the importer reads it back.

Choice columns take the Chinese labels (无条件共享, 电子表格, 每月, …), the English labels or the
codes (unconditional, spreadsheet, monthly, …).

信息项 (data items), one cell: items separated by ";" (or "；" or a line break), each item

    名称:类型[:长度][:个人信息分类][:共享属性][:开放属性][:数据元=标识][:说明=文字]

- 名称 and 类型 come first and in this order; the other parts are optional, in any order, and are
  told apart by their content. ":" may be written "：".
- 类型: string integer decimal date datetime boolean binary, or 字符串 整数 小数 日期 日期时间 布尔 二进制
  (also 字符型 整型 数值型 日期型 …).
- 长度: a positive whole number.
- 个人信息分类: none personal sensitive, or 无 个人信息 敏感个人信息 (also 个人, 敏感).
- 共享属性 / 开放属性 of the single item, when it is restricted more than the resource:
  无条件共享 有条件共享 不予共享 / 无条件开放 有条件开放 不予开放. Left out: as the resource.
- 数据元=DE0001 names the data element the item follows; 说明=… describes it (no ";" or ":").

Example: `姓名:string:50:personal; 身份证号:string:18:sensitive:不予共享:不予开放; 登记日期:date`
"""

import datetime as dt
import functools
import io
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from dgov.catalog import services
from dgov.catalog.models import (
    RESOURCE_CODE_RE,
    CatalogEntry,
    Classification,
    DataItem,
    NegativeListItem,
    OpenType,
    PersonalDataClass,
    ResourceFormat,
    SharingMethod,
    SharingType,
    Status,
    UpdateCycle,
)
from dgov.core import audit
from dgov.core.errors import DgovError, PermissionDenied
from dgov.core.importexport import ImportFileError, read_rows, read_upload, safe_cell
from dgov.core.permissions import has_permission, resolver
from dgov.orgs.models import Department

CREATE, UPSERT = "create", "upsert"  # import modes
MODES = (CREATE, UPSERT)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False


#: The import columns, in template order. Headers are the guide's field names (data, not UI text).
COLUMNS = [
    Column("code", "资源代码"),
    Column("name", "资源名称", True),
    Column("classification", "分类代码", True),
    Column("department", "提供方部门代码", True),
    Column("summary", "摘要", True),
    Column("format", "资源格式", True),
    Column("sharing_type", "共享类型", True),
    Column("sharing_conditions", "共享条件"),
    Column("sharing_method", "共享方式"),
    Column("open_type", "开放类型", True),
    Column("open_conditions", "开放条件"),
    Column("update_cycle", "更新周期", True),
    Column("published_on", "发布日期"),
    Column("data_updated_on", "数据更新日期"),
    Column("related_codes", "关联资源代码"),
    Column("source_system", "来源系统"),
    Column("record_count", "记录数"),
    Column("items", "信息项", True),
]
HEADER = {c.key: c.header for c in COLUMNS}
_ORDER = {c.header: n for n, c in enumerate(COLUMNS)}

# Chinese words accepted beside the codes and the labels (the labels are English msgids, so the
# words a Chinese spreadsheet uses are listed here).
CHINESE_WORDS = {
    "format": {
        "电子表格": ResourceFormat.SPREADSHEET, "表格": ResourceFormat.SPREADSHEET,
        "数据库": ResourceFormat.DATABASE, "数据库表": ResourceFormat.DATABASE,
        "电子文件": ResourceFormat.DOCUMENT, "电子文档": ResourceFormat.DOCUMENT, "文档": ResourceFormat.DOCUMENT,
        "图形图像": ResourceFormat.IMAGE, "图像": ResourceFormat.IMAGE,
        "流媒体": ResourceFormat.STREAMING, "自描述格式": ResourceFormat.SELF_DESCRIBING,
        "其他": ResourceFormat.OTHER,
    },
    "sharing_type": {
        "无条件共享": SharingType.UNCONDITIONAL, "有条件共享": SharingType.CONDITIONAL, "不予共享": SharingType.NONE,
        "无条件": SharingType.UNCONDITIONAL, "有条件": SharingType.CONDITIONAL, "不予": SharingType.NONE,
    },
    "sharing_method": {
        "接口": SharingMethod.API, "服务接口": SharingMethod.API, "api接口": SharingMethod.API,
        "文件": SharingMethod.FILE, "文件下载": SharingMethod.FILE,
        "数据库": SharingMethod.DATABASE, "库表": SharingMethod.DATABASE, "数据库交换": SharingMethod.DATABASE,
    },
    "open_type": {
        "无条件开放": OpenType.UNCONDITIONAL, "有条件开放": OpenType.CONDITIONAL, "不予开放": OpenType.NONE,
        "无条件": OpenType.UNCONDITIONAL, "有条件": OpenType.CONDITIONAL, "不予": OpenType.NONE,
    },
    "update_cycle": {
        "实时": UpdateCycle.REALTIME, "每日": UpdateCycle.DAILY, "每天": UpdateCycle.DAILY,
        "每周": UpdateCycle.WEEKLY, "每月": UpdateCycle.MONTHLY, "每季度": UpdateCycle.QUARTERLY,
        "每季": UpdateCycle.QUARTERLY, "每半年": UpdateCycle.HALF_YEARLY, "半年": UpdateCycle.HALF_YEARLY,
        "每年": UpdateCycle.YEARLY, "每年度": UpdateCycle.YEARLY, "不定期": UpdateCycle.IRREGULAR,
    },
    "data_type": {
        "字符串": DataItem.DataType.STRING, "字符型": DataItem.DataType.STRING, "文本": DataItem.DataType.STRING,
        "整数": DataItem.DataType.INTEGER, "整型": DataItem.DataType.INTEGER,
        "小数": DataItem.DataType.DECIMAL, "数值": DataItem.DataType.DECIMAL, "数值型": DataItem.DataType.DECIMAL,
        "日期": DataItem.DataType.DATE, "日期型": DataItem.DataType.DATE,
        "日期时间": DataItem.DataType.DATETIME, "日期时间型": DataItem.DataType.DATETIME,
        "布尔": DataItem.DataType.BOOLEAN, "布尔型": DataItem.DataType.BOOLEAN,
        "二进制": DataItem.DataType.BINARY,
    },
    "personal_data": {
        "无": PersonalDataClass.NONE, "否": PersonalDataClass.NONE, "非个人信息": PersonalDataClass.NONE,
        "个人信息": PersonalDataClass.PERSONAL, "个人": PersonalDataClass.PERSONAL,
        "敏感个人信息": PersonalDataClass.SENSITIVE, "敏感": PersonalDataClass.SENSITIVE,
    },
}
_CHOICES = {
    "format": ResourceFormat, "sharing_type": SharingType, "sharing_method": SharingMethod,
    "open_type": OpenType, "update_cycle": UpdateCycle, "data_type": DataItem.DataType,
    "personal_data": PersonalDataClass,
}
# Inside a 信息项 cell only the unambiguous words name an item's sharing and open attribute.
_ITEM_SHARING = {"无条件共享": SharingType.UNCONDITIONAL, "有条件共享": SharingType.CONDITIONAL,
                 "不予共享": SharingType.NONE}
_ITEM_OPEN = {"无条件开放": OpenType.UNCONDITIONAL, "有条件开放": OpenType.CONDITIONAL, "不予开放": OpenType.NONE}
_ITEM_SEP = re.compile(r"[;；\n\r]+")
_PART_SEP = re.compile(r"[:：]")
_LIST_SEP = re.compile(r"[;；,，、\s]+")
_CODE = re.compile(RESOURCE_CODE_RE)
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[T ][0-9:.]+)?$")


@functools.cache
def _words(kind: str) -> dict[str, str]:
    """Cell text (lower-cased) → choice value: codes, labels in every UI language, Chinese words.
    (Read-only: shared by every caller.)"""
    choices = _CHOICES[kind]
    words = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            words.update({str(label).lower(): value for value, label in choices.choices})
    words.update({value.lower(): value for value in choices.values})
    words.update({k.lower(): v for k, v in CHINESE_WORDS[kind].items()})
    return words


def _header_aliases() -> dict[str, str]:
    """Accepted header text → column key: the Chinese header and the key itself."""
    aliases = {}
    for column in COLUMNS:
        aliases[column.header] = column.key
        aliases[column.key] = column.key
    return aliases


def _clean_header(text: str) -> str:
    """Headers may carry a required-field mark (资源名称*, *资源名称, 资源名称（必填）)."""
    text = re.sub(r"[（(]\s*(必填|选填)\s*[)）]", "", text or "")
    return text.strip().strip("*＊").strip()


# --- data items ---------------------------------------------------------------------------------
def parse_items(text: str) -> tuple[list[dict], list[str]]:
    """The 信息项 cell → (items as `DataItem` field dicts, messages for what could not be read)."""
    items, errors = [], []
    types, classes = _words("data_type"), _words("personal_data")
    for chunk in (c.strip() for c in _ITEM_SEP.split(text or "")):
        if not chunk:
            continue
        position = len(items) + 1
        parts = [p.strip() for p in _PART_SEP.split(chunk)]
        name = parts[0]
        if len(parts) < 2 or not name or not parts[1]:
            errors.append(_("Item %(n)d (“%(item)s”): write at least a name and a type, e.g. 姓名:string:50.")
                          % {"n": position, "item": chunk})
            items.append({"name": name, "data_type": ""})
            continue
        item = {"name": name, "data_type": "", "length": None, "personal_data": PersonalDataClass.NONE,
                "sharing_type": "", "open_type": "", "data_element": "", "description": ""}
        data_type = types.get(parts[1].lower())
        if data_type is None:
            errors.append(_("Item %(n)d (“%(item)s”): unknown data type “%(value)s”.")
                          % {"n": position, "item": name, "value": parts[1]})
        else:
            item["data_type"] = data_type
        seen = set()
        for part in parts[2:]:
            if not part:
                continue
            key_value = re.split(r"[=＝]", part, maxsplit=1)
            if len(key_value) == 2 and key_value[0].strip().lower() in ("数据元", "de", "data_element"):
                slot, value = "data_element", key_value[1].strip()
            elif len(key_value) == 2 and key_value[0].strip().lower() in ("说明", "描述", "desc", "description"):
                slot, value = "description", key_value[1].strip()
            elif part.isdigit():
                slot, value = "length", int(part)
                if value < 1:
                    errors.append(_("Item %(n)d (“%(item)s”): the length must be a positive whole number.")
                                  % {"n": position, "item": name})
            elif part.lower() in classes:
                slot, value = "personal_data", classes[part.lower()]
            elif part in _ITEM_SHARING:
                slot, value = "sharing_type", _ITEM_SHARING[part]
            elif part in _ITEM_OPEN:
                slot, value = "open_type", _ITEM_OPEN[part]
            else:
                errors.append(_("Item %(n)d (“%(item)s”): “%(value)s” is neither a length, a personal-data "
                                "class, a sharing or open attribute, 数据元= nor 说明=.")
                              % {"n": position, "item": name, "value": part})
                continue
            if slot in seen:
                errors.append(_("Item %(n)d (“%(item)s”): “%(value)s” gives the %(what)s a second time.")
                              % {"n": position, "item": name, "value": part,
                                 "what": DataItem._meta.get_field(slot).verbose_name})
                continue
            seen.add(slot)
            item[slot] = value
        items.append(item)
    return items, errors


def format_items(items) -> str:
    """Data items (dicts or `DataItem`s) in the 信息项 cell format: the inverse of `parse_items`."""
    personal = {PersonalDataClass.PERSONAL: "个人信息", PersonalDataClass.SENSITIVE: "敏感个人信息"}
    sharing = {v: k for k, v in _ITEM_SHARING.items()}
    opening = {v: k for k, v in _ITEM_OPEN.items()}
    out = []
    for item in items:
        get = item.get if isinstance(item, dict) else (lambda name, item=item: getattr(item, name, None))
        parts = [get("name"), get("data_type")]
        if get("length"):
            parts.append(str(get("length")))
        if get("personal_data") in personal:
            parts.append(personal[get("personal_data")])
        if get("sharing_type"):
            parts.append(sharing[get("sharing_type")])
        if get("open_type"):
            parts.append(opening[get("open_type")])
        if get("data_element"):
            parts.append(f"数据元={get('data_element')}")
        if get("description"):
            parts.append(f"说明={get('description')}")
        out.append(":".join(parts))
    return "; ".join(out)


# --- rows ---------------------------------------------------------------------------------------
@dataclass
class _Row:
    number: int
    values: dict[str, str]
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column key, message)
    fields: dict = field(default_factory=dict)
    items: list[dict] = field(default_factory=list)
    target: CatalogEntry | None = None  # upsert: the stored entry the row's code names
    unchanged: bool = False  # upsert: the row says what the stored entry already holds
    generated: bool = False  # the code was generated (and is drawn again when written)

    def error(self, key: str, message: str) -> None:
        self.errors.append((key, str(message)))


def _parse_date(text: str) -> dt.date | None:
    match = _DATE.match(text.strip())
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            return None
    if re.fullmatch(r"\d{8}", text.strip()):
        try:
            return dt.datetime.strptime(text.strip(), "%Y%m%d").date()
        except ValueError:
            return None
    return None


class _Context:
    """What validation needs, loaded once per file."""

    def __init__(self, actor, rows: list[_Row], *, mode: str = CREATE, department: Department | None = None):
        self.actor = actor
        self.mode = mode
        self.department = department
        self.words = {kind: _words(kind) for kind in _CHOICES}
        self.departments = {d.code: d for d in Department.objects.select_related("region")}
        self.classifications = {c.code: c for c in Classification.objects.all()}
        self.by_prefix = {services.classification_prefix(c): c for c in self.classifications.values()}
        given = {r.values.get("code", "").strip() for r in rows} - {""}
        chunks = [sorted(given)[i:i + 500] for i in range(0, len(given), 500)]  # bounded IN lists
        if mode == UPSERT:  # the entries the rows name, with their items, to compare and update
            self.existing = {e.code: e for chunk in chunks for e in CatalogEntry.objects.filter(code__in=chunk)
                             .select_related("department", "region", "classification").prefetch_related("items")}
            self.existing_codes = set(self.existing)
        else:
            self.existing = {}
            self.existing_codes = {code for chunk in chunks for code in
                                   CatalogEntry.objects.filter(code__in=chunk).values_list("code", flat=True)}
        self.listed_codes = set(NegativeListItem.objects.values_list("resource_code", flat=True).distinct())
        self.reserved = given  # codes the file gives; generated codes avoid them
        self.next_sequence: dict[str, int] = {}
        self.scope_cache: dict[str, bool | None] = {}

    def classification(self, code: str):
        return self.classifications.get(code) or self.by_prefix.get(code)

    def in_scope(self, department) -> bool:
        if department.code not in self.scope_cache:
            probe = CatalogEntry(department=department, region=department.region)
            self.scope_cache[department.code] = bool(resolver().allows(self.actor, "add", probe))
        return self.scope_cache[department.code]

    def generate_code(self, classification) -> str | None:
        prefix = services.classification_prefix(classification) + "/"
        if prefix not in self.next_sequence:
            last = CatalogEntry.objects.filter(code__startswith=prefix).aggregate(m=Max("code"))["m"]
            self.next_sequence[prefix] = int(last.split("/")[1]) + 1 if last else 1
        while True:
            sequence = self.next_sequence[prefix]
            if sequence > 999999:
                return None
            self.next_sequence[prefix] = sequence + 1
            code = f"{prefix}{sequence:06d}"
            if code not in self.reserved:
                return code


def _validate(row: _Row, ctx: _Context, seen_codes: dict[str, int]) -> None:
    v = {k: (text or "").strip() for k, text in row.values.items()}
    required = _("This field is required.")

    def text(key, max_length, *, needed=False):
        value = v.get(key, "")
        if needed and not value:
            row.error(key, required)
        elif len(value) > max_length:
            row.error(key, _("At most %(n)d characters (it has %(has)d).") % {"n": max_length, "has": len(value)})
        return value

    def choice(key, *, needed=True):
        value = v.get(key, "")
        if not value:
            if needed:
                row.error(key, required)
            return ""
        found = ctx.words[key].get(value.lower())
        if found is None:
            allowed = "、".join(CHINESE_WORDS[key])
            row.error(key, _("“%(value)s” is not one of: %(allowed)s.") % {"value": value, "allowed": allowed})
            return ""
        return found

    def date(key):
        value = v.get(key, "")
        if not value:
            return None
        parsed = _parse_date(value)
        if parsed is None:
            row.error(key, _("“%(value)s” is not a date; write it as 2024-06-30.") % {"value": value})
        return parsed

    f = row.fields
    f["name"] = text("name", 200, needed=True)
    f["summary"] = text("summary", 2000, needed=True)
    f["sharing_conditions"] = text("sharing_conditions", 1000)
    f["open_conditions"] = text("open_conditions", 1000)
    f["source_system"] = text("source_system", 200)
    for key in ("format", "sharing_type", "open_type", "update_cycle"):
        f[key] = choice(key)
    f["sharing_method"] = choice("sharing_method", needed=False)
    f["published_on"] = date("published_on")
    f["data_updated_on"] = date("data_updated_on")

    # provider department and the actor's scope
    department_code = v.get("department", "")
    department = ctx.departments.get(department_code) if department_code else None
    if not department_code:
        row.error("department", required)
    elif department is None:
        row.error("department", _("No department has the code %(code)s.") % {"code": department_code})
    elif not ctx.in_scope(department):
        row.error("department", _("The department %(code)s %(name)s is outside your data scope.")
                  % {"code": department.code, "name": department.name})
    elif ctx.department is not None and department.pk != ctx.department.pk:
        row.error("department", _("This file holds the entries of %(code)s %(name)s only.")
                  % {"code": ctx.department.code, "name": ctx.department.name})
    else:
        f["department"], f["region"] = department, department.region

    # classification and resource code
    classification_code = v.get("classification", "")
    classification = ctx.classification(classification_code) if classification_code else None
    if not classification_code:
        row.error("classification", required)
    elif classification is None:
        row.error("classification", _("No classification has the code %(code)s.") % {"code": classification_code})
    else:
        f["classification"] = classification
    code = v.get("code", "")
    if code:
        problems = services.code_errors(code, classification)
        for message in problems:
            row.error("code", message)
        if not problems:
            if code in seen_codes:
                row.error("code", _("The code %(code)s is already used in row %(row)d.")
                          % {"code": code, "row": seen_codes[code]})
            elif ctx.mode == UPSERT:
                _find_target(row, ctx, code)
            elif code in ctx.existing_codes:
                row.error("code", _("An entry with the code %(code)s already exists.") % {"code": code})
        seen_codes.setdefault(code, row.number)
    elif classification is not None:
        code = ctx.generate_code(classification)
        row.generated = True
        if code is None:
            row.error("classification", _("The classification %(code)s has no free sequence numbers left.")
                      % {"code": classification.code})
    f["code"] = code or ""

    # related codes, record count
    related = [c for c in _LIST_SEP.split(v.get("related_codes", "")) if c]
    bad = [c for c in related if not _CODE.match(c)]
    if bad:
        row.error("related_codes", _("Not resource codes: %(codes)s (write e.g. 101000000/000001, separated by ;).")
                  % {"codes": "、".join(bad)})
    f["related_codes"] = list(dict.fromkeys(related))
    count = v.get("record_count", "").replace(",", "").replace("，", "")
    f["record_count"] = None
    if count:
        if count.isdigit():
            f["record_count"] = int(count)
        else:
            row.error("record_count", _("Write the record count as a whole number of 0 or more."))

    # the rules `entry_save` applies
    if f["sharing_type"] == SharingType.CONDITIONAL and not f["sharing_conditions"]:
        row.error("sharing_conditions", _("Say on which conditions it is shared."))
    if f["sharing_type"] and f["sharing_type"] != SharingType.NONE and not f["sharing_method"] \
            and not v.get("sharing_method"):
        row.error("sharing_method", _("Say how it is shared (API, file or database)."))
    if f["open_type"] == OpenType.CONDITIONAL and not f["open_conditions"]:
        row.error("open_conditions", _("Say on which conditions it is opened."))

    # data items
    cell = v.get("items", "")
    if not cell:
        row.error("items", required)
    else:
        items, problems = parse_items(cell)
        for message in problems:
            row.error("items", message)
        if not problems:
            for key, messages in services.validate_items(items).items():
                match = re.match(r"items\[(\d+)\]\.(\w+)", key)
                for message in messages:
                    if match:
                        index, name = int(match.group(1)), match.group(2)
                        message = _("Item %(n)d (“%(item)s”), %(field)s: %(message)s") % {
                            "n": index + 1, "item": items[index].get("name", ""),
                            "field": DataItem._meta.get_field(name).verbose_name, "message": message}
                    row.error("items", message)
        row.items = items

    # the negative list: the one check of the services
    if code and code in ctx.listed_codes and f["sharing_type"] and f["open_type"]:
        listed = services.negative_list_errors(
            code, f["sharing_type"], f["open_type"],
            [services.ItemAttributes(i["name"], i.get("sharing_type", ""), i.get("open_type", "")) for i in row.items])
        for key, messages in listed.items():
            for message in messages:
                row.error(key if key in HEADER else "items", message)


    if row.target is not None and not row.errors:
        _compare(row)


def _find_target(row: _Row, ctx: _Context, code: str) -> None:
    """Upsert: the stored entry a row's code names, which must be one the actor may change and, in a
    department's file, one of that department's."""
    entry = ctx.existing.get(code)
    if entry is None:
        row.error("code", _("No entry has the code %(code)s; leave the code empty for a new entry.") % {"code": code})
    elif ctx.department is not None and entry.department_id != ctx.department.pk:
        row.error("code", _("The entry %(code)s belongs to %(name)s, not to this file's department.")
                  % {"code": code, "name": entry.department.name})
    elif not resolver().allows(ctx.actor, "change", entry):
        row.error("code", _("The entry %(code)s is outside your data scope.") % {"code": code})
    else:
        row.target = entry


#: what an upsert row compares with its entry, and sets on it (the region follows the department)
_COMPARED = [c.key for c in COLUMNS if c.key not in ("code", "items")]


def stored_items(entry: CatalogEntry) -> list[dict]:
    """An entry's data items as `parse_items` reads them back from the 信息项 cell."""
    return [{"name": i.name, "data_type": i.data_type, "length": i.length, "personal_data": i.personal_data,
             "sharing_type": i.sharing_type, "open_type": i.open_type, "data_element": i.data_element,
             "description": i.description} for i in entry.items.all()]


def _compare(row: _Row) -> None:
    """Upsert: is the row what its entry already holds? A changed row needs the entry in draft."""
    entry, f = row.target, row.fields
    same = all(getattr(entry, key) == f.get(key) for key in _COMPARED) and stored_items(entry) == row.items
    if same:
        row.unchanged = True
    elif entry.status not in services.EDITABLE:
        row.error("code", _("The entry %(code)s is “%(status)s”: only a draft can be changed. Leave its row as it "
                            "was, or have the entry sent back to draft first.")
                  % {"code": entry.code, "status": entry.get_status_display()})


def _still_free(entry: CatalogEntry) -> bool:
    """Whether a code generated during validation is still free, asked under the lock that
    `services.next_code` takes on the classification."""
    Classification.objects.select_for_update().filter(pk=entry.classification.pk).exists()
    return not CatalogEntry.objects.filter(code=entry.code).exists()


def _keep_left_out_columns(rows: list[_Row], ctx: _Context, absent: list[str]) -> None:
    """Upsert: a column left out of the file keeps what the entry a row names holds (the row reads
    as if the pre-filled template's cell were still there)."""
    if not absent:
        return
    for row in rows:
        entry = ctx.existing.get(row.values.get("code", "").strip())
        if entry is None or (ctx.department is not None and entry.department_id != ctx.department.pk):
            continue
        stored = entry_row(entry, quote=False)
        for key in absent:
            value = stored[key]
            row.values[key] = "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)


def _error(number: int, column: str, message: str) -> dict:
    return {"row": number, "column": column, "message": str(message)}


def import_catalog(*, actor, file, filename: str, dry_run: bool, mode: str = CREATE,
                   department: Department | None = None, reason: str = "") -> dict:
    """Import catalog entries from an .xlsx or .csv file (`file`: bytes or a file object).

    Returns `{"ok", "created", "errors": [{"row", "column", "message"}]}`. `row` is the row number
    the spreadsheet shows (the header is normally row 1) and `column` the header; problems with
    the file itself (not .xlsx/.csv, unreadable, empty, too large) have row 0 and an empty column.
    Nothing is written unless every row passes; `created` is how many entries were (or, in a dry
    run, would be) created, 0 when the file was refused. An actor without the permission to add
    catalog entries at all gets PermissionDenied; a row for a department outside the actor's scope
    is a row error.

    `mode="upsert"`: a row with a resource code updates that entry (an unknown code, or an entry
    outside the actor's scope, is a row error), a row without one creates an entry; the result
    adds `updated` and `unchanged` (rows identical to their entry: confirmed, not written).
    `department`: every row must be that department's, and (upsert) the result adds `not_in_file`,
    the codes of the department's entries in force (not withdrawn) that no row names: the entries
    a census submission leaves out. `reason` goes into each new version."""
    if mode not in MODES:
        raise ValueError(f"unknown import mode {mode!r}")
    if not has_permission(actor, CatalogEntry, "add"):
        raise PermissionDenied()

    def refused(errors: list[dict]) -> dict:
        return _result(mode, ok=False, errors=errors)

    try:
        numbered = read_rows(filename or "", read_upload(file))
    except ImportFileError as exc:
        return refused([_error(0, "", exc.message)])

    # the header
    header_number, header = numbered[0]
    aliases, columns, errors = _header_aliases(), {}, []
    for index, title in enumerate(header):
        title = _clean_header(title)
        if not title:
            continue
        key = aliases.get(title)
        if key is None:
            errors.append(_error(header_number, title, _("Unknown column.")))
        elif key in columns.values():
            errors.append(_error(header_number, title, _("This column appears twice.")))
        else:
            columns[index] = key
    for column in COLUMNS:
        if column.required and column.key not in columns.values():
            errors.append(_error(header_number, column.header, _("This required column is missing.")))
    if errors:
        return refused(errors)
    if len(numbered) == 1:
        return refused([_error(header_number, "", _("The file has no rows below the header."))])

    # every row, completely, before anything is written
    rows = [_Row(number, {key: (cells[i] if i < len(cells) else "") for i, key in columns.items()})
            for number, cells in numbered[1:]]
    ctx = _Context(actor, rows, mode=mode, department=department)
    if mode == UPSERT:
        _keep_left_out_columns(rows, ctx, [c.key for c in COLUMNS if c.key not in columns.values()])
    seen_codes: dict[str, int] = {}
    for row in rows:
        _validate(row, ctx, seen_codes)
    errors = [_error(row.number, HEADER[key], message) for row in rows for key, message in row.errors]
    if errors:
        errors.sort(key=lambda e: (e["row"], _ORDER.get(e["column"], len(_ORDER))))
        return refused(errors)
    counts = {"created": sum(r.target is None for r in rows),
              "updated": sum(r.target is not None and not r.unchanged for r in rows),
              "unchanged": sum(r.unchanged for r in rows)}
    if mode == UPSERT and department is not None:
        named = {r.target.pk for r in rows if r.target is not None}
        counts["not_in_file"] = sorted(code for pk, code in CatalogEntry.objects.filter(department=department)
                                       .exclude(status=Status.WITHDRAWN).values_list("pk", "code")
                                       if pk not in named)
    if dry_run:
        return _result(mode, ok=True, **counts)

    # write: one transaction, each entry through the service. The entries to update are locked and
    # must still be the version that was checked. A generated code is checked again under the
    # classification's lock (the one `services.next_code` takes) and, when a concurrent import took
    # it meanwhile, drawn anew by `entry_save`; rows giving their code are written first.
    with transaction.atomic():
        targets = [r.target.pk for r in rows if r.target is not None and not r.unchanged]
        versions = {pk: version for chunk in range(0, len(targets), 500) for pk, version in
                    CatalogEntry.objects.select_for_update().filter(pk__in=targets[chunk:chunk + 500])
                    .values_list("pk", "version")}
        for row in sorted(rows, key=lambda r: r.generated):
            if row.unchanged:
                continue
            if row.target is not None:
                entry = row.target
                if versions.get(entry.pk) != entry.version:
                    errors.append(_error(row.number, HEADER["code"], _(
                        "The entry %(code)s was changed while the file was being checked; upload the file "
                        "again.") % {"code": entry.code}))
                    continue
                for key in (*_COMPARED, "region"):
                    setattr(entry, key, row.fields[key])
            else:
                entry = CatalogEntry(**row.fields)
                if row.generated and not _still_free(entry):
                    entry.code = ""
            try:
                services.entry_save(actor=actor, entry=entry, items=row.items, reason=reason)
            except IntegrityError:  # a concurrent writer took the code the file gives
                errors.append(_error(row.number, HEADER["code"], _("An entry with the code %(code)s already exists.")
                                     % {"code": entry.code}))
            except DgovError as exc:
                details = exc.details if isinstance(exc.details, dict) and exc.details else {"": [exc.message]}
                for key, messages in details.items():
                    column = HEADER.get(key) or (HEADER["items"] if key.startswith("items") else "")
                    for message in messages if isinstance(messages, list) else [messages]:
                        errors.append(_error(row.number, column, message))
        if errors:
            transaction.set_rollback(True)
            errors.sort(key=lambda e: (e["row"], _ORDER.get(e["column"], len(_ORDER))))
            return refused(errors)
        changes = ({key: len(n) if isinstance(n, list) else n for key, n in counts.items()} if mode == UPSERT
                   else {"created": counts["created"]})
        audit.record("catalog.catalogentry.import", audit.Target("catalog.catalogentry", "", (filename or "")[:200]),
                     changes=changes, actor=actor)
    return _result(mode, ok=True, **counts)


def _result(mode: str, *, ok: bool, errors: list[dict] = (), created: int = 0, updated: int = 0,
            unchanged: int = 0, not_in_file: list[str] = ()) -> dict:
    """The import's answer; a refused file counts nothing. Create mode keeps its original shape."""
    if mode == UPSERT:
        return {"ok": ok, "created": created, "updated": updated, "unchanged": unchanged,
                "not_in_file": list(not_in_file), "errors": list(errors)}
    return {"ok": ok, "created": created, "errors": list(errors)}


# --- the template -------------------------------------------------------------------------------
EXAMPLE = {
    "code": "", "name": "婚姻登记信息", "classification": "307", "department": "360600007",
    "summary": "鹰潭市婚姻登记机关办理的结婚、离婚、补领婚姻登记证的登记信息。", "format": "数据库",
    "sharing_type": "有条件共享", "sharing_conditions": "限政务部门依法履职使用，经市民政局审核同意。",
    "sharing_method": "接口", "open_type": "不予开放", "open_conditions": "", "update_cycle": "每日",
    "published_on": "", "data_updated_on": "2024-06-30", "related_codes": "", "source_system": "全国婚姻登记信息系统",
    "record_count": "1250000",
    "items": "登记类型:string:10; 登记日期:date; 男方姓名:string:50:个人信息; "
             "男方身份证号:string:18:敏感个人信息:不予共享:不予开放; 女方姓名:string:50:个人信息; "
             "女方身份证号:string:18:敏感个人信息:不予共享:不予开放; 结婚证字号:string:30; 登记机关:string:100",
}


def entry_row(entry: CatalogEntry, *, quote: bool = True) -> dict:
    """An entry as its template row (column key → cell value): what the importer reads back as the
    same entry. Dates and the record count stay typed; text a spreadsheet would evaluate is quoted
    (unless `quote` is false)."""
    text = {"code": entry.code, "name": entry.name, "classification": entry.classification.code,
            "department": entry.department.code, "summary": entry.summary, "format": entry.format,
            "sharing_type": entry.sharing_type, "sharing_conditions": entry.sharing_conditions,
            "sharing_method": entry.sharing_method, "open_type": entry.open_type,
            "open_conditions": entry.open_conditions, "update_cycle": entry.update_cycle,
            "related_codes": "; ".join(entry.related_codes or []), "source_system": entry.source_system,
            "items": format_items(entry.items.all())}
    row = {key: safe_cell(value or "") if quote else (value or "") for key, value in text.items()}
    # the Chinese words, as a person filling the sheet writes them
    for key in ("format", "sharing_type", "sharing_method", "open_type", "update_cycle"):
        words = {v: k for k, v in reversed(CHINESE_WORDS[key].items())}
        row[key] = words.get(row[key], row[key])
    row.update(published_on=entry.published_on, data_updated_on=entry.data_updated_on,
               record_count=entry.record_count)
    return row


def template_xlsx(entries=None) -> bytes:
    """An .xlsx to fill in: the headers and one example row on the first sheet (or, given `entries`,
    one row per entry, pre-filled with everything it holds), the rules for each column (and the
    信息项 format) on the second."""
    wb = Workbook()
    ws = wb.active
    ws.title = "数据资源目录"
    ws.append([c.header for c in COLUMNS])
    rows = [EXAMPLE] if entries is None else (entry_row(e) for e in entries)
    for values in rows:
        ws.append([values[c.key] for c in COLUMNS])
    for cells in ws.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font = bold
        if COLUMNS[cell.column - 1].required:
            cell.fill = fill
    for n, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[ws.cell(row=1, column=n).column_letter].width = 60 if column.key == "items" else \
            max(12, len(column.header) * 2 + 4)
    ws.freeze_panes = "A2"

    notes = wb.create_sheet(_("Instructions"))
    notes.append([_("Column"), _("Required"), _("What to write")])
    for cell in notes[1]:
        cell.font = bold

    def allowed(kind):
        return "、".join(CHINESE_WORDS[kind])

    rules = {
        "code": _("Leave empty to have the next code of the classification assigned; a given code is the "
                  "classification code padded to 9 digits, a slash and a 6-digit sequence, e.g. 307000000/000001, "
                  "and must not exist yet."),
        "name": _("The resource's name, at most 200 characters."),
        "classification": _("The classification code, e.g. 101, 203 or 307."),
        "department": _("The provider department's code, e.g. 360600007; it must lie within your data scope."),
        "summary": _("What the resource holds, at most 2000 characters."),
        "format": allowed("format"),
        "sharing_type": "无条件共享、有条件共享、不予共享",
        "sharing_conditions": _("Required for 有条件共享."),
        "sharing_method": _("Required unless 不予共享: %(words)s.") % {"words": "接口、文件、数据库"},
        "open_type": "无条件开放、有条件开放、不予开放",
        "open_conditions": _("Required for 有条件开放."),
        "update_cycle": allowed("update_cycle"),
        "published_on": _("A date such as 2024-06-30."),
        "data_updated_on": _("When the data was last updated, a date such as 2024-06-30."),
        "related_codes": _("Resource codes separated by ;"),
        "source_system": _("The information system the data comes from."),
        "record_count": _("A whole number."),
        "items": _("Items separated by ;, each 名称:类型[:长度][:个人信息分类][:共享属性][:开放属性][:数据元=标识]"
                   "[:说明=文字]. 类型: %(types)s. 个人信息分类: 无、个人信息、敏感个人信息. An item's "
                   "own 共享属性 (无条件共享、有条件共享、不予共享) and 开放属性 (无条件开放、有条件开放、不予开放) "
                   "restrict it further than the resource; left out, the item follows the resource. Example: "
                   "姓名:string:50:个人信息; 身份证号:string:18:敏感个人信息:不予共享")
                 % {"types": "string、integer、decimal、date、datetime、boolean、binary"},
    }
    if entries is not None:
        rules["code"] = _("Existing entries keep their code: change the other cells of their row. Add new entries "
                          "as rows with an empty code; they get the next code of their classification.")
    for column in COLUMNS:
        notes.append([column.header, _("yes") if column.required else _("no"), str(rules[column.key])])
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 8
    notes.column_dimensions["C"].width = 120
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
