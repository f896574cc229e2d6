"""Machine-readable eligibility rules of a policy, as data: a JSON rule tree.

    {"all": [
        {"field": "tags", "op": "has_tag", "value": "高新技术企业"},
        {"field": "region", "op": "within_region", "value": "360600000000"},
        {"any": [{"field": "industry", "op": "in", "value": ["C32", "C38", "C39"]},
                 {"field": "size", "op": "in", "value": ["small", "micro"]}]},
        {"not": {"field": "credit_rating", "op": "in", "value": ["C", "D"]}},
        {"field": "registered_on", "op": "age_years_gte", "value": 1}]}

A node is a group (`all`: every child holds, `any`: at least one, both with a non-empty list; `not`: one
node that must not hold) or a condition `{"field", "op", "value"}`. `FIELDS` lists the fields of the
enterprise profile a rule may test with the operators each allows. Industry codes match their subtree
(`"C32"` holds for C3251); `within_region` holds for the region and everything below it (the materialised
path); `age_years_*` count the full years since registration on the day of the match.

- `validate(rule) -> list[str]`: every problem, each naming where it is ("all[2].value: …"); [] when valid.
- `evaluate(rule, facts, *, today) -> dict`: the explanation tree: every node with `held`; conditions with
  the enterprise's `actual` value. The root's `held` is the verdict. Every child is evaluated (no short
  cut) so the explanation is complete.
- `describe(node)`, `describe_actual(node)`: the readable wording (in the active language) of a condition
  and of the enterprise's value, for the pages.
"""

import datetime as dt
import math
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dgov.policies import industry

MAX_DEPTH = 8
MAX_NODES = 200
MAX_NUMBER = 10**12
GROUPS = ("all", "any", "not")

#: the qualifications (资质/认定) a profile may carry and a rule may test with `has_tag`
TAGS = ["高新技术企业", "科技型中小企业", "创新型中小企业", "专精特新中小企业", "专精特新“小巨人”企业",
        "省级企业技术中心", "规模以上工业企业", "小微企业", "外贸企业"]
#: 纳税信用级别 (A, B, M, C, D) of the tax authorities
CREDIT_RATINGS = ["A", "B", "M", "C", "D"]

SCALAR_OPS = ("eq", "ne", "in", "not_in")
NUMBER_OPS = ("eq", "ne", "gte", "lte", "between")

#: field → (label, value type, operators)
FIELDS = {
    "industry": (gettext_lazy("industry"), "industry", SCALAR_OPS),
    "size": (gettext_lazy("enterprise size"), "size", SCALAR_OPS),
    "region": (gettext_lazy("region"), "region", (*SCALAR_OPS, "within_region")),
    "registered_on": (gettext_lazy("registration date"), "date", ("age_years_gte", "age_years_lte")),
    "employees": (gettext_lazy("employees"), "int", NUMBER_OPS),
    "annual_revenue": (gettext_lazy("annual revenue"), "money", NUMBER_OPS),
    "tax_paid": (gettext_lazy("tax paid"), "money", NUMBER_OPS),
    "tags": (gettext_lazy("qualifications"), "tag", ("has_tag",)),
    "credit_rating": (gettext_lazy("tax credit rating"), "rating", SCALAR_OPS),
}

OPS = {
    "eq": gettext_lazy("is"), "ne": gettext_lazy("is not"), "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"), "gte": gettext_lazy("is at least"), "lte": gettext_lazy("is at most"),
    "between": gettext_lazy("is between"), "within_region": gettext_lazy("lies within"),
    "has_tag": gettext_lazy("holds the qualification"),
    "age_years_gte": gettext_lazy("registered at least … full years ago"),
    "age_years_lte": gettext_lazy("registered at most … full years ago"),
}


# --- validation ----------------------------------------------------------------------------------
def _region_codes(codes: set[str]) -> dict[str, object]:
    from dgov.orgs.models import Region

    return {r.code: r for r in Region.objects.filter(code__in=codes)} if codes else {}


def _scalar_error(kind: str, value, regions: dict) -> str | None:
    if kind == "industry":
        problems = industry.industry_errors(value)
        return problems[0] if problems else None
    if kind == "size":
        return None if value in industry.Size.values else _("Not an enterprise size (large, medium, small, micro).")
    if kind == "rating":
        return None if value in CREDIT_RATINGS else _("Not a tax credit rating (A, B, M, C, D).")
    if kind == "region":
        return None if isinstance(value, str) and value in regions else _("No region has this code.")
    if kind == "tag":
        return None if value in TAGS else _("Not a known qualification.")
    if kind in ("int", "money", "years"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            return _("Enter a number that is not negative.")
        if (isinstance(value, float) and not math.isfinite(value)) or value > MAX_NUMBER:
            return _("The number is too large.")
        if kind in ("int", "years") and not float(value).is_integer():
            return _("Enter a whole number.")
        return None
    return _("Not understood.")  # pragma: no cover - FIELDS has no other kinds


def _check_value(field: str, op: str, value, regions: dict) -> list[str]:
    kind = FIELDS[field][1]
    if op in ("age_years_gte", "age_years_lte"):
        kind = "years"
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            return [_("Give a non-empty list of values.")]
        return [f"[{i}] {problem}" for i, v in enumerate(value)
                if (problem := _scalar_error(kind, v, regions))]
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            return [_("Give two numbers: [lowest, highest].")]
        problems = [f"[{i}] {p}" for i, v in enumerate(value) if (p := _scalar_error(kind, v, regions))]
        if not problems and value[0] > value[1]:
            problems.append(_("The lowest is above the highest."))
        return problems
    if isinstance(value, list):
        return [_("Give one value, not a list.")]
    problem = _scalar_error(kind, value, regions)
    return [problem] if problem else []


def _walk(node, path: str, depth: int, out: list, conditions: list) -> None:
    if depth > MAX_DEPTH:
        out.append(f"{path}: " + _("The rule is nested too deeply (at most %(n)d levels).") % {"n": MAX_DEPTH})
        return
    if not isinstance(node, dict):
        out.append(f"{path}: " + _("A rule is an object: a group (all, any, not) or a condition (field, op, value)."))
        return
    groups = [key for key in GROUPS if key in node]
    if groups:
        if len(node) != 1:
            out.append(f"{path}: " + _("A group has exactly one key: all, any or not."))
            return
        key = groups[0]
        here = f"{path}.{key}" if path else key
        if key == "not":
            _walk(node["not"], here, depth + 1, out, conditions)
            return
        children = node[key]
        if not isinstance(children, list) or not children:
            out.append(f"{here}: " + _("Give a non-empty list of rules."))
            return
        for i, child in enumerate(children):
            _walk(child, f"{here}[{i}]", depth + 1, out, conditions)
        return
    where = path or _("rule")
    unknown = sorted(set(node) - {"field", "op", "value"})
    if unknown:
        out.append(f"{where}: " + _("Unknown keys: %(keys)s.") % {"keys": ", ".join(map(str, unknown))})
    missing = [key for key in ("field", "op", "value") if key not in node]
    if missing:
        out.append(f"{where}: " + _("A condition needs field, op and value; missing: %(keys)s.")
                   % {"keys": ", ".join(missing)})
        return
    field, op = node["field"], node["op"]
    if not isinstance(field, str) or field not in FIELDS:
        out.append(f"{where}.field: " + _("Unknown field “%(field)s”; the fields are: %(fields)s.")
                   % {"field": field, "fields": ", ".join(FIELDS)})
        return
    if not isinstance(op, str) or op not in OPS:
        out.append(f"{where}.op: " + _("Unknown operator “%(op)s”.") % {"op": op})
        return
    if op not in FIELDS[field][2]:
        out.append(f"{where}.op: " + _("The field %(field)s takes the operators: %(ops)s.")
                   % {"field": field, "ops": ", ".join(FIELDS[field][2])})
        return
    conditions.append((where, field, op, node["value"]))


def validate(rule) -> list[str]:
    """Every problem of `rule` (each prefixed with where it is), or [] when the rule is valid."""
    out: list[str] = []
    conditions: list = []
    _walk(rule, "", 0, out, conditions)
    if len(conditions) > MAX_NODES:
        out.append(_("At most %(n)d conditions.") % {"n": MAX_NODES})
    codes = set()
    for _where, field, _op, value in conditions:
        if FIELDS[field][1] == "region":
            codes.update(v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str))
    regions = _region_codes(codes)
    for where, field, op, value in conditions:
        out.extend(f"{where}.value: {problem}" for problem in _check_value(field, op, value, regions))
    return out


def conditions_of(rule) -> list[dict]:
    """The conditions of a (valid) rule, depth first."""
    if not isinstance(rule, dict):
        return []
    for key in GROUPS:
        if key in rule:
            children = [rule[key]] if key == "not" else rule[key]
            return [c for child in children for c in conditions_of(child)]
    return [rule]


# --- evaluation ----------------------------------------------------------------------------------
def years_between(start: dt.date, today: dt.date) -> int:
    """Full years from `start` to `today` (a registration on 29 February completes its year on 1 March)."""
    years = today.year - start.year
    if (today.month, today.day) < (start.month, start.day):
        years -= 1
    return years


def _number(value):
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _holds(field: str, op: str, value, facts: dict, today: dt.date, region_paths: dict):
    """(held, the enterprise's value as shown in the explanation)."""
    kind = FIELDS[field][1]
    actual = facts.get(field)
    if actual in (None, "", []) and field != "tags":
        return False, None
    if kind == "industry":
        def match(parent):
            return industry.in_industry(actual, parent)

        if op == "eq":
            return match(value), actual
        if op == "ne":
            return not match(value), actual
        if op == "in":
            return any(map(match, value)), actual
        return not any(map(match, value)), actual
    if op == "within_region":
        path = region_paths.get(value)
        return bool(path) and (facts.get("region_path") or "").startswith(path), actual
    if op == "has_tag":
        tags = list(actual or [])
        return value in tags, tags
    if op in ("age_years_gte", "age_years_lte"):
        years = years_between(actual, today)
        return (years >= value if op == "age_years_gte" else years <= value), {"date": actual.isoformat(),
                                                                                "years": years}
    if kind in ("int", "money"):
        number = _number(actual)
        shown = int(number) if kind == "int" else str(number)
        if op == "eq":
            return number == _number(value), shown
        if op == "ne":
            return number != _number(value), shown
        if op == "gte":
            return number >= _number(value), shown
        if op == "lte":
            return number <= _number(value), shown
        return _number(value[0]) <= number <= _number(value[1]), shown
    if op == "eq":
        return actual == value, actual
    if op == "ne":
        return actual != value, actual
    if op == "in":
        return actual in value, actual
    return actual not in value, actual


def _evaluate(node: dict, facts: dict, today: dt.date, region_paths: dict) -> dict:
    for key in GROUPS:
        if key in node:
            if key == "not":
                child = _evaluate(node["not"], facts, today, region_paths)
                return {"op": "not", "held": not child["held"], "children": [child]}
            children = [_evaluate(c, facts, today, region_paths) for c in node[key]]
            held = all(c["held"] for c in children) if key == "all" else any(c["held"] for c in children)
            return {"op": key, "held": held, "children": children}
    held, actual = _holds(node["field"], node["op"], node["value"], facts, today, region_paths)
    return {"field": node["field"], "op": node["op"], "value": node["value"], "held": bool(held), "actual": actual}


def region_paths_of(rule) -> dict[str, str]:
    """The materialised paths of the regions `within_region` names in `rule` (one query)."""
    codes = {c["value"] for c in conditions_of(rule) if c.get("op") == "within_region"}
    return {code: region.path for code, region in _region_codes(codes).items()}


def evaluate(rule, facts: dict, *, today: dt.date, region_paths: dict | None = None) -> dict:
    """The explanation tree of `rule` against the profile's `facts`; its root's `held` is the verdict. An
    empty rule ({}) holds for everyone."""
    if not rule:
        return {"op": "all", "held": True, "children": []}
    paths = region_paths if region_paths is not None else region_paths_of(rule)
    return _evaluate(rule, facts, today, paths)


# --- wording -------------------------------------------------------------------------------------
def _region_name(code: str) -> str:
    from dgov.orgs.models import Region

    region = Region.objects.filter(code=code).only("name").first()
    return f"{region.name}（{code}）" if region else code


def show_value(field: str, value) -> str:
    """One value of `field` as a reader sees it."""
    kind = FIELDS[field][1] if field in FIELDS else ""
    if isinstance(value, list):
        return "、".join(show_value(field, v) for v in value)
    if value is None:
        return _("unknown")
    if kind == "industry":
        name = industry.industry_name(value)
        return f"{value} {name}" if name else str(value)
    if kind == "size":
        return str(industry.Size(value).label) if value in industry.Size.values else str(value)
    if kind == "region":
        return _region_name(value)
    if kind == "money":
        return _("%(amount)s ten thousand yuan") % {"amount": value}
    if kind == "int":
        return _("%(n)s people") % {"n": value}
    return str(value)


def describe(node: dict) -> str:
    """A condition in words: "employees is at least 10 people", "holds the qualification 高新技术企业"."""
    field, op, value = node.get("field"), node.get("op"), node.get("value")
    if op == "has_tag":
        return _("holds the qualification %(tag)s") % {"tag": value}
    if op == "age_years_gte":
        return _("registered at least %(n)s full years ago") % {"n": value}
    if op == "age_years_lte":
        return _("registered at most %(n)s full years ago") % {"n": value}
    label = FIELDS[field][0] if field in FIELDS else field
    if op == "between" and isinstance(value, list) and len(value) == 2:
        shown = _("%(low)s and %(high)s") % {"low": show_value(field, value[0]), "high": show_value(field, value[1])}
    else:
        shown = show_value(field, value)
    return f"{label} {OPS.get(op, op)} {shown}"


def describe_actual(node: dict) -> str:
    """The enterprise's value in an evaluated condition."""
    actual = node.get("actual")
    if node.get("op") in ("age_years_gte", "age_years_lte") and isinstance(actual, dict):
        return _("registered on %(date)s, %(years)s full years") % actual
    if node.get("field") == "tags":
        return "、".join(actual or []) or _("none")
    return show_value(node.get("field"), actual)


def group_label(op: str) -> str:
    return {"all": _("all of the following"), "any": _("at least one of the following"),
            "not": _("none of the following")}.get(op, op)
