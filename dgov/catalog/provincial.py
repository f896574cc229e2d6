"""Import of the provincial catalog (省级政务数据资源目录), the catalog the city's entries are aligned
with: an Excel workbook (.xlsx) or a JSON file.

Excel: the first sheet, a header row, one provincial entry per row. The headers (Chinese; the
English keys below are accepted too; a required mark such as 资源代码* or 资源名称（必填） is
ignored):

    资源代码*  资源名称*  提供方  分类代码  摘要  共享类型  更新周期

JSON: a list of objects, or an object `{"entries": [...]}`, each object with the keys

    code*  name*  provider  classification_code  summary  sharing_type  update_cycle

(the Chinese headers are accepted as keys too). 共享类型 / sharing_type takes 无条件共享, 有条件共享,
不予共享 or unconditional, conditional, none; 更新周期 / update_cycle takes 实时, 每日, 每周, 每月,
每季度, 每半年, 每年, 不定期 or realtime, daily, … irregular. 资源代码 is the province's code as the
province writes it (letters, digits and / - _ .; at most 40 characters).

Every row is validated first; errors name the row (the spreadsheet's row number, or the object's
position in the JSON list, from 1) and the column (the header, or the JSON key). Nothing is
written unless every row passes; a dry run only validates. Importing updates the provincial
entries by code (upsert) and marks the entries the file no longer holds as withdrawn; none is
deleted, since city entries may still be mapped to them.
"""

import io
import json
import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from dgov.catalog.importer import _clean_header, _words
from dgov.catalog.models import ProvincialEntry, ProvincialImport
from dgov.core import audit
from dgov.core.importexport import MAX_BYTES, MAX_ROWS, ImportFileError, read_rows, read_upload
from dgov.core.permissions import require_permission

#: (key, Chinese header, maximum length, required)
COLUMNS = [
    ("code", "资源代码", 40, True),
    ("name", "资源名称", 200, True),
    ("provider", "提供方", 100, False),
    ("classification_code", "分类代码", 20, False),
    ("summary", "摘要", 2000, False),
    ("sharing_type", "共享类型", None, False),
    ("update_cycle", "更新周期", None, False),
]
HEADER = {key: header for key, header, _length, _required in COLUMNS}
FIELDS = list(HEADER)
#: other headers seen in provincial exports
ALIASES = {"省级资源代码": "code", "目录代码": "code", "信息资源代码": "code", "信息资源名称": "name",
           "提供方部门": "provider", "资源提供方": "provider", "提供单位": "provider",
           "资源分类": "classification_code", "资源摘要": "summary", "共享属性": "sharing_type"}
CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z/_.\-]{0,39}$")


def _aliases() -> dict[str, str]:
    out = dict(ALIASES)
    for key, header, _length, _required in COLUMNS:
        out[header] = out[key] = key
    return out


def _error(row: int, column: str, message: str) -> dict:
    return {"row": row, "column": column, "message": str(message)}


def _result(ok: bool, errors: list[dict], created: int = 0, updated: int = 0, withdrawn: int = 0) -> dict:
    return {"ok": ok, "created": created, "updated": updated, "withdrawn": withdrawn, "errors": errors}


def _json_rows(data: bytes) -> tuple[list[tuple[int, dict]], list[dict]]:
    """(position, {column: text}) of every object, or the file's errors."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than 10 MB."))
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ImportFileError(_("The file is not valid JSON (UTF-8).")) from exc
    if isinstance(document, dict) and isinstance(document.get("entries"), list):
        document = document["entries"]
    if not isinstance(document, list):
        raise ImportFileError(_("The JSON file must hold a list of entries, or an object with the list in "
                                "“entries”."))
    if len(document) > MAX_ROWS:
        raise ImportFileError(_("The file has more than %(n)d rows.") % {"n": MAX_ROWS})
    rows, errors = [], []
    for position, item in enumerate(document, start=1):
        if not isinstance(item, dict):
            errors.append(_error(position, "", _("Each entry must be a JSON object.")))
            continue
        values = {}
        for key, value in item.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int, float))):
                errors.append(_error(position, str(key), _("Enter text.")))
                continue
            values[str(key)] = "" if value is None else str(value).strip()
        rows.append((position, values))
    return rows, errors


def _table_rows(filename: str, data: bytes) -> tuple[int, list[str], list[tuple[int, dict]]]:
    """(the header's row number, its titles, (row number, {title: cell}) of every row below it)."""
    numbered = read_rows(filename, data)
    header_number, header = numbered[0]
    rows = [(number, {title: (cells[i] if i < len(cells) else "") for i, title in enumerate(header) if title})
            for number, cells in numbered[1:]]
    return header_number, [title for title in header if title], rows


def _columns(titles, number: int, errors: list[dict]) -> dict[str, str]:
    """Column title → key for the titles of a row (or of the header); unknown ones are errors."""
    aliases, mapping = _aliases(), {}
    for title in titles:
        key = aliases.get(_clean_header(title))
        if key is None:
            errors.append(_error(number, title, _("Unknown column.")))
        elif key in mapping.values():
            errors.append(_error(number, title, _("This column appears twice.")))
        else:
            mapping[title] = key
    return mapping


def _validate(number: int, values: dict, seen: dict[str, int], labels: dict[str, str],
              errors: list[dict]) -> dict | None:
    """The row's fields, or None with its problems added to `errors`."""
    fields, before = {}, len(errors)
    for key, _header, max_length, required in COLUMNS:
        text = (values.get(key) or "").strip()
        if required and not text:
            errors.append(_error(number, labels[key], _("This field is required.")))
            continue
        if max_length and len(text) > max_length:
            errors.append(_error(number, labels[key], _("Ensure this value has at most %(max)d characters (it has "
                                                        "%(n)d).") % {"max": max_length, "n": len(text)}))
            continue
        if key in ("sharing_type", "update_cycle") and text:
            value = _words(key).get(text.lower())
            if value is None:
                errors.append(_error(number, labels[key], _("“%(value)s” is not one of the allowed values.")
                                     % {"value": text}))
                continue
            text = value
        fields[key] = text
    code = fields.get("code")
    if code and not CODE_RE.match(code):
        errors.append(_error(number, labels["code"], _("A provincial resource code has letters, digits and / - _ . "
                                                       "only.")))
    elif code in seen:
        errors.append(_error(number, labels["code"], _("Duplicate of row %(row)d.") % {"row": seen[code]}))
    elif code:
        seen[code] = number
    return fields if len(errors) == before else None


def parse(filename: str, data: bytes) -> tuple[list[dict], list[dict]]:
    """Every row of the file validated: (the rows' fields, errors by row and column)."""
    if filename.lower().endswith(".json"):
        rows, errors = _json_rows(data)
        if not rows and not errors:
            raise ImportFileError(_("The file is empty."))
        return _parse_objects(rows, errors)
    if not filename.lower().endswith(".xlsx"):
        raise ImportFileError(_("Upload an .xlsx or .json file."))
    header_number, header, rows = _table_rows(filename, data)
    errors: list[dict] = []
    mapping = _columns(header, header_number, errors)
    missing = [k for k, _h, _l, required in COLUMNS if required and k not in mapping.values()]
    errors += [_error(header_number, HEADER[k], _("This required column is missing.")) for k in missing]
    if not rows:
        errors.append(_error(header_number, "", _("The file has no rows below the header.")))
    if errors:
        return [], errors
    labels = {key: title for title, key in mapping.items()} | {k: HEADER[k] for k in FIELDS if k not in
                                                               mapping.values()}
    out, seen = [], {}
    for number, values in rows:
        fields = _validate(number, {mapping[t]: v for t, v in values.items() if t in mapping}, seen, labels, errors)
        if fields is not None:
            out.append(fields)
    return out, errors


def _parse_objects(rows: list[tuple[int, dict]], errors: list[dict]) -> tuple[list[dict], list[dict]]:
    """The JSON file's objects validated, each with its own keys."""
    out, seen = [], {}
    for number, values in rows:
        row_errors: list[dict] = []
        mapping = _columns(list(values), number, row_errors)
        labels = {key: title for title, key in mapping.items()} | {k: k for k in FIELDS if k not in mapping.values()}
        fields = _validate(number, {mapping[t]: v for t, v in values.items() if t in mapping}, seen, labels,
                           row_errors)
        errors += row_errors
        if fields is not None and not row_errors:
            out.append(fields)
    return out, errors


def import_provincial(*, actor, file, filename: str, dry_run: bool) -> dict:
    """Import the provincial catalog from an .xlsx or .json file (`file`: bytes or a file object).

    Returns `{"ok", "created", "updated", "withdrawn", "errors": [{"row", "column", "message"}]}`:
    what was (or, in a dry run, would be) created, changed, and marked withdrawn. Problems with the
    file itself have row 0 and an empty column. 403 without the permission to import."""
    require_permission(actor, ProvincialEntry, "add")
    try:
        rows, errors = parse(filename or "", read_upload(file))
    except ImportFileError as exc:
        return _result(False, [_error(0, "", exc.message)])
    if errors:
        errors.sort(key=lambda e: e["row"])
        return _result(False, errors)
    try:
        return _write(actor, rows, filename=filename or "", dry_run=dry_run)
    except IntegrityError:  # another import created the same new codes between our read and our write
        return _result(False, [_error(0, "", _("Another import of the provincial catalog ran at the same time; "
                                               "import the file again."))])


def _write(actor, rows: list[dict], *, filename: str, dry_run: bool) -> dict:
    """Upsert the validated rows by code and withdraw the entries the file no longer holds."""
    with transaction.atomic():
        existing = {e.code: e for e in ProvincialEntry.objects.select_for_update()}
        new, changed = [], []
        for fields in rows:
            entry = existing.pop(fields["code"], None)
            if entry is None:
                new.append(ProvincialEntry(**fields))
            elif entry.withdrawn or any(getattr(entry, k) != v for k, v in fields.items()):
                for key, value in fields.items():
                    setattr(entry, key, value)
                entry.withdrawn = False
                changed.append(entry)
        gone = [e for e in existing.values() if not e.withdrawn]
        counts = {"created": len(new), "updated": len(changed), "withdrawn": len(gone)}
        if dry_run:
            return _result(True, [], **counts)
        batch = ProvincialImport.objects.create(filename=filename[:200], imported_by=actor, **counts)
        now = timezone.now()
        for entry in new:
            entry.last_import = batch
        ProvincialEntry.objects.bulk_create(new, batch_size=500)
        for entry in changed:
            entry.last_import, entry.updated_at = batch, now
        ProvincialEntry.objects.bulk_update(changed, [*FIELDS[1:], "withdrawn", "last_import", "updated_at"],
                                            batch_size=500)
        ProvincialEntry.objects.filter(pk__in=[e.pk for e in gone]).update(withdrawn=True, last_import=batch,
                                                                          updated_at=now)
        audit.record("catalog.provincialentry.import", audit.Target("catalog.provincialentry", str(batch.pk),
                                                                    batch.filename), changes=counts, actor=actor)
    return _result(True, [], **counts)


def example_rows() -> list[dict]:
    """Two rows for the template (made up, as an illustration)."""
    return [
        {"code": "360000-307000000-00123", "name": "婚姻登记信息", "provider": "江西省民政厅",
         "classification_code": "307",
         "summary": "全省婚姻登记机关办理的结婚、离婚登记信息。", "sharing_type": "有条件共享", "update_cycle": "每日"},
        {"code": "360000-307000000-00045", "name": "社会保险参保信息", "provider": "江西省人力资源和社会保障厅",
         "classification_code": "307", "summary": "全省企业职工和城乡居民社会保险参保登记信息。",
         "sharing_type": "有条件共享", "update_cycle": "每月"},
    ]


def template_xlsx() -> bytes:
    """An .xlsx to fill in: the headers and two example rows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Provincial catalog"))
    ws.append([header for _key, header, _length, _required in COLUMNS])
    for example in example_rows():
        ws.append([example[key] for key in FIELDS])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
