"""Import and export of implementation lists (实施清单) with their materials, as .xlsx (or .csv).

The workbook has two sheets: 实施清单 (one row per implementation, with its base catalog item) and 申请材料
(one row per material, keyed by the implementation code, in order). A .csv file holds the implementations
only; its materials may come as a second .csv file (`materials_file`). Without a materials sheet, the
materials of the implementations are left as they are; with one, each implementation's materials are
replaced by its rows (none: no materials).

Every row of both sheets is checked first — the cells, the base catalog item (created when its base code is
new), every rule of `services.implementation_errors` (the implementation code's rule, limits, fees, steps,
form) and the importer's scope — and nothing is written unless every row passes; the errors name the sheet,
the row and the column, in the reader's language. A dry run only checks. Rows are upserted by implementation
code: a new code creates a draft, a known one becomes a new version (a row that changes nothing is counted as
unchanged and writes nothing). `export_items(queryset)` writes the same layout, so an exported workbook
imports unchanged.

Choice cells take the Chinese words (即办件, 工作日, 纸质原件, …), the codes, or the English labels. Multi-value
cells: fees one per line as 名称|金额|依据; process steps one per line as 环节|时限（工作日）|说明; themes as
codes (or names) separated by 、 or ;. The form is the definition as JSON (`dgov.services.formdef`).
"""

import csv
import io
import json
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from dgov.core import audit
from dgov.core.errors import DgovError, PermissionDenied
from dgov.core.importexport import (
    MAX_BYTES,
    ImportFileError,
    ImportResult,
    cell_text,
    check_unpacked,
    numbered_rows,
    read_upload,
    safe_cell,
    unquote,
)
from dgov.core.permissions import has_permission, resolver
from dgov.services import codes, services
from dgov.services.models import (
    CaseKind,
    DayUnit,
    Implementation,
    ItemType,
    Level,
    MaterialForm,
    MaterialSource,
    OnlineDepth,
    ResultType,
    ServiceItem,
    ServiceObject,
    Theme,
)

IMPL_SHEET, MATERIAL_SHEET = "实施清单", "申请材料"
MAX_IMPLEMENTATIONS = 2000


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False


#: the implementations sheet (headers are the national list's field names: data, not UI text)
IMPL_COLUMNS = [
    Column("code", "实施编码", True),
    Column("name", "事项名称"),
    Column("base_code", "基本编码", True),
    Column("item_name", "基本目录事项名称"),
    Column("item_type", "事项类型"),
    Column("legal_basis", "设定依据"),
    Column("level", "设定层级"),
    Column("department", "实施部门代码", True),
    Column("region", "行政区划代码"),
    Column("service_object", "服务对象", True),
    Column("case_kind", "办件类型", True),
    Column("statutory_limit", "法定办结时限"),
    Column("statutory_unit", "法定时限单位"),
    Column("promised_limit", "承诺办结时限"),
    Column("promised_unit", "承诺时限单位"),
    Column("visits", "到办事现场次数"),
    Column("online_depth", "网上办理深度"),
    Column("fees", "收费"),
    Column("acceptance_conditions", "受理条件"),
    Column("process_steps", "办理流程"),
    Column("result_type", "办理结果类型"),
    Column("result_name", "办理结果名称"),
    Column("result_license_type", "结果证照类型代码"),
    Column("place", "办理地点"),
    Column("hours", "办理时间"),
    Column("enquiry_phone", "咨询方式"),
    Column("complaint_phone", "监督投诉方式"),
    Column("online_apply", "可网上申请"),
    Column("form", "网上申请表单"),
    Column("supervising_department", "监管部门代码"),
    Column("themes", "主题"),
]
MATERIAL_COLUMNS = [
    Column("code", "实施编码", True),
    Column("name", "材料名称", True),
    Column("required", "是否必需"),
    Column("form", "材料形式"),
    Column("copies", "份数"),
    Column("source", "来源渠道"),
    Column("license_type", "可替代的电子证照类型代码"),
    Column("notes", "备注"),
]
ITEM_KEYS = {"base_code", "item_name", "item_type", "legal_basis", "level"}

#: the Chinese words of the choices (written by the export, read by the import beside codes and labels)
WORDS = {
    "item_type": {"01": "行政许可", "02": "行政处罚", "03": "行政强制", "04": "行政征收", "05": "行政给付",
                  "06": "行政检查",
                  "07": "行政确认", "08": "行政奖励", "09": "行政裁决", "10": "其他行政权力", "20": "公共服务"},
    "level": {"national": "国家级", "provincial": "省级", "municipal": "市级", "county": "县级"},
    "service_object": {"person": "自然人", "enterprise": "法人", "both": "自然人、法人"},
    "case_kind": {"instant": "即办件", "promised": "承诺件"},
    "statutory_unit": {"working": "工作日", "natural": "自然日"},
    "promised_unit": {"working": "工作日", "natural": "自然日"},
    "online_depth": {1: "一级", 2: "二级", 3: "三级", 4: "四级"},
    "result_type": {"licence": "证照", "approval": "批文", "other": "其他", "none": "无"},
    "form": {"electronic": "电子", "original": "纸质原件", "copy": "纸质复印件", "both": "原件和复印件"},
    "source": {"applicant": "申请人自备", "government": "政府部门核发", "intermediary": "中介机构或法定机构产生",
               "other": "其他"},
}
EXTRA_WORDS = {
    "service_object": {"个人": "person", "企业": "enterprise", "法人和自然人": "both", "自然人和法人": "both"},
    "online_depth": {"全程网办": 4, "在线预审": 3, "表格下载": 2, "网上展示": 1},
    "form": {"原件": "original", "复印件": "copy", "电子版": "electronic"},
    "source": {"申请人": "applicant", "政府部门": "government", "中介机构": "intermediary"},
}
CHOICES = {"item_type": ItemType, "level": Level, "service_object": ServiceObject, "case_kind": CaseKind,
           "statutory_unit": DayUnit, "promised_unit": DayUnit, "online_depth": OnlineDepth,
           "result_type": ResultType, "form": MaterialForm, "source": MaterialSource}
YES = {"是", "y", "yes", "true", "1", "必需", "必要", "需要"}
NO = {"否", "n", "no", "false", "0", "非必需", "非必要", "不需要", "容缺"}
NUMBERS = {"statutory_limit", "promised_limit", "visits", "copies"}
_SPLIT = re.compile(r"[、;；,，\s]+")


@dataclass
class SheetError:
    sheet: str
    row: int  # the spreadsheet row number (the header is row 1)
    column: str
    message: str


@dataclass
class ItemsImportResult(ImportResult):
    """The core import result, with the materials sheet's rows, the implementations left unchanged, the
    base items created, and errors that name their sheet."""

    materials: int = 0
    unchanged: int = 0
    items_created: int = 0
    errors: list[SheetError] = field(default_factory=list)


# --- reading ---------------------------------------------------------------------------------------------
def _read_csv(data: bytes) -> list[tuple[int, list[str]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(_("The CSV file is neither UTF-8 nor GB18030 encoded."))
    return numbered_rows([unquote(c.strip()) for c in row] for row in csv.reader(io.StringIO(text)))


def read_sheets(name: str, data: bytes) -> tuple[list, list | None]:
    """(implementation rows, material rows or None) of an upload, each as (row number, cells)."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than 10 MB."))
    lower = name.lower()
    if lower.endswith(".csv"):
        rows = _read_csv(data)
        if not rows:
            raise ImportFileError(_("The file is empty."))
        return rows, None
    if not lower.endswith(".xlsx"):
        raise ImportFileError(_("Upload an .xlsx or .csv file."))
    check_unpacked(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt or non-xlsx file
        raise ImportFileError(_("The file could not be read as an Excel (.xlsx) workbook.")) from exc
    try:
        sheets = {ws.title: ws for ws in wb.worksheets}
        first = sheets.get(IMPL_SHEET) or wb.worksheets[0]
        second = sheets.get(MATERIAL_SHEET)
        implementations = numbered_rows([cell_text(v) for v in row] for row in first.iter_rows(values_only=True))
        materials = (numbered_rows([cell_text(v) for v in row] for row in second.iter_rows(values_only=True))
                     if second is not None else None)
    finally:
        wb.close()
    if not implementations:
        raise ImportFileError(_("The file is empty."))
    return implementations, materials


def _header_names(columns: list[Column]) -> dict[str, str]:
    names = {}
    for column in columns:
        names[column.header] = names[column.key] = column.key
    return names


def _map_header(sheet: str, header: tuple[int, list[str]], columns: list[Column], result) -> dict[int, str]:
    number, cells = header
    known, mapped = _header_names(columns), {}
    for i, title in enumerate(cells):
        if not title:
            continue
        key = known.get(title)
        if key is None:
            result.errors.append(SheetError(sheet, number, title, _("Unknown column.")))
        elif key in mapped.values():
            result.errors.append(SheetError(sheet, number, title, _("This column appears twice.")))
        else:
            mapped[i] = key
    for column in columns:
        if column.required and column.key not in mapped.values():
            result.errors.append(SheetError(sheet, number, column.header, _("This required column is missing.")))
    return mapped


def _choice_lookup(key: str) -> dict[str, object]:
    choices = CHOICES[key]
    lookup: dict[str, object] = {}
    for value, label in choices.choices:
        lookup[str(value).lower()] = value
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                lookup[str(label).lower()] = value
    for value, word in WORDS.get(key, {}).items():
        lookup[word] = value
    for word, value in EXTRA_WORDS.get(key, {}).items():
        lookup[word] = value
    return lookup


def _yes_no(text: str) -> bool | None:
    lowered = text.strip().lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    return None


def _lines(text: str) -> list[list[str]]:
    return [[part.strip() for part in line.split("|")] for line in text.replace("\r", "").split("\n") if line.strip()]


def parse_fees(text: str) -> list[dict]:
    if text.strip().startswith("["):
        return json.loads(text)
    return [{"name": p[0], "amount": p[1] if len(p) > 1 else "0", "basis": "|".join(p[2:])} for p in _lines(text)]


def parse_steps(text: str) -> list[dict]:
    if text.strip().startswith("["):
        return json.loads(text)
    return [{"name": p[0], "limit": p[1] if len(p) > 1 else "0", "description": "|".join(p[2:])} for p in _lines(text)]


def _parse(key: str, text: str, errors: dict, lookups: dict, *, material: bool = False):
    """A cell's value for `key` (errors added by key); `material`: a cell of the materials sheet (where "form" is
    the material's form, not the online form)."""
    text = text.strip()
    try:
        if key in CHOICES and (material or key != "form"):
            if not text:
                return None
            found = lookups.setdefault(key, _choice_lookup(key)).get(text.lower(), lookups[key].get(text))
            if found is None:
                errors.setdefault(key, []).append(_("Unknown value %(value)s.") % {"value": text})
            return found
        if key in NUMBERS:
            if not text:
                return None
            value = int(float(text))
            if value < 0 or float(text) != value:
                raise ValueError
            return value
        if key in ("online_apply", "required"):
            if not text:
                return None
            found = _yes_no(text)
            if found is None:
                errors.setdefault(key, []).append(_("Enter 是 or 否."))
            return found
        if key == "fees":
            return parse_fees(text) if text else []
        if key == "process_steps":
            return parse_steps(text) if text else []
        if key == "form":
            return json.loads(text) if text else {}
        if key == "themes":
            return [t for t in _SPLIT.split(text) if t]
    except (ValueError, TypeError):
        errors.setdefault(key, []).append(
            _("Enter a whole number.") if key in NUMBERS else _("The cell cannot be read (see the import's format)."))
        return None
    return text


def _theme_codes(values: list[str]) -> list[str]:
    """Theme codes, names accepted when one theme has the name."""
    out = []
    for value in values:
        if Theme.objects.filter(code=value).exists():
            out.append(value)
            continue
        named = list(Theme.objects.filter(name=value).values_list("code", flat=True)[:2])
        out.append(named[0] if len(named) == 1 else value)
    return out


# --- checking and writing --------------------------------------------------------------------------------
@dataclass
class _Row:
    number: int
    values: dict
    item: ServiceItem | None = None
    item_data: dict | None = None
    implementation: Implementation | None = None
    data: dict | None = None


def _check_item(row: _Row, errors: dict) -> None:
    values = row.values
    base_code = (values.get("base_code") or "").upper()
    for message in codes.base_code_errors(base_code):
        errors.setdefault("base_code", []).append(message)
    item = ServiceItem.objects.filter(base_code=base_code).first()
    given = {k: values.get(k) for k in ("item_name", "item_type", "legal_basis", "level") if values.get(k)}
    data = {{"item_name": "name"}.get(k, k): v for k, v in given.items()}
    if item is None:
        for key, header in (("item_name", "基本目录事项名称"), ("item_type", "事项类型"), ("legal_basis", "设定依据")):
            if not values.get(key):
                errors.setdefault(key, []).append(_("A new base code needs this column: %(column)s.")
                                                  % {"column": header})
        item = ServiceItem(base_code=base_code, status="published", level=data.get("level") or Level.NATIONAL,
                           **{k: v for k, v in data.items() if k != "level"})
        row.item_data = {"base_code": base_code, **data}
    else:
        changed = {k: v for k, v in data.items() if getattr(item, k) != v}
        row.item_data = changed or None
    row.item = item


def _check_row(row: _Row, materials: list[dict] | None, actor, errors: dict) -> None:
    values = row.values
    code = (values.get("code") or "").strip()
    row.implementation = Implementation.objects.filter(code=code).select_related("item").first()
    data = {k: v for k, v in values.items() if k not in ITEM_KEYS and v is not None}
    data["code"] = code
    if "themes" in data:
        data["themes"] = _theme_codes(data["themes"])
    for key in ("statutory_limit", "promised_limit", "visits"):
        if key in values and values[key] is None:
            data[key] = 0  # an empty cell: no limit, no visit
    if row.item is not None and row.item.pk:
        data["item"] = row.item
    if not data.get("name") and row.item is not None and row.item.name:
        data["name"] = row.item.name
    row.data = data
    probe = dict(data)
    if row.item is not None and not row.item.pk:
        probe.pop("item", None)
    impl, _materials, _themes, problems = services.check(implementation=row.implementation, data=probe,
                                                         materials=materials)
    if row.item is not None and not row.item.pk:
        problems.pop("item", None)
        problems.pop("code", None)
        impl.item = row.item
        department = impl.department if impl.department_id else None
        for message in codes.implementation_code_errors(code, department=department, region=impl.region if
                                                        impl.region_id else None, base_code=row.item.base_code):
            problems.setdefault("code", []).append(message)
    for key, messages in problems.items():
        for message in messages:
            if message not in errors.get(key, []):
                errors.setdefault(key, []).append(message)
    if impl.department_id:
        allowed = resolver().allows(actor, "change" if row.implementation else "add", impl)
        if not allowed:
            errors.setdefault("department", []).append(_("This department is outside your scope."))
        if row.implementation is not None and not resolver().allows(actor, "change", row.implementation):
            errors.setdefault("code", []).append(_("This implementation is outside your scope."))


def import_items(file, *, actor, dry_run: bool, filename: str | None = None, materials_file=None,
                 materials_filename: str | None = None) -> ItemsImportResult:
    """Check and (unless `dry_run`) write an implementation-list workbook (see the module's doc)."""
    if not has_permission(actor, Implementation, "add") and not has_permission(actor, Implementation, "change"):
        raise PermissionDenied()
    name = filename or getattr(file, "name", "") or ""
    impl_rows, material_rows = read_sheets(name, read_upload(file))
    if materials_file is not None:
        extra_name = materials_filename or getattr(materials_file, "name", "") or "materials.csv"
        material_rows = read_sheets(extra_name, read_upload(materials_file))[0]
    result = ItemsImportResult(total=len(impl_rows) - 1)
    if result.total > MAX_IMPLEMENTATIONS:
        raise ImportFileError(_("Import at most %(n)d implementations at once; split the file.")
                              % {"n": MAX_IMPLEMENTATIONS})
    impl_map = _map_header(IMPL_SHEET, impl_rows[0], IMPL_COLUMNS, result)
    material_map = (_map_header(MATERIAL_SHEET, material_rows[0], MATERIAL_COLUMNS, result)
                    if material_rows else None)
    if result.errors:
        return result
    impl_headers = {c.key: c.header for c in IMPL_COLUMNS}
    material_headers = {c.key: c.header for c in MATERIAL_COLUMNS}
    lookups: dict = {}
    # the materials, grouped by implementation code
    grouped: dict[str, list[tuple[int, dict]]] = {}
    if material_map is not None:
        for number, cells in material_rows[1:]:
            errors: dict = {}
            values = {key: _parse(key, cells[i] if i < len(cells) else "", errors, lookups, material=True)
                      for i, key in material_map.items()}
            for key, messages in errors.items():
                result.errors.extend(SheetError(MATERIAL_SHEET, number, material_headers[key], m) for m in messages)
            spec = {k: v for k, v in values.items() if k != "code" and v is not None}
            grouped.setdefault(values.get("code") or "", []).append((number, spec))
            result.materials += 1
    rows, seen = [], {}
    for number, cells in impl_rows[1:]:
        errors: dict = {}
        values = {key: _parse(key, cells[i] if i < len(cells) else "", errors, lookups)
                  for i, key in impl_map.items()}
        row = _Row(number, values)
        code = (values.get("code") or "").strip()
        if code in seen:
            errors.setdefault("code", []).append(_("Duplicate of row %(row)d.") % {"row": seen[code]})
        seen.setdefault(code, number)
        if not errors.get("base_code"):
            _check_item(row, errors)
        materials = None
        if material_map is not None:
            materials = [spec for _n, spec in grouped.get(code, [])]
        if not errors:
            try:
                _check_row(row, materials, actor, errors)
            except DgovError as exc:
                errors.setdefault("", []).extend(exc.sentences())
        for key, messages in errors.items():
            if key == "materials":
                numbers = [n for n, _spec in grouped.get(code, [])] or [number]
                result.errors.extend(SheetError(MATERIAL_SHEET, numbers[0], material_headers["name"], m)
                                     for m in messages)
                continue
            column = impl_headers.get(key) or impl_headers.get({"name": "item_name"}.get(key, key)) or _("(row)")
            result.errors.extend(SheetError(IMPL_SHEET, number, column, str(m)) for m in messages)
        row.values["_materials"] = materials
        rows.append(row)
    for code, entries in grouped.items():
        if code not in seen:
            for number, _spec in entries:
                result.errors.append(SheetError(MATERIAL_SHEET, number, material_headers["code"],
                                                _("No row of the implementations sheet has this code.")))
    result.errors.sort(key=lambda e: (e.sheet != IMPL_SHEET, e.row))
    if result.errors or dry_run:
        return result
    try:
        with transaction.atomic():
            _write(rows, actor, result)
            audit.record("services.implementation.import", audit.Target("services.implementation", "", name[:200]),
                         changes={"created": result.created, "updated": result.updated,
                                  "unchanged": result.unchanged, "items_created": result.items_created},
                         actor=actor)
    except DgovError as exc:
        result.errors.append(SheetError(IMPL_SHEET, 0, _("(row)"), " ".join(exc.sentences())))
        result.created = result.updated = result.unchanged = result.items_created = 0
        return result
    result.committed = True
    return result


def _write(rows: list[_Row], actor, result: ItemsImportResult) -> None:
    items: dict[str, ServiceItem] = {}
    for row in rows:
        base_code = row.item.base_code
        item = items.get(base_code)
        if item is None:
            if not row.item.pk:
                item = services.item_save(actor=actor, data={**row.item_data, "status": "published"})
                result.items_created += 1
            elif row.item_data:
                item = services.item_save(actor=actor, item=row.item, data=row.item_data)
            else:
                item = row.item
            items[base_code] = item
        data = {**row.data, "item": item}
        materials = row.values.get("_materials")
        before = row.implementation.version if row.implementation else None
        saved = services.implementation_save(actor=actor, implementation=row.implementation, data=data,
                                             materials=materials, reason=_("Imported from a spreadsheet"))
        if before is None:
            result.created += 1
        elif saved.version != before:
            result.updated += 1
        else:
            result.unchanged += 1


# --- export ----------------------------------------------------------------------------------------------
def _word(key: str, value) -> str:
    if value in (None, ""):
        return ""
    return WORDS.get(key, {}).get(value, str(value))


def implementation_cells(impl: Implementation) -> list:
    item = impl.item
    values = {
        "code": impl.code, "name": impl.name, "base_code": item.base_code, "item_name": item.name,
        "item_type": _word("item_type", item.item_type), "legal_basis": item.legal_basis,
        "level": _word("level", item.level), "department": impl.department.code, "region": impl.region.code,
        "service_object": _word("service_object", impl.service_object), "case_kind": _word("case_kind", impl.case_kind),
        "statutory_limit": impl.statutory_limit, "statutory_unit": _word("statutory_unit", impl.statutory_unit),
        "promised_limit": impl.promised_limit, "promised_unit": _word("promised_unit", impl.promised_unit),
        "visits": impl.visits, "online_depth": _word("online_depth", impl.online_depth),
        "fees": "\n".join(f"{f['name']}|{f['amount']}|{f.get('basis', '')}" for f in impl.fees or []),
        "acceptance_conditions": impl.acceptance_conditions,
        "process_steps": "\n".join(f"{s['name']}|{s.get('limit', 0)}|{s.get('description', '')}"
                                   for s in impl.process_steps or []),
        "result_type": _word("result_type", impl.result_type), "result_name": impl.result_name,
        "result_license_type": impl.result_license_type.code if impl.result_license_type_id else "",
        "place": impl.place, "hours": impl.hours, "enquiry_phone": impl.enquiry_phone,
        "complaint_phone": impl.complaint_phone, "online_apply": "是" if impl.online_apply else "否",
        "form": json.dumps(impl.form, ensure_ascii=False) if impl.form else "",
        "supervising_department": impl.supervising_department.code if impl.supervising_department_id else "",
        "themes": "、".join(sorted(t.code for t in impl.themes.all())),
    }
    return [safe_cell(v) if isinstance(v, str) else v for v in (values[c.key] for c in IMPL_COLUMNS)]


def material_cells(impl: Implementation, material) -> list:
    values = {"code": impl.code, "name": material.name, "required": "是" if material.required else "否",
              "form": _word("form", material.form), "copies": material.copies,
              "source": _word("source", material.source),
              "license_type": material.license_type.code if material.license_type_id else "", "notes": material.notes}
    return [safe_cell(v) if isinstance(v, str) else v for v in (values[c.key] for c in MATERIAL_COLUMNS)]


def export_items(queryset) -> bytes:
    """The implementations of `queryset` (with their items and materials) as an .xlsx in the import's layout."""
    queryset = (queryset.select_related("item", "department", "region", "result_license_type",
                                        "supervising_department")
                .prefetch_related("themes", "materials__license_type").order_by("code"))
    wb = Workbook(write_only=True)
    impl_sheet = wb.create_sheet(IMPL_SHEET)
    material_sheet = wb.create_sheet(MATERIAL_SHEET)
    impl_sheet.append([c.header for c in IMPL_COLUMNS])
    material_sheet.append([c.header for c in MATERIAL_COLUMNS])
    for impl in queryset:
        impl_sheet.append(implementation_cells(impl))
        for material in sorted(impl.materials.all(), key=lambda m: (m.order, m.pk)):
            material_sheet.append(material_cells(impl, material))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_xlsx() -> bytes:
    """An empty workbook in the import's layout."""
    return export_items(Implementation.objects.none())
