"""The rule language: validation (unknown field or operator, wrong value types, structure) and each
operator's evaluation with its explanation."""

import datetime as dt
from decimal import Decimal

import pytest

from dgov.policies import industry, rules

TODAY = dt.date(2026, 11, 28)
FACTS = {"industry": "C3251", "size": "medium", "region": "360603000000",
         "region_path": None, "registered_on": dt.date(2015, 6, 18), "employees": 320,
         "annual_revenue": Decimal("28000"), "tax_paid": None, "tags": ["高新技术企业"], "credit_rating": "A"}


@pytest.fixture
def facts(db):
    from dgov.orgs.models import Region

    return {**FACTS, "region_path": Region.objects.get(code="360603000000").path}


def cond(field, op, value):
    return {"field": field, "op": op, "value": value}


@pytest.mark.parametrize("rule", [
    cond("industry", "in", ["C32", "I65"]),
    {"all": [cond("tags", "has_tag", "高新技术企业"), {"not": cond("credit_rating", "in", ["C", "D"])},
             {"any": [cond("employees", "between", [10, 500]), cond("size", "eq", "micro")]}]},
    cond("region", "within_region", "360600000000"),
    cond("registered_on", "age_years_gte", 1),
    cond("annual_revenue", "gte", 100.5),
])
def test_valid_rules(db, rule):
    assert rules.validate(rule) == []


@pytest.mark.parametrize("rule, where", [
    (cond("colour", "eq", "red"), "field"),
    (cond("employees", "like", 3), "op"),
    (cond("employees", "has_tag", 3), "op"),
    (cond("employees", "gte", "many"), "value"),
    (cond("employees", "gte", True), "value"),
    (cond("employees", "between", [10]), "value"),
    (cond("employees", "between", [50, 10]), "value"),
    (cond("industry", "eq", "C99"), "value"),
    (cond("industry", "eq", "X12"), "value"),
    (cond("industry", "in", []), "value"),
    (cond("size", "eq", "huge"), "value"),
    (cond("region", "within_region", "999999999999"), "value"),
    (cond("tags", "has_tag", "不存在的资质"), "value"),
    (cond("registered_on", "age_years_gte", 1.5), "value"),
    (cond("credit_rating", "eq", ["A"]), "value"),
    ({"all": []}, "all"),
    ({"any": "x"}, "any"),
    ({"all": [cond("size", "eq", "micro")], "any": []}, ""),
    ({"field": "size", "op": "eq"}, ""),
    ({"field": "size", "op": "eq", "value": "micro", "extra": 1}, ""),
    ([1, 2], ""),
])
def test_invalid_rules_name_where(db, rule, where):
    problems = rules.validate(rule)
    assert problems, rule
    assert any(where in p for p in problems), problems


def test_nesting_is_bounded(db):
    rule = cond("size", "eq", "micro")
    for _ in range(rules.MAX_DEPTH + 2):
        rule = {"not": rule}
    assert rules.validate(rule)


@pytest.mark.parametrize("rule, held", [
    (cond("industry", "eq", "C"), True),
    (cond("industry", "eq", "C32"), True),
    (cond("industry", "eq", "C33"), False),
    (cond("industry", "ne", "C32"), False),
    (cond("industry", "in", ["I65", "C325"]), True),
    (cond("industry", "not_in", ["I65", "C325"]), False),
    (cond("size", "eq", "medium"), True),
    (cond("size", "ne", "medium"), False),
    (cond("size", "in", ["small", "micro"]), False),
    (cond("size", "not_in", ["small", "micro"]), True),
    (cond("employees", "eq", 320), True),
    (cond("employees", "ne", 320), False),
    (cond("employees", "gte", 320), True),
    (cond("employees", "gte", 321), False),
    (cond("employees", "lte", 320), True),
    (cond("employees", "lte", 319), False),
    (cond("employees", "between", [300, 320]), True),
    (cond("employees", "between", [321, 400]), False),
    (cond("annual_revenue", "gte", 28000), True),
    (cond("annual_revenue", "lte", 27999.99), False),
    (cond("tax_paid", "gte", 0), False),  # unknown: does not hold
    (cond("region", "eq", "360603000000"), True),
    (cond("region", "in", ["360602000000"]), False),
    (cond("region", "within_region", "360600000000"), True),
    (cond("region", "within_region", "360603000000"), True),
    (cond("region", "within_region", "360681000000"), False),
    (cond("tags", "has_tag", "高新技术企业"), True),
    (cond("tags", "has_tag", "专精特新中小企业"), False),
    (cond("registered_on", "age_years_gte", 11), True),
    (cond("registered_on", "age_years_gte", 12), False),
    (cond("registered_on", "age_years_lte", 11), True),
    (cond("registered_on", "age_years_lte", 10), False),
    (cond("credit_rating", "in", ["A", "B"]), True),
    (cond("credit_rating", "not_in", ["A", "B"]), False),
])
def test_each_operator(facts, rule, held):
    assert rules.validate(rule) == []
    assert rules.evaluate(rule, facts, today=TODAY)["held"] is held


def test_groups_and_the_explanation(facts):
    rule = {"all": [cond("tags", "has_tag", "高新技术企业"),
                    {"any": [cond("size", "eq", "micro"), cond("employees", "gte", 100)]},
                    {"not": cond("credit_rating", "in", ["C", "D"])}]}
    result = rules.evaluate(rule, facts, today=TODAY)
    assert result["held"] is True
    assert [c["held"] for c in result["children"]] == [True, True, True]
    any_node = result["children"][1]
    # every child is evaluated (no short cut), each with the enterprise's value
    assert [c["held"] for c in any_node["children"]] == [False, True]
    assert any_node["children"][0]["actual"] == "medium"
    assert result["children"][2]["op"] == "not" and result["children"][2]["children"][0]["held"] is False
    failing = rules.evaluate({"all": [cond("employees", "gte", 1000)]}, facts, today=TODAY)
    assert failing["held"] is False and failing["children"][0]["actual"] == 320


def test_registration_age_counts_full_years(facts):
    rule = cond("registered_on", "age_years_gte", 11)
    assert rules.evaluate(rule, facts, today=dt.date(2026, 6, 17))["held"] is False
    assert rules.evaluate(rule, facts, today=dt.date(2026, 6, 18))["held"] is True
    assert rules.evaluate(rule, facts, today=dt.date(2026, 6, 18))["actual"] == {"date": "2015-06-18", "years": 11}


def test_the_wording(facts):
    from django.utils import translation

    with translation.override("zh-hans"):
        node = rules.evaluate(cond("industry", "in", ["C32"]), facts, today=TODAY)
        assert "有色金属冶炼和压延加工业" in rules.describe(node)
        assert "铜压延加工" in rules.describe_actual(node)
        region = rules.describe(cond("region", "within_region", "360600000000"))
        assert "鹰潭市" in region


def test_industry_codes_and_sizes():
    assert industry.industry_errors("C3251") == []
    assert industry.industry_errors("C") == []
    assert industry.industry_errors("C12")  # division 12 is in section B
    assert industry.industry_errors("c3251") and industry.industry_errors("C32511") and industry.industry_errors("")
    assert industry.industry_name("C3251") == "铜压延加工"
    assert industry.industry_name("H6210") == "餐饮业"  # nearest listed parent
    # 工业: large needs both ≥1000 people and ≥40000万元; otherwise one size lower
    assert industry.computed_size("C3251", 1000, 40000) == "large"
    assert industry.computed_size("C3251", 1200, 39999) == "medium"
    assert industry.computed_size("C3251", 300, 2000) == "medium"
    assert industry.computed_size("C3251", 299, 30000) == "small"
    assert industry.computed_size("C3251", 19, 30000) == "micro"
    assert industry.computed_size("F52", 50, 500) == "medium"
    assert industry.computed_size("F51", 5, 1000) == "small"
    assert industry.computed_size("I65", 10, 49) == "micro"
    assert industry.computed_size("H62", 8, 90) == "micro"
    assert industry.computed_size("K70", 8, 90) is None  # real estate: entered


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 10**400, -1])
def test_numbers_must_be_finite_and_bounded(db, value):
    assert rules.validate(cond("annual_revenue", "gte", value))
