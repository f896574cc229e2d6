"""Bulk import of existing physical licences (存量证照) of one type at one issuing department, from .xlsx or
.csv: every row is checked first (errors by row and column, in the reader's language) and nothing is
written unless every row passes; a dry run only checks. Each imported licence is numbered, rendered and
sealed like any other, with source "import". A downloadable template has the columns: the holder, the
physical licence's number and dates, then the type's own fields (by their labels; their keys are accepted
too)."""

import datetime as dt
import io

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from dgov.core import audit
from dgov.core.errors import DgovError
from dgov.core.importexport import ImportFileError, ImportResult, RowError, read_rows, xlsx_response
from dgov.core.permissions import require_in_scope, require_permission
from dgov.licenses import metadata, services
from dgov.licenses.models import License, LicenseStatus, Source

MAX_ROWS = 500
#: the fixed columns: (name, label, required)
FIXED = [
    ("holder_name", gettext_lazy("Holder's name"), True),
    ("holder_code", gettext_lazy("Holder's code"), True),
    ("physical_number", gettext_lazy("Physical licence number"), True),
    ("issued_on", gettext_lazy("Issued on"), True),
    ("valid_from", gettext_lazy("Valid from"), False),
    ("valid_until", gettext_lazy("Valid until"), False),
]
DATES = {"issued_on", "valid_from", "valid_until"}


class LicenseImporter:
    def __init__(self, actor, license_type, issuer):
        self.actor, self.license_type, self.issuer = actor, license_type, issuer

    def columns(self) -> list[tuple[str, str, bool]]:
        """(name, label in the active language, required) of every column."""
        fixed = [(name, str(label), required) for name, label, required in FIXED]
        return fixed + [(f"fields.{f['key']}", f["label"], bool(f.get("required")))
                        for f in metadata.ordered(self.license_type)]

    def _header_names(self) -> dict[str, str]:
        """Accepted header text (labels in every language, names, field keys) → column name."""
        from django.conf import settings

        names = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                for name, label, _required in self.columns():
                    names[label] = name
        for name, _label, _required in self.columns():
            names[name] = name
            names[name.removeprefix("fields.")] = name
        return names

    def template(self):
        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append([label for _name, label, _required in self.columns()])
        out = io.BytesIO()
        wb.save(out)
        return xlsx_response(out.getvalue(), f"licences-{self.license_type.code}-template.xlsx")

    def run(self, name: str, data: bytes, *, dry_run: bool) -> ImportResult:
        require_permission(self.actor, License, "add")
        require_in_scope(self.actor, "add", License(issuer=self.issuer))
        problems = services.issuing_problems(self.license_type, self.issuer)
        if problems:
            raise ImportFileError(" ".join(m for messages in problems.values() for m in messages))
        rows = read_rows(name, data)
        if len(rows) - 1 > MAX_ROWS:
            raise ImportFileError(_("Import at most %(n)d licences at once; split the file.") % {"n": MAX_ROWS})
        result = ImportResult(total=len(rows) - 1)
        columns, labels = self._map_header(rows[0], result)
        if result.errors:
            return result
        drafts, seen = [], {}
        for number, row in rows[1:]:
            values = {column: (row[i] if i < len(row) else "") for i, column in columns.items()}
            draft = self._check_row(number, values, labels, seen, result)
            if draft is not None:
                drafts.append((number, draft))
        if result.errors or dry_run:
            return result
        with transaction.atomic():
            for number, draft in drafts:
                try:
                    with transaction.atomic():
                        services.write(draft, actor=self.actor, source=Source.IMPORT)
                except DgovError as exc:
                    result.errors.extend(RowError(number, _("(row)"), s) for s in exc.sentences())
                    transaction.set_rollback(True)
                    return result
                result.created += 1
            audit.record("licenses.license.import", audit.Target("licenses.license", "", name[:200]), changes={
                "type": self.license_type.code, "issuer": self.issuer.code, "created": result.created},
                actor=self.actor)
            result.committed = True
        return result

    def _map_header(self, header: tuple[int, list[str]], result: ImportResult) -> tuple[dict, dict]:
        number, cells = header
        known = self._header_names()
        labels = {name: label for name, label, _required in self.columns()}
        columns = {}
        for i, title in enumerate(cells):
            if not title:
                continue
            name = known.get(title)
            if name is None:
                result.errors.append(RowError(number, title, _("Unknown column.")))
            elif name in columns.values():
                result.errors.append(RowError(number, title, _("This column appears twice.")))
            else:
                columns[i] = name
        for name, label, required in self.columns():
            if required and name not in columns.values():
                result.errors.append(RowError(number, label, _("This required column is missing.")))
        return columns, labels

    def _check_row(self, number: int, values: dict, labels: dict, seen: dict, result: ImportResult):
        errors: dict[str, list[str]] = {}
        dates = {}
        for name in DATES:
            text = (values.get(name) or "").strip()
            if text:
                try:
                    dates[name] = dt.date.fromisoformat(text[:10])
                except ValueError:
                    errors[name] = [_("Enter a date as YYYY-MM-DD.")]
        physical = (values.get("physical_number") or "").strip()
        if physical in seen:
            errors["physical_number"] = [_("Duplicate of row %(row)d.") % {"row": seen[physical]}]
        elif physical and License.objects.filter(license_type=self.license_type, issuer=self.issuer,
                                                 physical_number=physical).exclude(
                status=LicenseStatus.CHANGED).exists():
            errors["physical_number"] = [_("A licence with this number was already issued or imported.")]
        seen.setdefault(physical, number)
        fields = {name.removeprefix("fields."): value for name, value in values.items() if name.startswith("fields.")}
        draft = None
        try:
            draft = services.prepare(
                actor=self.actor, license_type=self.license_type, issuer=self.issuer,
                holder_kind=self.license_type.holder_kind, holder_code=values.get("holder_code", ""),
                holder_name=values.get("holder_name", ""), fields=fields, physical_number=physical,
                issued_on=dates.get("issued_on"), valid_from=dates.get("valid_from"),
                valid_until=dates.get("valid_until"), check_scope=False)
        except DgovError as exc:
            for name, messages in (exc.details if isinstance(exc.details, dict) else {}).items():
                errors.setdefault(name, []).extend(messages if isinstance(messages, list) else [messages])
            if not exc.details:
                errors.setdefault("", []).append(str(exc.message))
        for name, messages in errors.items():
            column = labels.get(name) or labels.get(f"fields.{name}") or _("(row)")
            result.errors.extend(RowError(number, column, str(m)) for m in messages)
        return None if errors else draft
