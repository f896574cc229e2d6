"""A licence type's metadata fields (GB/T 36903's 照面信息, the type's own items) and face layout: checking
a type's definition, checking one licence's values against it, and the metadata a sealed file embeds.

A field is `{"key", "label", "kind", "required", "choices"}`: `key` a short ASCII name
(`^[a-z][a-z0-9_]{0,31}$`), `label` what the face and the forms show, `kind` one of text, date (YYYY-MM-DD),
number, choice (then `choices`, a list of texts), `required` true or false. The face is `{"title",
"subtitle", "field_order", "layout"}`: `field_order` lists the keys in the order the face prints them
(keys left out follow in the fields' order)."""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from dgov.licenses.models import FieldKind, HolderKind, Layout

KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_FIELDS = 40
MAX_TEXT = 500
#: the core elements of GB/T 36903 every licence has, whatever its type: a type's own keys may not reuse them
RESERVED = {"identifier", "license_name", "license_type_code", "license_number", "holder", "issuer", "issued_on",
            "valid_from", "valid_until", "version", "previous", "fields", "demo", "status_list"}


def check_definition(fields, face) -> dict[str, list[str]]:
    """Errors of a type's fields and face, by input name ({} when both are fine)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(fields, list) or len(fields) > MAX_FIELDS:
        return {"fields": [_("Give a list of at most %(n)d fields.") % {"n": MAX_FIELDS}]}
    keys = []
    for n, spec in enumerate(fields, start=1):
        problems = _field_problems(spec, keys)
        errors.setdefault("fields", []).extend(_("Field %(n)d: %(problem)s") % {"n": n, "problem": p}
                                               for p in problems)
        if isinstance(spec, dict):
            keys.append(spec.get("key"))
    if not errors.get("fields"):
        errors.pop("fields", None)
    face_errors = _face_problems(face, keys)
    if face_errors:
        errors["face"] = face_errors
    return errors


def _field_problems(spec, keys: list) -> list[str]:
    if not isinstance(spec, dict):
        return [_("a field is an object with key, label, kind, required and choices.")]
    problems = []
    unknown = set(spec) - {"key", "label", "kind", "required", "choices"}
    if unknown:
        problems.append(_("unknown properties: %(names)s.") % {"names": ", ".join(sorted(map(str, unknown)))})
    key = spec.get("key")
    if not isinstance(key, str) or not KEY.match(key):
        problems.append(_("the key is 1 to 32 lower-case letters, digits or _, starting with a letter."))
    elif key in RESERVED:
        problems.append(_("the key %(key)s is one of the licence's own elements.") % {"key": key})
    elif key in keys:
        problems.append(_("the key %(key)s appears twice.") % {"key": key})
    label = spec.get("label")
    if not isinstance(label, str) or not label.strip() or len(label) > 50:
        problems.append(_("the label is 1 to 50 characters."))
    kind = spec.get("kind")
    if kind not in FieldKind.values:
        problems.append(_("the kind is one of text, date, number, choice."))
    if not isinstance(spec.get("required", False), bool):
        problems.append(_("required is true or false."))
    choices = spec.get("choices", [])
    if kind == FieldKind.CHOICE:
        fine = isinstance(choices, list) and choices and len(set(choices)) == len(choices) and all(
            isinstance(c, str) and c.strip() and len(c) <= 100 for c in choices)
        if not fine:
            problems.append(_("a choice field lists its choices: different texts of at most 100 characters."))
    elif choices not in ([], None):
        problems.append(_("only a choice field has choices."))
    return problems


def _face_problems(face, keys: list) -> list[str]:
    if not isinstance(face, dict):
        return [_("The face is an object with title, subtitle, field_order and layout.")]
    problems = []
    unknown = set(face) - {"title", "subtitle", "field_order", "layout"}
    if unknown:
        problems.append(_("Unknown properties: %(names)s.") % {"names": ", ".join(sorted(map(str, unknown)))})
    for name in ("title", "subtitle"):
        if not isinstance(face.get(name, ""), str) or len(face.get(name, "")) > 60:
            problems.append(_("The %(name)s is a text of at most 60 characters.") % {"name": name})
    order = face.get("field_order", [])
    if not isinstance(order, list) or any(k not in keys for k in order) or len(set(order)) != len(order):
        problems.append(_("The field order lists keys of the fields, each once."))
    if face.get("layout", Layout.A4) not in Layout.values:
        problems.append(_("The layout is one of: %(names)s.") % {"names": ", ".join(Layout.values)})
    return problems


def normalise_definition(fields: list, face: dict) -> tuple[list, dict]:
    """The stored form: every property present, texts stripped."""
    out = []
    for spec in fields:
        kind = spec["kind"]
        out.append({"key": spec["key"], "label": spec["label"].strip(), "kind": kind,
                    "required": bool(spec.get("required", False)),
                    "choices": [c.strip() for c in spec.get("choices") or []] if kind == FieldKind.CHOICE else []})
    return out, {"title": (face.get("title") or "").strip(), "subtitle": (face.get("subtitle") or "").strip(),
                 "field_order": list(face.get("field_order") or []), "layout": face.get("layout") or Layout.A4}


def ordered(license_type) -> list[dict]:
    """The type's fields in the face's order."""
    order = (license_type.face or {}).get("field_order") or []
    by_key = {f["key"]: f for f in license_type.fields or []}
    first = [by_key[k] for k in order if k in by_key]
    return first + [f for f in license_type.fields or [] if f["key"] not in order]


def clean_values(license_type, values) -> tuple[dict, dict[str, list[str]]]:
    """One licence's values of the type's fields: (the cleaned values, errors by key). Dates become
    YYYY-MM-DD, numbers their plain text; unknown keys are errors."""
    cleaned, errors = {}, {}
    if not isinstance(values, dict):
        return {}, {"fields": [_("Give the licence data as an object of field keys and values.")]}
    known = {f["key"] for f in license_type.fields or []}
    for key in sorted(set(values) - known):
        errors[str(key)[:40]] = [_("The licence type has no such field.")]
    for spec in license_type.fields or []:
        raw = values.get(spec["key"])
        text = "" if raw is None else str(raw).strip()
        if not text:
            if spec.get("required"):
                errors[spec["key"]] = [_("%(label)s is required.") % {"label": spec["label"]}]
            continue
        value, problem = _clean_value(spec, raw, text)
        if problem:
            errors[spec["key"]] = [problem]
        else:
            cleaned[spec["key"]] = value
    return cleaned, errors


def _clean_value(spec: dict, raw, text: str) -> tuple[str, str | None]:
    kind, label = spec["kind"], spec["label"]
    if kind == FieldKind.DATE:
        if isinstance(raw, dt.date):
            return (raw.date() if isinstance(raw, dt.datetime) else raw).isoformat(), None
        try:
            return dt.date.fromisoformat(text).isoformat(), None
        except ValueError:
            return "", _("%(label)s: enter a date as YYYY-MM-DD.") % {"label": label}
    if kind == FieldKind.NUMBER:
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            return "", _("%(label)s: enter a number.") % {"label": label}
        if not number.is_finite() or abs(number) >= Decimal(10) ** 15:
            return "", _("%(label)s: enter a number.") % {"label": label}
        return format(number.normalize(), "f"), None
    if kind == FieldKind.CHOICE:
        if text not in spec.get("choices", []):
            return "", _("%(label)s: choose one of %(choices)s.") % {"label": label,
                                                                     "choices": "、".join(spec.get("choices", []))}
        return text, None
    if len(text) > MAX_TEXT:
        return "", _("%(label)s: at most %(n)d characters.") % {"label": label, "n": MAX_TEXT}
    return text, None


def embedded(license_obj) -> dict:
    """The metadata a sealed file carries (license.json): GB/T 36903's core elements, the type's items and
    the licence's entry in the revocation status list (W3C BitstringStatusListEntry)."""
    from dgov.licenses.statuslist import entry

    t, issuer = license_obj.license_type, license_obj.issuer
    return {
        "credential_status": entry(license_obj),
        "identifier": license_obj.identifier,
        "license_name": t.name,
        "license_type_code": t.code,
        "license_number": license_obj.physical_number or f"{license_obj.serial:08d}",
        "version": license_obj.version,
        "previous": license_obj.previous.identifier if license_obj.previous_id else None,
        "holder": {"kind": license_obj.holder_kind, "name": license_obj.holder_name,
                   "code_type": "身份证号" if license_obj.holder_kind == HolderKind.PERSON else "统一社会信用代码",
                   "code": license_obj.holder_code},
        "issuer": {"name": issuer.name, "code": issuer.credit_code},
        "issued_on": license_obj.issued_on.isoformat(),
        "valid_from": license_obj.valid_from.isoformat(),
        "valid_until": license_obj.valid_until.isoformat() if license_obj.valid_until else None,
        "fields": {f["key"]: {"label": f["label"], "value": license_obj.metadata.get(f["key"], "")}
                   for f in ordered(t) if f["key"] in license_obj.metadata},
        "demo": bool(license_obj.is_demo),
    }
