"""One spreadsheet importer and exporter for every list (.xlsx and .csv).

Import validates every row before anything is kept: the whole file runs through the model's form
and its write service inside one transaction, each row in a savepoint, so rows may refer to rows
above them (a department and its parent); any error, or a dry run, rolls everything back. Errors
are reported by row and column, in the UI language.

Export writes the table's columns; cells that a spreadsheet would run as a formula are quoted.
"""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from dgov.core import audit
from dgov.core.errors import DgovError
from dgov.core.services import save_object

MAX_ROWS = 20000
MAX_BYTES = 10 * 1024 * 1024
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ImportFileError(DgovError):
    code = "import_file"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores codes typed as numbers as floats
    if hasattr(value, "date") and hasattr(value, "hour") and not (value.hour or value.minute or value.second):
        value = value.date()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def read_table(name: str, data: bytes) -> list[list[str]]:
    """Rows of cells (as text) from an .xlsx or .csv upload, header row first."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than 10 MB."))
    lower = name.lower()
    if lower.endswith(".xlsx"):
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a corrupt or non-xlsx file
            raise ImportFileError(_("The file could not be read as an Excel (.xlsx) workbook.")) from exc
        rows = [[_cell(v) for v in row] for row in wb.worksheets[0].iter_rows(values_only=True)]
        wb.close()
    elif lower.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportFileError(_("The CSV file is neither UTF-8 nor GB18030 encoded."))
        rows = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    else:
        raise ImportFileError(_("Upload an .xlsx or .csv file."))
    rows = [r for r in rows if any(c for c in r)]
    if not rows:
        raise ImportFileError(_("The file is empty."))
    if len(rows) - 1 > MAX_ROWS:
        raise ImportFileError(_("The file has more than %(n)d rows.") % {"n": MAX_ROWS})
    return rows


@dataclass
class RowError:
    row: int  # spreadsheet row number (the header is row 1)
    column: str
    message: str


@dataclass
class ImportResult:
    total: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


class Importer:
    """Declare `model`, `form_class` (a ModelForm; its field labels are the column headers, and
    field names are accepted too), an optional natural `key` for updating existing rows, and the
    `save(actor=, instance=)` service that writes one object."""

    model = None
    form_class = None
    key: str | None = None
    save = staticmethod(save_object)

    def __init__(self, actor):
        self.actor = actor

    def headers(self) -> dict[str, str]:
        """Accepted header text → form field name."""
        form = self.form_class()
        mapping = {}
        for name, f in form.fields.items():
            mapping[name] = name
            mapping[str(f.label)] = name
        return mapping

    def template_headers(self) -> list[str]:
        form = self.form_class()
        return [str(f.label) for f in form.fields.values()]

    def _map_header(self, header_row: list[str]) -> tuple[dict[int, str], list[RowError]]:
        known = self.headers()
        columns, errors = {}, []
        for i, title in enumerate(header_row):
            if not title:
                continue
            if title not in known:
                errors.append(RowError(1, title, _("Unknown column.")))
            else:
                columns[i] = known[title]
        required = [n for n, f in self.form_class().fields.items() if f.required]
        for name in required:
            if name not in columns.values():
                label = str(self.form_class().fields[name].label)
                errors.append(RowError(1, label, _("This required column is missing.")))
        return columns, errors

    def run(self, name: str, data: bytes, *, dry_run: bool) -> ImportResult:
        rows = read_table(name, data)
        columns, header_errors = self._map_header(rows[0])
        result = ImportResult(total=len(rows) - 1, errors=header_errors)
        if header_errors:
            return result
        labels = {n: str(f.label) for n, f in self.form_class().fields.items()}
        seen_keys: dict[str, int] = {}
        with transaction.atomic():
            for number, row in enumerate(rows[1:], start=2):
                values = {field: (row[i] if i < len(row) else "") for i, field in columns.items()}
                self._import_row(number, values, labels, seen_keys, result)
            result.committed = result.ok and not dry_run
            if result.committed:
                audit.record(f"{self.model._meta.label_lower}.import", audit.Target(
                    self.model._meta.label_lower, "", name[:200]),
                    changes={"created": result.created, "updated": result.updated}, actor=self.actor)
            else:
                transaction.set_rollback(True)
        return result

    def _import_row(self, number, values, labels, seen_keys, result) -> None:
        instance = None
        if self.key:
            key_value = values.get(self.key, "")
            if key_value in seen_keys:
                result.errors.append(RowError(number, labels[self.key], _(
                    "Duplicate of row %(row)d.") % {"row": seen_keys[key_value]}))
                return
            seen_keys[key_value] = number
            try:
                instance = self.model._default_manager.filter(**{self.key: key_value}).first() if key_value else None
            except (ValueError, DjangoValidationError):
                instance = None  # a malformed key: the form reports it against its column
        form = self.form_class(values, instance=instance)
        if not form.is_valid():
            for fname, messages in form.errors.items():
                column = labels.get(fname, _("(row)"))
                result.errors.extend(RowError(number, column, str(m)) for m in messages)
            return
        try:
            with transaction.atomic():
                type(self).save(actor=self.actor, instance=form.save(commit=False))
        except DgovError as exc:
            details = exc.details if isinstance(exc.details, dict) and exc.details else {"": [exc.message]}
            for fname, messages in details.items():
                for m in messages if isinstance(messages, list) else [messages]:
                    result.errors.append(RowError(number, labels.get(fname, _("(row)")), str(m)))
            return
        except DjangoValidationError as exc:
            result.errors.extend(RowError(number, _("(row)"), str(m)) for m in exc.messages)
            return
        if instance is None:
            result.created += 1
        else:
            result.updated += 1


def _safe(text: str) -> str:
    """Quote a cell a spreadsheet would evaluate (CSV/formula injection)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_response(table_cls, rows, *, fmt: str, filename: str) -> HttpResponse:
    """Export `rows` with `table_cls`'s exportable columns as .xlsx or .csv."""
    columns = [c for c in table_cls.columns if c.export]
    headers = [str(c.header) for c in columns]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # BOM: Excel opens UTF-8 CSV correctly only with it
        writer = csv.writer(buffer)
        writer.writerow(headers)
        for obj in rows:
            writer.writerow([_safe(c.text(obj)) for c in columns])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        ext = "csv"
    else:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append(headers)
        for obj in rows:
            ws.append([_safe(c.text(obj)) for c in columns])
        out = io.BytesIO()
        wb.save(out)
        response = HttpResponse(out.getvalue(), content_type=XLSX_MIME)
        ext = "xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.{ext}"'
    return response


def template_response(importer_cls, *, filename: str) -> HttpResponse:
    """An empty .xlsx with the importer's headers, to fill in."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(importer_cls(None).template_headers())
    out = io.BytesIO()
    wb.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX_MIME)
    response["Content-Disposition"] = f'attachment; filename="{filename}-template.xlsx"'
    return response
