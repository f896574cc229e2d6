"""The form definition language (dgov.services.formdef): definitions, pages, answers, prefill, summary."""

import copy
import datetime as dt

import pytest
from django.utils import translation

from dgov.core.validators import id_number_check_char
from dgov.services import formdef

ID17 = "36060219900101123"
ID_NUMBER = ID17 + id_number_check_char(ID17)

FORM = {"version": 1, "pages": [
    {"key": "applicant", "title": "申请人", "fields": [
        {"key": "name", "label": "姓名", "type": "text", "required": True, "max_length": 10,
         "prefill": "applicant.name"},
        {"key": "id_number", "label": "身份证号", "type": "id_number", "required": True,
         "prefill": "applicant.id_number"}]},
    {"key": "phone", "title": "手机", "fields": [
        {"key": "phone", "label": "手机号码", "type": "phone", "required": True, "prefill": "applicant.phone"}]},
    {"key": "wedding", "title": "登记", "fields": [
        {"key": "date", "label": "登记日期", "type": "date", "required": True, "min": "2024-01-01",
         "max": "2026-12-31"},
        {"key": "guests", "label": "人数", "type": "number", "min": 1, "max": 10},
        {"key": "kind", "label": "类别", "type": "choice", "required": True,
         "choices": [{"value": "first", "label": "初婚"}, {"value": "again", "label": "再婚"}]},
        {"key": "docs", "label": "证件", "type": "multichoice",
         "choices": [{"value": "id", "label": "身份证"}, {"value": "hukou", "label": "户口簿"}]},
        {"key": "local", "label": "是否本地户籍", "type": "yesno", "required": True},
        {"key": "email", "label": "电子邮箱", "type": "email"},
        {"key": "region", "label": "户籍所在地", "type": "region", "required": True},
        {"key": "code", "label": "编号", "type": "text", "pattern": "[A-Z]{2}[0-9]{4}"},
        {"key": "note", "label": "说明", "type": "textarea"}]},
]}

GOOD = {"name": "张三", "id_number": ID_NUMBER, "phone": "13907010001", "date": "2026-05-20", "guests": "2",
        "kind": "first", "docs": ["hukou", "id"], "local": "yes", "email": "zs@example.com",
        "region": "360603101000", "code": "AB1234", "note": "无"}


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def test_valid_definition_and_default_forms():
    assert formdef.validate_definition(FORM) == []
    assert formdef.validate_definition({}) == []
    person = formdef.default_form(type("I", (), {"service_object": "person"})())
    enterprise = formdef.default_form(type("I", (), {"service_object": "enterprise"})())
    assert formdef.validate_definition(person) == []
    assert formdef.validate_definition(enterprise) == []
    assert {f["prefill"] for f in formdef.fields(person) if "prefill" in f} == {
        "applicant.name", "applicant.id_number", "applicant.phone"}
    assert "enterprise.credit_code" in {f.get("prefill") for f in formdef.fields(enterprise)}
    assert formdef.page_keys(FORM) == ["applicant", "phone", "wedding"]
    assert formdef.page(FORM, "phone")["fields"][0]["key"] == "phone"
    assert formdef.page(FORM, "nope") is None
    assert formdef.next_page_key(FORM, "applicant") == "phone"
    assert formdef.next_page_key(FORM, "wedding") is None
    assert formdef.previous_page_key(FORM, "phone") == "applicant"
    assert formdef.previous_page_key(FORM, "applicant") is None
    assert formdef.page_of_field(FORM, "kind") == "wedding"


@pytest.mark.parametrize(("mutate", "needle"), [
    (lambda f: f["pages"][0]["fields"][0].update(type="colour"), "colour"),
    (lambda f: f["pages"][1]["fields"][0].update(key="name"), "name"),
    (lambda f: f["pages"][1].update(key="applicant"), "applicant"),
    (lambda f: f["pages"][0]["fields"][0].update(label=""), "(name)"),
    (lambda f: f["pages"][2]["fields"][2].pop("choices"), "(kind)"),
    (lambda f: f["pages"][2]["fields"][2].update(choices=[{"value": "a", "label": "A"}, {"value": "a", "label": "B"}]),
     "a"),
    (lambda f: f["pages"][2]["fields"][7].update(pattern="[A-Z"), "(code)"),
    (lambda f: f["pages"][2]["fields"][1].update(min=20), "min"),
    (lambda f: f["pages"][2]["fields"][0].update(max="tomorrow"), "max"),
    (lambda f: f["pages"][0]["fields"][0].update(prefill="applicant.shoe_size"), "prefill"),
    (lambda f: f["pages"][0]["fields"][0].update(colour="red"), "colour"),
    (lambda f: f["pages"][0]["fields"][0].update(key="Name!"), "Name!"),
    (lambda f: f["pages"][0].update(fields=[]), "(applicant)"),
    (lambda f: f.update(pages=[]), ""),
    (lambda f: f.update(version=2), "1"),
    (lambda f: f["pages"][0]["fields"][0].update(min=1), "min"),
    (lambda f: f["pages"][0]["fields"][0].update(max_length=0), "max_length"),
    (lambda f: f["pages"][0]["fields"][0].update(required="yes"), "required"),
])
def test_malformed_definitions_are_named(mutate, needle):
    form = copy.deepcopy(FORM)
    mutate(form)
    errors = formdef.validate_definition(form)
    assert errors, form
    assert any(needle in e.replace("（", "(").replace("）", ")") for e in errors), errors  # zh-hans: full-width


def test_several_errors_listed_at_once_and_not_an_object():
    form = copy.deepcopy(FORM)
    form["pages"][0]["fields"][0]["type"] = "colour"
    form["pages"][1]["fields"][0]["label"] = " "
    assert len(formdef.validate_definition(form)) == 2
    assert formdef.validate_definition([1, 2]) and formdef.validate_definition("x")
    assert formdef.validate_definition({"pages": ["x"]})
    assert formdef.validate_definition({"pages": [{"key": "a", "fields": ["x"]}]})


@pytest.mark.django_db
def test_good_answers_are_cleaned():
    cleaned, errors = formdef.clean_answers(FORM, GOOD)
    assert errors == {}
    assert cleaned["guests"] == 2 and cleaned["local"] is True and cleaned["docs"] == ["id", "hukou"]
    assert cleaned["region"] == "360603101000"
    assert formdef.validate_answers(FORM, {**GOOD, "unknown": "x"}) == {}
    assert "unknown" not in formdef.clean_answers(FORM, {**GOOD, "unknown": "x"})[0]
    # full-width digits typed on a Chinese keyboard
    assert formdef.clean_answers(FORM, {**GOOD, "phone": "１３９０７０１０００１"})[0]["phone"] == "13907010001"
    # a 6-digit county code is widened
    assert formdef.clean_answers(FORM, {**GOOD, "region": "360681"})[0]["region"] == "360681000000"
    # stored answers clean again unchanged
    cleaned_again, errors = formdef.clean_answers(FORM, cleaned)
    assert errors == {} and cleaned_again == cleaned


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "value", "msgid", "params"), [
    ("name", "", "Enter %(label)s.", {"label": "姓名"}),
    ("name", "张" * 11, "%(label)s must be %(max)d characters or fewer.", {"label": "姓名", "max": 10}),
    ("date", "2026-02-30", "%(label)s must be a real date, like 2026-03-18.", {"label": "登记日期"}),
    ("date", "2023-12-31", "%(label)s must be on or after %(date)s.", {"label": "登记日期", "date": "2024-01-01"}),
    ("guests", "abc", "%(label)s must be a number.", {"label": "人数"}),
    ("guests", "11", "%(label)s must be %(max)s or less.", {"label": "人数", "max": 10}),
    ("kind", "third", "Select one of the options for %(label)s.", {"label": "类别"}),
    ("kind", "", "Select %(label)s.", {"label": "类别"}),
    ("docs", ["id", "passport"], "Select only the options offered for %(label)s.", {"label": "证件"}),
    ("local", "", "Select yes or no for %(label)s.", {"label": "是否本地户籍"}),
    ("email", "not-an-email", "Enter an e-mail address in the correct format, like name@example.com.", {}),
    ("region", "110101000000", "Select a region of Yingtan for %(label)s.", {"label": "户籍所在地"}),
    ("region", "360602001001", "Select a region of Yingtan for %(label)s.", {"label": "户籍所在地"}),
    ("code", "ab12", "%(label)s is not in the expected format.", {"label": "编号"}),
])
def test_bad_answers_give_translated_errors(key, value, msgid, params):
    """Each message is the translation (Chinese, from the project's catalog) of its msgid."""
    errors = formdef.validate_answers(FORM, {**GOOD, key: value})
    assert errors == {key: [translation.gettext(msgid) % params]}


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "value", "needle"), [
    ("id_number", ID17 + ("0" if ID_NUMBER[-1] != "0" else "1"), "校验"),
    ("id_number", "1234", "18"),
    ("phone", "12345", "手机"),
])
def test_identity_numbers_checked_in_chinese(key, value, needle):
    """Identity numbers and phones go through dgov.core.validators (GB 11643 check digit): Chinese."""
    errors = formdef.validate_answers(FORM, {**GOOD, key: value})
    assert list(errors) == [key]
    assert any(needle in message for message in errors[key]), errors


@pytest.mark.django_db
def test_partial_page_checks_only_that_page():
    assert formdef.validate_answers(FORM, {"phone": "13907010001"}, partial_page="phone") == {}
    whole = formdef.validate_answers(FORM, {"phone": "13907010001"})
    assert set(whole) == {"name", "id_number", "date", "kind", "local", "region"}
    assert formdef.pages_with_errors(FORM, {"phone": "13907010001"}) == ["applicant", "wedding"]
    # optional questions left empty are fine and cleaned to empty values
    cleaned, errors = formdef.clean_answers(FORM, {**GOOD, "guests": "", "docs": [], "email": ""})
    assert errors == {} and cleaned["guests"] == "" and cleaned["docs"] == []


@pytest.mark.django_db
def test_prefill_only_from_verified_identity(world):
    citizen = world.citizen
    citizen.real_name, citizen.phone = "李四", "13907010002"
    prefilled = formdef.prefill(FORM, citizen)
    assert prefilled["name"] == "李四" and prefilled["phone"] == "13907010002"
    person = getattr(citizen, "person", None)
    if person is not None:
        person.verified = False
        assert "id_number" not in formdef.prefill(FORM, citizen)
        person.verified = True
        assert formdef.prefill(FORM, citizen)["id_number"] == person.id_number
    assert formdef.prefill(FORM, None) == {}


@pytest.mark.django_db
def test_summary_for_check_your_answers():
    cleaned, _ = formdef.clean_answers(FORM, GOOD)
    rows = {row["key"]: row for row in formdef.summary(FORM, cleaned)}
    assert [r["key"] for r in formdef.summary(FORM, cleaned)][:3] == ["name", "id_number", "phone"]
    assert rows["kind"]["value"] == "初婚" and rows["kind"]["page"] == "wedding"
    assert rows["docs"]["value"] == "身份证、户口簿"
    assert rows["local"]["value"] == translation.gettext("Yes")
    assert rows["region"]["value"] == "余江区 锦江镇"
    assert rows["guests"]["value"] == "2"
    assert rows["id_number"]["value"] == ID_NUMBER
    masked = {row["key"]: row for row in formdef.summary(FORM, cleaned, mask=True)}
    assert masked["id_number"]["value"].count("*") == 11 and masked["phone"]["value"] == "139****0001"
    assert formdef.summary(FORM, {})[0]["value"] == ""
    assert formdef.summary(FORM, {"local": False})[7]["value"] == translation.gettext("No")


@pytest.mark.django_db
def test_region_choices_are_yingtan():
    choices = dict(formdef.region_choices())
    assert choices["360600000000"] == "鹰潭市"
    assert choices["360681000000"] == "贵溪市"
    assert "余江区 锦江镇" in choices.values()
    assert not any(code.startswith("3601") for code in choices)
    assert dt.date.today()  # the "today" bound is today's date
    assert formdef.validate_answers({"pages": [{"key": "p", "fields": [
        {"key": "d", "label": "日期", "type": "date", "max": "today"}]}]},
        {"d": (dt.date.today() + dt.timedelta(days=1)).isoformat()})
