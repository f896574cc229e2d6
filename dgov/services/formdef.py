"""The online application form as data (issue 8, point 3): the language an official writes an
implementation's form in (`Implementation.form`), and everything the platform does with it.

A definition::

    {"version": 1,
     "pages": [{"key": "applicant", "title": "申请人信息",
                "fields": [{"key": "name", "label": "姓名", "type": "text", "required": true,
                            "help": "…", "max_length": 50, "pattern": "…", "prefill": "applicant.name"}]}]}

Field types: text, textarea, date, number, choice, multichoice, yesno, phone (a mainland mobile number),
id_number (GB 11643, with its check digit), email, region (a region code of Yingtan). `choices`
(`[{"value", "label"}]`) belong to choice and multichoice; `min`/`max` to number (numbers) and date
(ISO dates or "today"); `max_length` and `pattern` (a regular expression the whole answer must match) to
text and textarea. `prefill` takes the value from the applicant's verified identity: applicant.name,
applicant.id_number, applicant.phone, enterprise.name, enterprise.credit_code.

One question per page on phones: each page normally holds one field, or a tight group (name and
identity number). Field keys are unique across the whole form: the answers are one flat dict
(field key → value), stored with the case.

Answers are kept as JSON values: text types as strings, number as a number, date as "YYYY-MM-DD",
multichoice as a list of values, yesno as true/false, region as the 12-digit code. An empty answer is
"" ([] for multichoice).

- `validate_definition(form)` → the list of what is wrong with a definition (Chinese), [] when valid;
- `default_form(implementation)` → the applicant-details form used when an implementation defines none
  (`effective_form`);
- `pages(form)`, `page(form, key)`, `fields(form)`, `next_page_key`, `previous_page_key`;
- `clean_answers(form, answers, partial_page=None)` → (cleaned answers, errors) and
  `validate_answers(...)` → errors only (field key → Chinese messages);
- `prefill(form, user)` → the answers known from the applicant's identity;
- `summary(form, answers)` → rows for check-your-answers and the officials' view.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from dgov.core.validators import _halfwidth, mask_id_number, mask_phone, validate_id_number, validate_phone

VERSION = 1
FIELD_TYPES = ("text", "textarea", "date", "number", "choice", "multichoice", "yesno", "phone",
               "id_number", "email", "region")
PREFILLS = ("applicant.name", "applicant.id_number", "applicant.phone", "enterprise.name",
            "enterprise.credit_code")
KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
#: the region field's root: Yingtan city (NBS code)
YINGTAN = "360600000000"

MAX_PAGES = 50
MAX_FIELDS = 200
MAX_CHOICES = 100
#: default and ceiling of max_length
TEXT_MAX = {"text": 200, "textarea": 2000}
TEXT_CEILING = 4000

_FORM_KEYS = {"version", "pages"}
_PAGE_KEYS = {"key", "title", "help", "fields"}
_FIELD_KEYS = {"key", "label", "type", "required", "help", "choices", "min", "max", "max_length", "pattern",
               "prefill"}
_RANGE_TYPES = {"number", "date"}
_TEXT_TYPES = {"text", "textarea"}
_CHOICE_TYPES = {"choice", "multichoice"}


# --- the definition ---------------------------------------------------------------------------------
def _parse_date_bound(value):
    if value == "today":
        return dt.date.today()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate_definition(form) -> list[str]:
    """What is wrong with a form definition, each message in the UI language; [] when it is valid.
    An empty definition ({}) is valid: the implementation then uses `default_form`."""
    if form in (None, {}):
        return []
    if not isinstance(form, dict):
        return [_("The form definition must be a JSON object with “version” and “pages”.")]
    errors: list[str] = []
    unknown = sorted(set(form) - _FORM_KEYS)
    if unknown:
        errors.append(_("The form definition has unknown properties: %(names)s.") % {"names": ", ".join(unknown)})
    if form.get("version", VERSION) != VERSION:
        errors.append(_("The form definition's version must be %(version)d.") % {"version": VERSION})
    page_list = form.get("pages")
    if not isinstance(page_list, list) or not page_list:
        errors.append(_("The form needs at least one page."))
        return errors
    if len(page_list) > MAX_PAGES:
        errors.append(_("A form has at most %(count)d pages.") % {"count": MAX_PAGES})
    page_keys: set[str] = set()
    field_keys: set[str] = set()
    total = 0
    for pi, pg in enumerate(page_list, start=1):
        if not isinstance(pg, dict):
            errors.append(_("Page %(number)d must be an object with “key”, “title” and “fields”.") % {"number": pi})
            continue
        where = _("Page %(number)d (%(key)s)") % {"number": pi, "key": pg.get("key", "?")}
        unknown = sorted(set(pg) - _PAGE_KEYS)
        if unknown:
            errors.append(_("%(where)s: unknown properties: %(names)s.")
                          % {"where": where, "names": ", ".join(unknown)})
        key = pg.get("key")
        if not isinstance(key, str) or not KEY_RE.fullmatch(key):
            errors.append(_("%(where)s: the key must start with a lowercase letter and contain only lowercase "
                            "letters, digits and underscores (at most 40).") % {"where": where})
        elif key in page_keys:
            errors.append(_("%(where)s: the page key “%(key)s” is used twice.") % {"where": where, "key": key})
        else:
            page_keys.add(key)
        if "title" in pg and not isinstance(pg["title"], str):
            errors.append(_("%(where)s: the title must be text.") % {"where": where})
        flds = pg.get("fields")
        if not isinstance(flds, list) or not flds:
            errors.append(_("%(where)s: a page needs at least one question.") % {"where": where})
            continue
        for fi, field in enumerate(flds, start=1):
            total += 1
            errors.extend(_field_errors(field, where, fi, field_keys))
    if total > MAX_FIELDS:
        errors.append(_("A form has at most %(count)d questions.") % {"count": MAX_FIELDS})
    return errors


def _field_errors(field, page_where: str, number: int, seen: set) -> list[str]:
    if not isinstance(field, dict):
        return [_("%(where)s, question %(number)d: a question must be an object with “key”, “label” and "
                  "“type”.") % {"where": page_where, "number": number}]
    where = _("%(page)s, question %(number)d (%(key)s)") % {"page": page_where, "number": number,
                                                            "key": field.get("key", "?")}
    errors = []
    unknown = sorted(set(field) - _FIELD_KEYS)
    if unknown:
        errors.append(_("%(where)s: unknown properties: %(names)s.") % {"where": where, "names": ", ".join(unknown)})
    key = field.get("key")
    if not isinstance(key, str) or not KEY_RE.fullmatch(key):
        errors.append(_("%(where)s: the key must start with a lowercase letter and contain only lowercase "
                        "letters, digits and underscores (at most 40).") % {"where": where})
    elif key in seen:
        errors.append(_("%(where)s: the question key “%(key)s” is used twice; keys must be unique in the "
                        "whole form.") % {"where": where, "key": key})
    else:
        seen.add(key)
    label = field.get("label")
    if not isinstance(label, str) or not label.strip():
        errors.append(_("%(where)s: the question needs a label.") % {"where": where})
    if "help" in field and not isinstance(field["help"], str):
        errors.append(_("%(where)s: the help text must be text.") % {"where": where})
    if "required" in field and not isinstance(field["required"], bool):
        errors.append(_("%(where)s: “required” must be true or false.") % {"where": where})
    ftype = field.get("type")
    if ftype not in FIELD_TYPES:
        errors.append(_("%(where)s: the type “%(type)s” is unknown; use one of %(types)s.")
                      % {"where": where, "type": ftype, "types": ", ".join(FIELD_TYPES)})
        return errors
    # choices
    if ftype in _CHOICE_TYPES:
        choices = field.get("choices")
        if not isinstance(choices, list) or not choices:
            errors.append(_("%(where)s: a choice question needs a list of choices.") % {"where": where})
        elif len(choices) > MAX_CHOICES:
            errors.append(_("%(where)s: at most %(count)d choices.") % {"where": where, "count": MAX_CHOICES})
        else:
            values = set()
            for choice in choices:
                if (not isinstance(choice, dict) or not isinstance(choice.get("value"), str)
                        or not choice["value"].strip() or not isinstance(choice.get("label"), str)
                        or not choice["label"].strip() or set(choice) - {"value", "label"}):
                    errors.append(_("%(where)s: every choice needs a “value” and a “label”, both text.")
                                  % {"where": where})
                    break
                if choice["value"] in values:
                    errors.append(_("%(where)s: the choice value “%(value)s” is used twice.")
                                  % {"where": where, "value": choice["value"]})
                values.add(choice["value"])
    elif "choices" in field:
        errors.append(_("%(where)s: only choice and multichoice questions have choices.") % {"where": where})
    # ranges
    bounds = {}
    for name in ("min", "max"):
        if name not in field:
            continue
        value = field[name]
        if ftype == "number":
            if not _is_number(value):
                errors.append(_("%(where)s: “%(name)s” must be a number.") % {"where": where, "name": name})
            else:
                bounds[name] = value
        elif ftype == "date":
            parsed = _parse_date_bound(value)
            if parsed is None:
                errors.append(_("%(where)s: “%(name)s” must be a date like 2026-01-31 or “today”.")
                              % {"where": where, "name": name})
            else:
                bounds[name] = parsed
        else:
            errors.append(_("%(where)s: only number and date questions have “min” and “max”.") % {"where": where})
    if len(bounds) == 2 and bounds["min"] > bounds["max"]:
        errors.append(_("%(where)s: “min” is greater than “max”.") % {"where": where})
    # text
    if "max_length" in field:
        value = field["max_length"]
        if ftype not in _TEXT_TYPES:
            errors.append(_("%(where)s: only text questions have “max_length”.") % {"where": where})
        elif not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= TEXT_CEILING:
            errors.append(_("%(where)s: “max_length” must be a whole number from 1 to %(max)d.")
                          % {"where": where, "max": TEXT_CEILING})
    if "pattern" in field:
        value = field["pattern"]
        if ftype not in _TEXT_TYPES:
            errors.append(_("%(where)s: only text questions have a “pattern”.") % {"where": where})
        elif not isinstance(value, str) or not value:
            errors.append(_("%(where)s: the pattern must be a regular expression.") % {"where": where})
        else:
            try:
                re.compile(value)
            except re.error as exc:
                errors.append(_("%(where)s: the pattern is not a valid regular expression (%(error)s).")
                              % {"where": where, "error": exc})
    if "prefill" in field and field["prefill"] not in PREFILLS:
        errors.append(_("%(where)s: “prefill” must be one of %(sources)s.")
                      % {"where": where, "sources": ", ".join(PREFILLS)})
    return errors


def default_form(implementation=None) -> dict:
    """The applicant-details form for an implementation that defines none: the applicant's name and
    identity number (or the enterprise's name and credit code and a contact person), a mobile phone,
    and what is applied for."""
    enterprise = getattr(implementation, "service_object", "person") == "enterprise"
    pages_ = []
    if enterprise:
        pages_.append({"key": "enterprise", "title": _("About the enterprise"), "fields": [
            {"key": "enterprise_name", "label": _("Enterprise name"), "type": "text", "required": True,
             "max_length": 200, "prefill": "enterprise.name"},
            {"key": "credit_code", "label": _("Unified social credit code"), "type": "text", "required": True,
             "max_length": 18, "pattern": "[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}",
             "help": _("18 characters, as on the business licence."), "prefill": "enterprise.credit_code"}]})
        pages_.append({"key": "contact", "title": _("Contact person"), "fields": [
            {"key": "contact_name", "label": _("Name of the contact person"), "type": "text", "required": True,
             "max_length": 50, "prefill": "applicant.name"}]})
    else:
        pages_.append({"key": "applicant", "title": _("About you"), "fields": [
            {"key": "name", "label": _("Full name"), "type": "text", "required": True, "max_length": 50,
             "prefill": "applicant.name"},
            {"key": "id_number", "label": _("ID card number"), "type": "id_number", "required": True,
             "help": _("18 characters, as on your resident identity card."), "prefill": "applicant.id_number"}]})
    pages_.append({"key": "phone", "title": _("Mobile phone"), "fields": [
        {"key": "phone", "label": _("Mobile phone number"), "type": "phone", "required": True,
         "help": _("We send you a message when your case moves on."), "prefill": "applicant.phone"}]})
    pages_.append({"key": "details", "title": _("Your application"), "fields": [
        {"key": "details", "label": _("What are you applying for?"), "type": "textarea", "required": False,
         "max_length": 1000, "help": _("Anything the department should know. You can leave this empty.")}]})
    return {"version": VERSION, "pages": pages_}


def effective_form(implementation) -> dict:
    """The implementation's own form, or the default form when it defines none."""
    return implementation.form if implementation.form else default_form(implementation)


# --- pages ------------------------------------------------------------------------------------------
def pages(form) -> list[dict]:
    return list((form or {}).get("pages") or [])


def page(form, key: str) -> dict | None:
    """The page with this key, None when there is none."""
    return next((pg for pg in pages(form) if pg.get("key") == key), None)


def page_keys(form) -> list[str]:
    return [pg["key"] for pg in pages(form)]


def next_page_key(form, key: str) -> str | None:
    keys = page_keys(form)
    i = keys.index(key) if key in keys else -1
    return keys[i + 1] if 0 <= i < len(keys) - 1 else None


def previous_page_key(form, key: str) -> str | None:
    keys = page_keys(form)
    i = keys.index(key) if key in keys else -1
    return keys[i - 1] if i > 0 else None


def fields(form, *, page_key: str | None = None) -> list[dict]:
    """The questions of the form (or of one page), in order."""
    if page_key is not None:
        pg = page(form, page_key)
        return list(pg.get("fields") or []) if pg else []
    return [f for pg in pages(form) for f in pg.get("fields") or []]


def page_of_field(form, field_key: str) -> str | None:
    for pg in pages(form):
        if any(f.get("key") == field_key for f in pg.get("fields") or []):
            return pg["key"]
    return None


# --- regions ----------------------------------------------------------------------------------------
def region_choices() -> list[tuple[str, str]]:
    """(code, name) of Yingtan, its counties and townships, in code order, the township names led by
    their county's."""
    from dgov.orgs.models import Region

    rows = list(Region.objects.filter(path__startswith=f"360000000000/{YINGTAN}/")
                .exclude(level="village").order_by("code").values_list("code", "name", "level", "parent__name"))
    city = Region.objects.filter(code=YINGTAN).values_list("name", flat=True).first()
    out = [(YINGTAN, city)] if city else []
    for code, name, level, parent in rows:
        out.append((code, name if level != "township" else f"{parent} {name}"))
    return out


def _region_name(code: str) -> str | None:
    from dgov.orgs.models import Region

    row = Region.objects.filter(code=code).values_list("name", "path", "parent__name", "level").first()
    if row is None or f"{YINGTAN}/" not in row[1] or row[3] == "village":
        return None
    return row[0] if row[3] != "township" else f"{row[2]} {row[0]}"


# --- answers ----------------------------------------------------------------------------------------
def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, (list, tuple))
                                                                                 and not value)


def _label(field) -> str:
    return field.get("label") or field.get("key", "")


def clean_answer(field: dict, value):
    """(cleaned value, [errors]) of one answer to one question."""
    ftype, label = field.get("type"), _label(field)
    if ftype == "multichoice" and isinstance(value, str):
        value = [value] if value.strip() else []
    if _empty(value):
        if field.get("required"):
            if ftype in _CHOICE_TYPES or ftype == "region":
                return ([] if ftype == "multichoice" else ""), [_("Select %(label)s.") % {"label": label}]
            if ftype == "yesno":
                return "", [_("Select yes or no for %(label)s.") % {"label": label}]
            return "", [_("Enter %(label)s.") % {"label": label}]
        return ([] if ftype == "multichoice" else ""), []
    try:
        return _CLEANERS[ftype](field, value, label), []
    except DjangoValidationError as exc:
        return value, list(exc.messages)


def _fail(message: str):
    raise DjangoValidationError(message)


def _clean_text(field, value, label):
    if not isinstance(value, str):
        value = str(value)
    value = value.strip().replace("\r\n", "\n")
    limit = field.get("max_length") or TEXT_MAX.get(field["type"], 200)
    if len(value) > limit:
        _fail(_("%(label)s must be %(max)d characters or fewer.") % {"label": label, "max": limit})
    if field.get("pattern") and not re.fullmatch(field["pattern"], _halfwidth(value)):
        _fail(_("%(label)s is not in the expected format.") % {"label": label})
    return value


def _clean_number(field, value, label):
    if isinstance(value, bool):
        _fail(_("%(label)s must be a number.") % {"label": label})
    try:
        number = Decimal(_halfwidth(str(value)).strip().replace(",", ""))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        _fail(_("%(label)s must be a number.") % {"label": label})
    if "min" in field and number < Decimal(str(field["min"])):
        _fail(_("%(label)s must be %(min)s or more.") % {"label": label, "min": field["min"]})
    if "max" in field and number > Decimal(str(field["max"])):
        _fail(_("%(label)s must be %(max)s or less.") % {"label": label, "max": field["max"]})
    return int(number) if number == number.to_integral_value() else float(number)


def _clean_date(field, value, label):
    text = _halfwidth(str(value)).strip().replace("/", "-").replace(".", "-")
    try:
        parts = [int(p) for p in text.split("-")]
        day = dt.date(*parts) if len(parts) == 3 else None
    except (ValueError, TypeError):
        day = None
    if day is None:
        _fail(_("%(label)s must be a real date, like 2026-03-18.") % {"label": label})
    low, high = _parse_date_bound(field.get("min")), _parse_date_bound(field.get("max"))
    if low and day < low:
        _fail(_("%(label)s must be on or after %(date)s.") % {"label": label, "date": low.isoformat()})
    if high and day > high:
        _fail(_("%(label)s must be on or before %(date)s.") % {"label": label, "date": high.isoformat()})
    return day.isoformat()


def _clean_choice(field, value, label):
    values = [c["value"] for c in field.get("choices") or []]
    if str(value) not in values:
        _fail(_("Select one of the options for %(label)s.") % {"label": label})
    return str(value)


def _clean_multichoice(field, value, label):
    values = [c["value"] for c in field.get("choices") or []]
    chosen = {str(v) for v in value} if isinstance(value, (list, tuple)) else {str(value)}
    if chosen - set(values):
        _fail(_("Select only the options offered for %(label)s.") % {"label": label})
    return [v for v in values if v in chosen]


_YES = {"yes", "true", "1", "y", "是"}
_NO = {"no", "false", "0", "n", "否"}


def _clean_yesno(field, value, label):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    _fail(_("Select yes or no for %(label)s.") % {"label": label})


def _clean_phone(field, value, label):
    return validate_phone(str(value))


def _clean_id_number(field, value, label):
    return validate_id_number(str(value))


def _clean_email(field, value, label):
    text = _halfwidth(str(value)).strip()
    try:
        if len(text) > 254:
            raise DjangoValidationError("")
        validate_email(text)
    except DjangoValidationError:
        _fail(_("Enter an e-mail address in the correct format, like name@example.com."))
    return text


def _clean_region(field, value, label):
    code = _halfwidth(str(value)).strip()
    if re.fullmatch(r"\d{6}|\d{9}|\d{12}", code):
        code = code.ljust(12, "0")
        if _region_name(code):
            return code
    _fail(_("Select a region of Yingtan for %(label)s.") % {"label": label})


_CLEANERS = {"text": _clean_text, "textarea": _clean_text, "number": _clean_number, "date": _clean_date,
             "choice": _clean_choice, "multichoice": _clean_multichoice, "yesno": _clean_yesno,
             "phone": _clean_phone, "id_number": _clean_id_number, "email": _clean_email, "region": _clean_region}


def clean_answers(form, answers: dict, *, partial_page: str | None = None) -> tuple[dict, dict[str, list[str]]]:
    """The answers to the form's questions (to one page's with `partial_page`), cleaned, and the errors
    per question key. Answers to keys the form does not ask are dropped."""
    answers = answers or {}
    cleaned: dict = {}
    errors: dict[str, list[str]] = {}
    for field in fields(form, page_key=partial_page):
        key = field.get("key")
        value, errs = clean_answer(field, answers.get(key))
        if errs:
            errors[key] = errs
        else:
            cleaned[key] = value
    return cleaned, errors


def validate_answers(form, answers: dict, *, partial_page: str | None = None) -> dict[str, list[str]]:
    """Question key → messages (in the UI language) of what is wrong with the answers: the whole form,
    or one page's questions with `partial_page`. {} when all is well."""
    return clean_answers(form, answers, partial_page=partial_page)[1]


def pages_with_errors(form, answers: dict) -> list[str]:
    """The keys of the pages whose answers are not (yet) valid, in order."""
    errors = validate_answers(form, answers)
    return [pg["key"] for pg in pages(form) if any(f.get("key") in errors for f in pg.get("fields") or [])]


# --- prefill ----------------------------------------------------------------------------------------
def identity_values(user) -> dict[str, str]:
    """The prefill sources known for `user`: name and phone from the account; the identity number only
    when the identity is verified (实名核验); the enterprise's name and credit code when verified."""
    values: dict[str, str] = {}
    if user is None or not getattr(user, "is_authenticated", False):
        return values
    if getattr(user, "real_name", ""):
        values["applicant.name"] = user.real_name
    if getattr(user, "phone", ""):
        values["applicant.phone"] = user.phone
    kind = getattr(user, "kind", "")
    if kind == "citizen":
        person = getattr(user, "person", None)
        if person is not None and person.verified and person.id_number:
            values["applicant.id_number"] = person.id_number
    elif kind == "enterprise":
        enterprise = getattr(user, "enterprise", None)
        if enterprise is not None and enterprise.verified:
            values["enterprise.name"] = enterprise.name
            values["enterprise.credit_code"] = enterprise.credit_code
    return values


def prefill(form, user) -> dict:
    """Answers to the questions that have a `prefill` source the applicant's identity provides."""
    known = identity_values(user)
    return {f["key"]: known[f["prefill"]] for f in fields(form) if f.get("prefill") in known}


# --- check your answers -----------------------------------------------------------------------------
def display_value(field: dict, value, *, mask: bool = False) -> str:
    """An answer as a person reads it (labels for choices, 是/否, the region's name)."""
    ftype = field.get("type")
    if _empty(value) and value is not False:
        return ""
    if ftype == "choice":
        return next((c["label"] for c in field.get("choices") or [] if c["value"] == value), str(value))
    if ftype == "multichoice":
        labels = {c["value"]: c["label"] for c in field.get("choices") or []}
        return "、".join(labels.get(v, str(v)) for v in (value if isinstance(value, list) else [value]))
    if ftype == "yesno":
        cleaned = value if isinstance(value, bool) else str(value).strip().lower() in _YES
        return _("Yes") if cleaned else _("No")
    if ftype == "region":
        return _region_name(str(value)) or str(value)
    if mask and ftype == "id_number":
        return mask_id_number(str(value))
    if mask and ftype == "phone":
        return mask_phone(str(value))
    return str(value)


def summary(form, answers: dict, *, mask: bool = False) -> list[dict]:
    """One row per question, in order: page (key), page_title, key, label, value (as displayed, "" when
    not answered), required, and the page's index for grouping."""
    answers = answers or {}
    rows = []
    for pg in pages(form):
        for field in pg.get("fields") or []:
            key = field.get("key")
            rows.append({"page": pg.get("key"), "page_title": pg.get("title") or "", "key": key,
                         "label": _label(field), "value": display_value(field, answers.get(key), mask=mask),
                         "required": bool(field.get("required"))})
    return rows
