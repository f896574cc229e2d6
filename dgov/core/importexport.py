"""One spreadsheet importer and exporter for every list (.xlsx and .csv).

Import validates every row before anything is kept: the whole file runs through the model's form
and its write service inside one transaction, each row in a savepoint, so rows may refer to rows
above them (a department and its parent); any error, or a dry run, rolls everything back. Errors
are reported by row and column, in the UI language.

Export writes the table's columns; cells that a spreadsheet would run as a formula are quoted.
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from dgov.core import audit
from dgov.core.errors import DgovError
from dgov.core.services import save_object

MAX_ROWS = 20000
MAX_BYTES = 10 * 1024 * 1024
MAX_UNPACKED = 60 * 1024 * 1024  # what an .xlsx's parts may unpack to (a zip bomb is refused unread)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ImportFileError(DgovError):
    code = "import_file"


def unquote(text: str) -> str:
    """Undo the export's quoting of formula-like cells, so an exported file imports unchanged."""
    return text[1:] if text[:1] == "'" and text[1:2] and text[1] in _FORMULA_START else text


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores codes typed as numbers as floats
    if hasattr(value, "date") and hasattr(value, "hour") and not (value.hour or value.minute or value.second):
        value = value.date()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return unquote(str(value).strip())


def read_upload(file) -> bytes:
    """An upload's bytes (`file`: bytes or a file object), at most MAX_BYTES + 1 of them: enough
    for `read_rows` to tell a file that is too large without reading all of it."""
    if isinstance(file, (bytes, bytearray)):
        return bytes(file)
    if hasattr(file, "seek"):
        try:
            file.seek(0)
        except (OSError, ValueError):
            pass
    return file.read(MAX_BYTES + 1)


def check_unpacked(data: bytes) -> None:
    """Refuse an .xlsx whose parts unpack to more than MAX_UNPACKED, before openpyxl opens it. (The
    zip directory's sizes bound what is read: Python's zipfile never unpacks more of a part than
    its stated size.)"""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a workbook at all: opening it says so
    if unpacked > MAX_UNPACKED:
        raise ImportFileError(_("The workbook unpacks to more than %(mb)d MB; split it into smaller files.")
                              % {"mb": MAX_UNPACKED // (1024 * 1024)})


def _too_many_rows() -> ImportFileError:
    return ImportFileError(_("The file has more than %(n)d rows.") % {"n": MAX_ROWS})


def read_rows(name: str, data: bytes) -> list[tuple[int, list[str]]]:
    """The non-empty rows of an .xlsx or .csv upload as (spreadsheet row number, cells as text),
    header row first. Numbers are those the user sees, blank rows included. Reading stops as soon
    as the file holds more than MAX_ROWS rows below the header."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than 10 MB."))
    lower = name.lower()
    if lower.endswith(".xlsx"):
        check_unpacked(data)
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a corrupt or non-xlsx file
            raise ImportFileError(_("The file could not be read as an Excel (.xlsx) workbook.")) from exc
        try:
            rows = wb.worksheets[0].iter_rows(values_only=True)
            numbered = numbered_rows([cell_text(v) for v in row] for row in rows)
        finally:
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
        numbered = numbered_rows([unquote(c.strip()) for c in row] for row in csv.reader(io.StringIO(text)))
    else:
        raise ImportFileError(_("Upload an .xlsx or .csv file."))
    if not numbered:
        raise ImportFileError(_("The file is empty."))
    return numbered


def numbered_rows(rows) -> list[tuple[int, list[str]]]:
    """The non-empty rows with their numbers, refusing the file once it passes MAX_ROWS."""
    numbered = []
    for number, row in enumerate(rows, start=1):
        if any(c for c in row):
            numbered.append((number, row))
            if len(numbered) - 1 > MAX_ROWS:
                raise _too_many_rows()
    return numbered


def read_table(name: str, data: bytes) -> list[list[str]]:
    """Rows of cells (as text) from an .xlsx or .csv upload, header row first, blank rows left out."""
    return [row for _number, row in read_rows(name, data)]


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


def _in_each_language(func) -> set[str]:
    """`func()` evaluated in every UI language (headers, choice labels and yes/no words are
    accepted in any of them)."""
    values = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            values.add(str(func()))
    return values


class Importer:
    """Declare `model`, `form_class` (a ModelForm; its field labels are the column headers, and
    field names are accepted too), an optional natural `key` for updating existing rows, the
    `save(actor=, instance=)` service that writes one object, and optionally the list's `table`,
    whose export-only columns (e.g. a region's name beside its code) are then ignored, so that an
    exported file imports again.

    Cells may hold a choice's label as well as its value, and yes/no words for check boxes.
    Optional columns left out of the file keep the object's current values (new objects: the
    model's defaults)."""

    model = None
    form_class = None
    key: str | None = None
    save = staticmethod(save_object)
    table = None

    def __init__(self, actor):
        self.actor = actor

    def headers(self) -> dict[str, str]:
        """Accepted header text → form field name."""
        mapping = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                for name, f in self.form_class().fields.items():
                    mapping[name] = name
                    mapping[str(f.label)] = name
        return mapping

    def ignored_headers(self) -> set[str]:
        """Headers of the list export that are not import columns."""
        if self.table is None:
            return set()
        known = self.headers()
        ignored = set()
        for column in self.table.columns:
            if column.export:
                ignored |= _in_each_language(lambda column=column: column.header)
        return ignored - set(known)

    def template_headers(self) -> list[str]:
        form = self.form_class()
        return [str(f.label) for f in form.fields.values()]

    def _map_header(self, header_row: list[str], number: int = 1) -> tuple[dict[int, str], list[RowError]]:
        known, ignored = self.headers(), self.ignored_headers()
        columns, errors = {}, []
        for i, title in enumerate(header_row):
            if not title or title in ignored:
                continue
            if title not in known:
                errors.append(RowError(number, title, _("Unknown column.")))
            elif known[title] in columns.values():
                errors.append(RowError(number, title, _("This column appears twice.")))
            else:
                columns[i] = known[title]
        required = [n for n, f in self.form_class().fields.items() if f.required]
        for name in required:
            if name not in columns.values():
                label = str(self.form_class().fields[name].label)
                errors.append(RowError(number, label, _("This required column is missing.")))
        return columns, errors

    def run(self, name: str, data: bytes, *, dry_run: bool) -> ImportResult:
        rows = read_rows(name, data)
        header_number, header = rows[0]
        columns, header_errors = self._map_header(header, header_number)
        result = ImportResult(total=len(rows) - 1, errors=header_errors)
        if header_errors:
            return result
        labels = {n: str(f.label) for n, f in self.form_class().fields.items()}
        words = self._words()
        seen_keys: dict[str, int] = {}
        with transaction.atomic():
            for number, row in rows[1:]:
                values = {field: (row[i] if i < len(row) else "") for i, field in columns.items()}
                self._import_row(number, values, labels, seen_keys, result, words)
            result.committed = result.ok and not dry_run
            if result.committed:
                audit.record(f"{self.model._meta.label_lower}.import", audit.Target(
                    self.model._meta.label_lower, "", name[:200]),
                    changes={"created": result.created, "updated": result.updated}, actor=self.actor)
            else:
                transaction.set_rollback(True)
        return result

    def _words(self) -> dict:
        """Cell text → form value, per field: choice labels, and yes/no for check boxes."""
        yes = {"1", "true", "y", "yes", "t", "√", "✓"} | {w.lower() for w in _in_each_language(lambda: _("yes"))}
        no = {"0", "false", "n", "no", "f", "×"} | {w.lower() for w in _in_each_language(lambda: _("no"))}
        words = {}
        for name, f in self.form_class().fields.items():
            if isinstance(f, forms.BooleanField):
                words[name] = {**{w: "true" for w in yes}, **{w: "false" for w in no}}
            elif isinstance(f, forms.ChoiceField) and not isinstance(f, forms.ModelChoiceField):
                mapping = {}
                for value, label in f.choices:
                    if isinstance(label, (list, tuple)):  # option groups
                        continue
                    for text in _in_each_language(lambda label=label: label):
                        mapping[text.lower()] = value
                    mapping[str(value).lower()] = value
                words[name] = mapping
        return words

    def _normalise(self, values: dict, words: dict) -> dict[str, str]:
        """Translate labels and yes/no words in place; returns errors for unclear yes/no cells.
        An empty yes/no cell counts as left out (a check box has no "empty" of its own)."""
        errors = {}
        for name, text in list(values.items()):
            mapping = words.get(name)
            if mapping is None or not isinstance(text, str):
                continue
            key = text.strip().lower()
            boolean = isinstance(self.form_class.base_fields.get(name), forms.BooleanField)
            if key in mapping:
                values[name] = mapping[key]
            elif boolean and not key:
                del values[name]
            elif boolean:
                errors[name] = _("Enter yes or no.")
        return errors

    def _fill_absent(self, values: dict, instance) -> None:
        """Columns the file leaves out keep the object's current values (or the model's defaults)."""
        obj = instance if instance is not None else self.model()
        for name, f in self.form_class.base_fields.items():
            if name in values:
                continue
            try:
                model_field = obj._meta.get_field(name)
            except FieldDoesNotExist:
                continue  # a form-only field: its own initial value applies
            if model_field.many_to_many:
                current = list(getattr(obj, name).all()) if obj.pk else []
            elif model_field.is_relation:
                try:
                    current = getattr(obj, name)
                except ObjectDoesNotExist:
                    current = None
            else:
                current = getattr(obj, model_field.attname)
            values[name] = f.prepare_value(current) if current is not None else ""

    def _import_row(self, number, values, labels, seen_keys, result, words) -> None:
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
        unclear = self._normalise(values, words)
        if unclear:
            result.errors.extend(RowError(number, labels[n], str(m)) for n, m in unclear.items())
            return
        self._fill_absent(values, instance)
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


def safe_cell(text: str) -> str:
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
            writer.writerow([safe_cell(c.text(obj)) for c in columns])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        ext = "csv"
    else:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append(headers)
        for obj in rows:
            ws.append([safe_cell(c.text(obj)) for c in columns])
        out = io.BytesIO()
        wb.save(out)
        response = HttpResponse(out.getvalue(), content_type=XLSX_MIME)
        ext = "xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.{ext}"'
    return response


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    """A workbook as a download named `filename` (with its .xlsx)."""
    response = HttpResponse(data, content_type=XLSX_MIME)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def template_response(importer_cls, *, filename: str) -> HttpResponse:
    """An empty .xlsx with the importer's headers, to fill in."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(importer_cls(None).template_headers())
    out = io.BytesIO()
    wb.save(out)
    return xlsx_response(out.getvalue(), f"{filename}-template.xlsx")
