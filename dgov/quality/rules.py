"""Validation of a quality rule against the harvested table it checks (`metadata.MetaColumn`), and the
translation of a stored rule into the engine's `Check` at run time.

Every problem is a translatable message tied to a field (`columns`, `params`, `kind`), raised as one
`dgov.core.errors.ValidationError`. Parameters per kind are those of `dgov.quality.engine`; two are resolved
by the platform rather than stored as values:

- `code_set` rules store `{"code_set": "<standards.CodeSet code>"}`: the set's values are read when the rule
  runs (a set may also be given as literal `values`);
- `reference` rules store `{"table": <MetaTable id or qualified name>, "columns": [...]}` naming another
  harvested table in the same location (database);
- `conformance` rules take no parameters: the column's `standards.DataElement` gives the maximum length,
  pattern, code set values and check-digit rule at run time, and the element's type is compared with the
  column's type family (reported in the result's details).

Custom SQL conditions are a single boolean expression: `;`, comments and statement keywords are refused.
"""

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from dgov.core.errors import ValidationError
from dgov.quality.models import RuleKind
from dgov.standards.models import TYPE_FAMILIES

FORBIDDEN_KEYWORDS = ("insert", "update", "delete", "drop", "alter", "create", "grant", "revoke", "truncate",
                      "copy", "attach", "detach", "pragma", "call", "into", "exec", "execute", "merge", "replace",
                      "load", "vacuum", "analyze", "begin", "commit", "rollback", "savepoint", "set", "lock",
                      "do", "handler", "outfile", "dumpfile", "sleep", "pg_sleep", "benchmark")
_KEYWORD_RE = re.compile(r"\b(" + "|".join(FORBIDDEN_KEYWORDS) + r")\b", re.IGNORECASE)
#: how many columns each kind takes: (minimum, maximum); None = no maximum
ARITY = {RuleKind.COMPLETENESS: (1, 1), RuleKind.UNIQUENESS: (1, None), RuleKind.REGEX: (1, 1),
         RuleKind.RANGE: (1, 1), RuleKind.LENGTH: (1, 1), RuleKind.CODE_SET: (1, 1), RuleKind.ID_NUMBER: (1, 1),
         RuleKind.CREDIT_CODE: (1, 1), RuleKind.REFERENCE: (1, None), RuleKind.CONSISTENCY: (2, 2),
         RuleKind.FRESHNESS: (1, 1), RuleKind.CUSTOM_SQL: (0, 0), RuleKind.CONFORMANCE: (1, 1)}
OPS = ("<", "<=", "=", "!=", ">=", ">")
NULLS = ("any", "all", "none")
TIMEZONES = ("UTC", "Asia/Shanghai")
CONDITION_MAX = 2000
#: element data types (standards.ElementType) → the column type families that conform
class _Errors(dict):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)


def custom_sql_problem(condition: str) -> str | None:
    """Why a custom SQL condition is refused, or None."""
    text = (condition or "").strip()
    if not text:
        return _("Enter the condition that is true for a failing row.")
    if len(text) > CONDITION_MAX:
        return _("The condition is too long (at most %(max)d characters).") % {"max": CONDITION_MAX}
    if ";" in text:
        return _("A condition cannot contain “;”: write one expression, not statements.")
    if "--" in text or "/*" in text or "*/" in text or "#" in text:
        return _("A condition cannot contain comments (“--”, “/*”, “#”).")
    found = _KEYWORD_RE.search(_strip_literals(text))
    if found:
        return _("A condition cannot contain the statement keyword “%(word)s”.") % {"word": found.group(1).lower()}
    return None


def _strip_literals(text: str) -> str:
    """The condition with its quoted string literals blanked (a keyword inside a literal is data)."""
    return re.sub(r"'(?:[^']|'')*'", "''", text)


def _number(value):
    if isinstance(value, bool):
        raise InvalidOperation
    return Decimal(str(value))


def _columns_of(table) -> dict:
    return {c.name: c for c in table.columns.filter(dropped_at__isnull=True)}


def resolve_table(ref, *, location: str | None = None):
    """A harvested table (not dropped) by id or qualified name (`datastore/ds_x`, `source-3/public.t`)."""
    from dgov.metadata.models import MetaTable

    qs = MetaTable.objects.filter(dropped_at__isnull=True)
    if location is not None:
        qs = qs.filter(location=location)
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
        return qs.filter(pk=int(ref)).first()
    if not isinstance(ref, str) or "/" not in ref:
        return None
    loc, _sep, rest = ref.strip().partition("/")
    schema, _dot, name = rest.rpartition(".")
    return qs.filter(location=loc, schema=schema, name=name).first()


def validate(*, table, kind: str, columns, params) -> tuple[list[str], dict]:
    """Check a rule's kind, columns and params against `table`'s harvested columns; returns them
    normalised (params of a reference hold the table's id), or raises ValidationError with per-field
    messages."""
    errors = _Errors()
    if kind not in RuleKind.values:
        errors.add("kind", _("Choose a rule type."))
        raise ValidationError(details=errors)
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        errors.add("columns", _("Give the columns as a list of names."))
        raise ValidationError(details=errors)
    if not isinstance(params, dict):
        errors.add("params", _("The parameters must be a JSON object."))
        raise ValidationError(details=errors)
    columns = [c.strip() for c in columns if c.strip()]
    known = _columns_of(table)
    low, high = ARITY[kind]
    if len(columns) < low or (high is not None and len(columns) > high):
        if high == 0:
            errors.add("columns", _("This rule type takes no columns."))
        elif low == high:
            errors.add("columns", _("This rule type takes exactly %(n)d column(s).") % {"n": low})
        else:
            errors.add("columns", _("Choose at least %(n)d column(s).") % {"n": low})
    if len(set(columns)) != len(columns):
        errors.add("columns", _("A column is named twice."))
    for name in columns:
        if name not in known:
            errors.add("columns", _("The table has no column “%(name)s”.") % {"name": name})
    params = dict(params)
    check = getattr(_Params, kind)
    check(params, errors, table=table, columns=columns, known=known)
    if errors:
        raise ValidationError(details=dict(errors))
    return columns, params


class _Params:
    """Per-kind checks of `params` (they may normalise it in place)."""

    @staticmethod
    def _only(params, errors, allowed):
        extra = sorted(set(params) - set(allowed))
        if extra:
            errors.add("params", _("Unknown parameters: %(names)s.") % {"names": ", ".join(extra)})

    @classmethod
    def completeness(cls, params, errors, **kw):
        cls._only(params, errors, ("empty_is_missing", "trim"))
        for name in ("empty_is_missing", "trim"):
            if name in params and not isinstance(params[name], bool):
                errors.add("params", _("“%(name)s” must be true or false.") % {"name": name})

    @classmethod
    def uniqueness(cls, params, errors, **kw):
        cls._only(params, errors, ("nulls",))
        if params.get("nulls", "any") not in NULLS:
            errors.add("params", _("“nulls” must be one of: any, all, none."))

    @classmethod
    def regex(cls, params, errors, **kw):
        cls._only(params, errors, ("pattern",))
        pattern = params.get("pattern")
        if not isinstance(pattern, str) or not pattern:
            errors.add("params", _("Enter the regular expression (“pattern”)."))
            return
        try:
            re.compile(pattern)
        except re.error as exc:
            errors.add("params", _("The regular expression is not valid: %(error)s") % {"error": exc})

    @classmethod
    def range(cls, params, errors, *, known, columns, **kw):
        cls._only(params, errors, ("min", "max"))
        if "min" not in params and "max" not in params:
            errors.add("params", _("Give a minimum (“min”), a maximum (“max”) or both."))
            return
        family = known[columns[0]].type_family if columns and columns[0] in known else ""
        bounds = {}
        for name in ("min", "max"):
            if name not in params:
                continue
            value = params[name]
            if family in ("date", "datetime"):
                import datetime as dt

                try:
                    bounds[name] = dt.datetime.fromisoformat(str(value))
                except ValueError:
                    errors.add("params", _("“%(name)s” must be an ISO date (YYYY-MM-DD) for a date column.")
                               % {"name": name})
            else:
                try:
                    bounds[name] = _number(value)
                except (InvalidOperation, ValueError, TypeError):
                    errors.add("params", _("“%(name)s” must be a number.") % {"name": name})
        if len(bounds) == 2 and bounds["min"] > bounds["max"]:
            errors.add("params", _("The minimum is greater than the maximum."))

    @classmethod
    def length(cls, params, errors, **kw):
        cls._only(params, errors, ("min", "max"))
        if "min" not in params and "max" not in params:
            errors.add("params", _("Give a minimum (“min”), a maximum (“max”) or both."))
        for name in ("min", "max"):
            if name in params and (not isinstance(params[name], int) or isinstance(params[name], bool)
                                   or params[name] < 0):
                errors.add("params", _("“%(name)s” must be a whole number, 0 or more.") % {"name": name})
        if isinstance(params.get("min"), int) and isinstance(params.get("max"), int) \
                and params["min"] > params["max"]:
            errors.add("params", _("The minimum is greater than the maximum."))

    @classmethod
    def code_set(cls, params, errors, **kw):
        from dgov.standards.models import CodeSet

        cls._only(params, errors, ("code_set", "values"))
        if "code_set" in params:
            if not CodeSet.objects.filter(code=params["code_set"]).exists():
                errors.add("params", _("There is no code set “%(code)s”.") % {"code": params["code_set"]})
        elif "values" in params:
            values = params["values"]
            if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
                errors.add("params", _("“values” must be a non-empty list of codes."))
        else:
            errors.add("params", _("Name the code set (“code_set”) the values must belong to."))

    @classmethod
    def id_number(cls, params, errors, **kw):
        cls._only(params, errors, ())

    credit_code = id_number
    conformance = id_number

    @classmethod
    def reference(cls, params, errors, *, table, columns, **kw):
        cls._only(params, errors, ("table", "columns"))
        target = resolve_table(params.get("table"), location=table.location) if params.get("table") else None
        if target is None:
            errors.add("params", _("Name the referenced table (“table”): another harvested table of the same "
                                   "database."))
            return
        ref_columns = params.get("columns") or []
        if not isinstance(ref_columns, list) or len(ref_columns) != len(columns):
            errors.add("params", _("List as many referenced columns (“columns”) as checked columns."))
            return
        target_columns = _columns_of(target)
        for name in ref_columns:
            if name not in target_columns:
                errors.add("params", _("The table %(table)s has no column “%(name)s”.")
                           % {"table": target.qualified_name, "name": name})
        params["table"] = target.pk

    @classmethod
    def consistency(cls, params, errors, **kw):
        cls._only(params, errors, ("op",))
        if params.get("op") not in OPS:
            errors.add("params", _("“op” must be one of: %(ops)s.") % {"ops": " ".join(OPS)})

    @classmethod
    def freshness(cls, params, errors, *, known, columns, **kw):
        cls._only(params, errors, ("max_age_hours", "timezone"))
        try:
            hours = _number(params.get("max_age_hours"))
            if hours <= 0:
                raise InvalidOperation
        except (InvalidOperation, ValueError, TypeError):
            errors.add("params", _("“max_age_hours” must be a number of hours greater than 0."))
        if params.get("timezone", "UTC") not in TIMEZONES:
            errors.add("params", _("“timezone” must be UTC or Asia/Shanghai."))
        if columns and columns[0] in known and known[columns[0]].type_family not in ("date", "datetime"):
            errors.add("columns", _("Timeliness needs a date or date-time column."))

    @classmethod
    def custom_sql(cls, params, errors, **kw):
        cls._only(params, errors, ("condition",))
        problem = custom_sql_problem(params.get("condition") if isinstance(params.get("condition"), str) else "")
        if problem:
            errors.add("params", problem)


def conformance_params(column) -> tuple[dict, dict]:
    """The engine params of a conformance rule from the column's data element, and the type check
    ({"element_type", "column_type", "type_ok"}) reported in the details."""
    element = column.element if column is not None else None
    if element is None:
        return {}, {"element": None}
    params = {}
    if element.max_length:
        params["max_length"] = element.max_length
    if element.pattern:
        params["pattern"] = element.pattern
    if element.code_set_id:
        params["values"] = list(element.code_set.values.values_list("code", flat=True))
    if element.check_digit in ("id_number", "credit_code"):
        params["check_digit"] = element.check_digit
    allowed = TYPE_FAMILIES.get(element.data_type, {element.data_type})
    return params, {"element": element.identifier, "element_type": element.data_type,
                    "column_type": column.type_family, "type_ok": column.type_family in allowed}
