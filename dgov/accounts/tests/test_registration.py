"""Registration of citizens and enterprises over the API, and the GB 11643 / GB 32100 validators."""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.test import Client
from django.utils import translation

from dgov.accounts.models import Enterprise, NaturalPerson, User
from dgov.accounts.testing import make_citizen, valid_id_number
from dgov.accounts.tests.support import CJK, post_json
from dgov.accounts.validators import CharacterClassValidator
from dgov.core.models import AuditEntry
from dgov.core.testing import assert_error, zh
from dgov.core.validators import (
    _USCC_ALPHABET,
    _USCC_WEIGHTS,
    credit_code_check_char,
    id_number_check_char,
    mask_id_number,
    mask_phone,
    validate_credit_code,
    validate_id_number,
    validate_phone,
)
from dgov.crypto.fields import blind_index

REGISTER_URL = "/api/v1/auth/register"
ID_FORMAT = "An ID card number has 18 characters: 17 digits and a final digit or X."
ID_BIRTH = "The birth date in the ID card number is not valid."
ID_CHECK = "The check digit of the ID card number is wrong; please check the number."
ID_REGION = "The address code of the ID card number is not valid."
USCC_FORMAT = ("A unified social credit code has 18 characters: digits and capital letters "
               "except I, O, Z, S, V.")
USCC_CHECK = "The check character of the unified social credit code is wrong; please check the code."
USCC_REGION = "Characters 3 to 8 of the unified social credit code must be a region code."

# GB 11643-1999's own examples, and valid codes of registered enterprises (GB 32100).
VALID_ID_NUMBERS = ["11010519491231002X", "440524188001010014"]
VALID_CREDIT_CODES = ["91350100M000100Y43", "91110000600037341L", "91310000775785552L"]


def citizen(**overrides) -> dict:
    payload = {"kind": "citizen", "username": "new_citizen", "password": "Register-me-2024",
               "phone": "135 1234 5678", "real_name": " 李四 ", "id_number": "11010519491231002x"}
    payload.update(overrides)
    return payload


def enterprise(**overrides) -> dict:
    payload = {"kind": "enterprise", "username": "new_company", "password": "Register-me-2024",
               "phone": "13612345678", "enterprise_name": "鹰潭示例科技有限公司", "credit_code": "91350100M000100Y43",
               "legal_representative": "王五", "region_code": "360602"}
    payload.update(overrides)
    return payload


def register(payload: dict, language: str | None = None):
    headers = {"Accept-Language": language} if language else {}
    return post_json(Client(headers=headers), REGISTER_URL, payload)


def field_errors(response, code: str = "invalid") -> dict:
    return assert_error(response, 422, code)["details"]


# --- happy paths ------------------------------------------------------------------------------

def test_citizen_registration(db):
    response = register(citizen())
    assert response.status_code == 201, response.content
    user = User.objects.get(username="new_citizen")
    assert (user.kind, user.real_name, user.phone) == ("citizen", "李四", "13512345678")
    assert user.phone_index == blind_index("13512345678", "phone")
    assert user.password_changed_at is not None
    person = NaturalPerson.objects.get(user=user)
    assert person.id_number == "11010519491231002X"  # normalised: upper-case X
    entry = AuditEntry.objects.get(action="accounts.user.register", object_id=str(user.pk))
    assert entry.actor_id == user.pk
    assert "11010519491231002X" not in str(entry.changes)


def test_enterprise_registration(db):
    response = register(enterprise(credit_code="91350100m000100y43"))
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "enterprise"
    user = User.objects.get(username="new_company")
    company = Enterprise.objects.get(account=user)
    assert (company.name, company.credit_code, company.legal_representative) == (
        "鹰潭示例科技有限公司", "91350100M000100Y43", "王五")
    assert company.region.code == "360602000000" and user.real_name == "鹰潭示例科技有限公司"
    assert AuditEntry.objects.filter(action="accounts.enterprise.create", actor_id=user.pk).exists()


def test_enterprise_sees_itself_in_me(db):
    register(enterprise())
    login = post_json(Client(), "/api/v1/auth/token",
                      {"username": "new_company", "password": "Register-me-2024"})
    token = login.json()["token"]
    body = Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/me").json()
    assert body["enterprise"] == {"name": "鹰潭示例科技有限公司", "credit_code": "91350100M000100Y43",
                                  "legal_representative": "王五"}
    assert body["id_number_masked"] is None


# --- 身份证号 errors --------------------------------------------------------------------------

@pytest.mark.parametrize(("number", "msgid"), [
    ("11010519491231002", ID_FORMAT),  # 17 characters
    ("1101051949123100XX", ID_FORMAT),  # X before the end
    ("11010519491231002A", ID_FORMAT),  # letter other than X
    ("11010519491331002X", ID_BIRTH),  # month 13
    ("11010519490230002X", ID_BIRTH),  # 30 February
    ("11010518791231002X", ID_BIRTH),  # before 1880
    ("110105194912310021", ID_CHECK),  # wrong check digit
    ("110105194912310020", ID_CHECK),
    ("99010519491231002X", ID_REGION),
])
def test_invalid_id_number_is_refused_with_a_chinese_message(db, number, msgid):
    details = field_errors(register(citizen(id_number=number)))
    assert list(details) == ["id_number"]
    assert details["id_number"] == [zh(msgid)]
    assert CJK.search(details["id_number"][0]), details
    assert not User.objects.filter(username="new_citizen").exists()


def test_chinese_is_the_default_language_of_api_errors(db):
    """Without any language preference the API answers in Chinese, as the UI does."""
    message = field_errors(register(citizen(id_number="110105194912310021")))["id_number"][0]
    assert message == "身份证号校验位错误，请核对后重新输入。" or (CJK.search(message) and "身份证号" in message)


def test_english_is_available_on_request(db):
    details = field_errors(register(citizen(id_number="110105194912310021"), language="en"))
    assert details["id_number"] == [ID_CHECK]


def test_birth_date_in_the_future_is_refused(db):
    details = field_errors(register(citizen(id_number=valid_id_number("360602", "29990101"))))
    assert details["id_number"] == [zh(ID_BIRTH)]


def test_duplicate_id_number_is_refused(db):
    make_citizen("first", id_number="11010519491231002X")
    details = field_errors(register(citizen(id_number="11010519491231002x")))
    assert details["id_number"] == [zh("This ID card number is already registered.")]
    assert CJK.search(details["id_number"][0])


def test_duplicate_username_is_refused(db):
    make_citizen("new_citizen")
    details = field_errors(register(citizen()))
    assert details["username"] == [zh("This username is already taken.")]


def test_invalid_username_is_refused(db):
    details = field_errors(register(citizen(username="a b")))
    assert list(details) == ["username"]
    assert CJK.search(details["username"][0])


def test_invalid_phone_and_missing_name_are_reported_together(db):
    details = field_errors(register(citizen(phone="12345", real_name="  ")))
    assert set(details) == {"phone", "real_name"}
    assert details["phone"] == [zh("Enter an 11-digit mainland mobile phone number.")]


def test_missing_field_is_a_schema_error(db):
    payload = citizen()
    del payload["phone"]
    details = field_errors(register(payload))
    assert "phone" in details


def test_unknown_kind_is_refused(db):
    assert "kind" in field_errors(register(citizen(kind="robot")))


# --- 统一社会信用代码 errors -----------------------------------------------------------------

@pytest.mark.parametrize(("code", "msgid"), [
    ("91350100M000100Y44", USCC_CHECK),  # wrong check character
    ("91350100M000100Y4", USCC_FORMAT),  # 17 characters
    ("91350100M000100YI3", USCC_FORMAT),  # I is not in the alphabet
    ("91350100O000100Y43", USCC_FORMAT),  # nor is O
    ("9135010-M000100Y43", USCC_FORMAT),  # nor punctuation
    ("91A50100M000100Y43", USCC_REGION),  # characters 3-8 are a region code
])
def test_invalid_credit_code_is_refused_with_a_chinese_message(db, code, msgid):
    details = field_errors(register(enterprise(credit_code=code)))
    assert list(details) == ["credit_code"]
    assert details["credit_code"] == [zh(msgid)]
    assert CJK.search(details["credit_code"][0])
    assert not User.objects.filter(username="new_company").exists()


def test_duplicate_credit_code_is_refused(db):
    assert register(enterprise()).status_code == 201
    details = field_errors(register(enterprise(username="second_company")))
    assert details["credit_code"] == [zh("This unified social credit code is already registered.")]


def test_enterprise_needs_name_and_legal_representative(db):
    details = field_errors(register(enterprise(enterprise_name=" ", legal_representative="")))
    assert set(details) == {"enterprise_name", "legal_representative"}


# --- password policy ---------------------------------------------------------------------------

@pytest.mark.parametrize("password", [
    "Sh0rt-pw",  # fewer than 10 characters
    "alllowercaseletters",  # one character class
    "lowercase1234567",  # two classes
    "1234567890123",  # numeric only
    "Password123",  # long enough, three classes, but on the common-passwords list
])
def test_password_policy(db, password):
    details = field_errors(register(citizen(password=password)))
    assert list(details) == ["password"]
    assert all(CJK.search(m) for m in details["password"]), details


def test_password_policy_names_the_rule_broken(db):
    common = field_errors(register(citizen(password="Password123")))["password"]
    assert zh("This password is too common.") in common
    short = field_errors(register(citizen(password="Sh0rt-pw")))["password"]
    assert any("10" in m for m in short), short
    classes = field_errors(register(citizen(password="lowercase1234567")))["password"]
    with translation.override("zh-hans"):
        assert classes == [CharacterClassValidator(3).get_help_text()]


def test_password_must_not_resemble_the_username(db):
    details = field_errors(register(citizen(username="Lichen-2024x", password="Lichen-2024x")))
    assert "password" in details


def test_password_with_three_classes_and_ten_characters_is_accepted(db):
    assert register(citizen(password="kp7-ZQ-m2x")).status_code == 201


# --- validators directly -----------------------------------------------------------------------

@pytest.mark.parametrize("number", VALID_ID_NUMBERS)
def test_gb11643_accepts_the_standards_examples(number):
    assert validate_id_number(number) == number
    assert validate_id_number(f" {number.lower()} ") == number
    assert id_number_check_char(number[:17]) == number[17]


def test_gb11643_check_character_by_the_standards_formula():
    """ISO 7064 MOD 11-2: weights 2^(17-i) mod 11, check value (12 - sum mod 11) mod 11, 10 → X."""
    weights = [pow(2, 17 - i, 11) for i in range(17)]
    for number in VALID_ID_NUMBERS + [valid_id_number() for _ in range(20)]:
        value = (12 - sum(int(d) * w for d, w in zip(number[:17], weights, strict=True)) % 11) % 11
        assert number[17] == ("X" if value == 10 else str(value))
        validate_id_number(number)


@pytest.mark.parametrize("number", VALID_ID_NUMBERS)
def test_gb11643_rejects_every_single_digit_mutation(number):
    """MOD 11-2 catches every single substitution; a mutated date or region may fail earlier."""
    for i in range(17):
        for digit in "0123456789":
            if digit == number[i]:
                continue
            mutated = number[:i] + digit + number[i + 1:]
            with pytest.raises(DjangoValidationError):
                validate_id_number(mutated)
    for check in "0123456789X":
        if check != number[17]:
            with pytest.raises(DjangoValidationError) as exc:
                validate_id_number(number[:17] + check)
            assert exc.value.code == "id_check"


@pytest.mark.parametrize(("value", "code"), [
    ("", "id_format"), ("1101051949123100", "id_format"), ("11010519491231002X1", "id_format"),
    ("00010519491231002X", "id_region"), ("11010519490229002X", "id_birth"),
    # Digits of other scripts are digits to Python's \d and int(), but not in an ID number.
    ("".join(chr(0x660 + int(c)) for c in "11010519491231002") + "X", "id_format"),
])
def test_gb11643_error_codes(value, code):
    with pytest.raises(DjangoValidationError) as exc:
        validate_id_number(value)
    assert exc.value.code == code


def test_gb11643_accepts_29_february_of_a_leap_year():
    number = valid_id_number("360602", "20000229")
    assert validate_id_number(number) == number


@pytest.mark.parametrize("code", VALID_CREDIT_CODES)
def test_gb32100_accepts_valid_codes(code):
    assert validate_credit_code(code) == code
    assert validate_credit_code(f" {code.lower()} ") == code


def test_gb32100_weights_are_powers_of_three_mod_31():
    assert _USCC_WEIGHTS == [pow(3, i, 31) for i in range(17)]
    assert len(_USCC_ALPHABET) == 31 and not set("IOZSV") & set(_USCC_ALPHABET)


@pytest.mark.parametrize("code", VALID_CREDIT_CODES)
def test_gb32100_rejects_every_single_character_mutation(code):
    for i in range(18):
        for char in _USCC_ALPHABET:
            if char == code[i]:
                continue
            mutated = code[:i] + char + code[i + 1:]
            with pytest.raises(DjangoValidationError):
                validate_credit_code(mutated)
    assert credit_code_check_char(code[:17]) == code[17]


@pytest.mark.parametrize("char", list("IOZSV*-é"))
def test_gb32100_rejects_characters_outside_the_alphabet(char):
    code = VALID_CREDIT_CODES[0]
    with pytest.raises(DjangoValidationError) as exc:
        validate_credit_code(code[:10] + char + code[11:])
    assert exc.value.code == "uscc_format"


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def test_full_width_input_is_normalised():
    """Chinese input methods often type full-width characters: they mean the same number."""
    assert validate_id_number(fullwidth("11010519491231002x")) == "11010519491231002X"
    assert validate_credit_code(fullwidth("91350100M000100Y43")) == "91350100M000100Y43"
    assert validate_phone(fullwidth("13900001234")) == "13900001234"


def test_duplicate_id_number_in_full_width_is_refused(db):
    make_citizen("first", id_number="11010519491231002X")
    details = field_errors(register(citizen(id_number=fullwidth("11010519491231002X"))))
    assert details["id_number"] == [zh("This ID card number is already registered.")]


def test_phone_validation_and_masks():
    assert validate_phone("139-0000 0000") == "13900000000"
    arabic_indic = "139" + "".join(chr(0x660 + int(c)) for c in "00001234")
    for bad in ("12900000000", "1390000000", "139000000001", "+8613900000000", arabic_indic):
        with pytest.raises(DjangoValidationError):
            validate_phone(bad)
    assert mask_phone("13900001234") == "139****1234"
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert mask_id_number("123") == "***"
