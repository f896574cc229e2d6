"""Licence identifiers in the style of GB/T 36904 (电子证照 标识规范).

    1.2.156.3005.2.{type code}.{issuer code}.{serial}.{version}.{check}

- type code: the 18-character unified social credit code (GB 32100) of the department that defines the
  licence type, followed by a 3-digit sequence (GB/T 36902);
- issuer code: the issuing department's 18-character credit code;
- serial: 8 digits, counted per (type, issuer); version: 2 digits from 01 (a re-issue keeps the serial and
  adds one);
- check: one character of the hybrid system ISO/IEC 7064 MOD 37,36 (GB/T 17710) over every alphanumeric
  character before it, dots removed. MOD 37,36 works over the 36 characters 0-9A-Z and its check character
  is one of them (the supplementary "*" belongs to the pure system MOD 37-2, not to this one).

The hybrid computation (ISO/IEC 7064, clause on hybrid systems, M = 36): start with P = M; for each
character of value a, S = (P + a) mod M (0 read as M) and P = 2S mod (M + 1); the check character c makes
(P + c) mod M = 1. The standard's example "A12425GABC1234002" gives "M".

Errors are `IdentifierError`s carrying an English `message` (from a `gettext_noop` template, so the app can
translate `template % params`) and a stable `code`.
"""

from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_noop

from dgov.core.validators import validate_credit_code

PREFIX = "1.2.156.3005.2"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_M = len(ALPHABET)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


class IdentifierError(ValueError):
    """A malformed identifier or part of one. `message` is English; `template % params` is the same
    sentence for translation; `code` names what is wrong."""

    def __init__(self, template: str, code: str, **params):
        self.template, self.code, self.params = template, code, params
        self.message = template % params
        super().__init__(self.message)


class Identifier(NamedTuple):
    type_code: str
    issuer_code: str
    serial: int
    version: int
    check: str

    def __str__(self) -> str:
        return f"{PREFIX}.{self.type_code}.{self.issuer_code}.{self.serial:08d}.{self.version:02d}.{self.check}"


def _mod_37_36_state(body: str) -> int:
    """P after consuming `body` (hybrid MOD 37,36)."""
    p = _M
    for char in body:
        s = (p + _VALUE[char]) % _M or _M
        p = (2 * s) % (_M + 1)
    return p


def check_character(body: str) -> str:
    """The MOD 37,36 check character of `body` (dots are removed and letters upper-cased first)."""
    body = body.replace(".", "").upper()
    if not body or any(c not in _VALUE for c in body):
        raise IdentifierError(gettext_noop("The check character is computed over letters and digits only."),
                              "check_body")
    return ALPHABET[(_M + 1 - _mod_37_36_state(body)) % _M]


def is_valid_check(body_with_check: str) -> bool:
    """True when the last character is the right check character of the ones before it."""
    text = body_with_check.replace(".", "").upper()
    if len(text) < 2 or any(c not in _VALUE for c in text):
        return False
    return (_mod_37_36_state(text[:-1]) + _VALUE[text[-1]]) % _M == 1


_CODE_MESSAGES = {
    "type_code": (gettext_noop("A licence type code starts with the defining department's 18-character unified "
                               "social credit code."),
                  gettext_noop("The check character of the credit code in the licence type code is wrong.")),
    "issuer_code": (gettext_noop("The issuer code must be the issuing department's 18-character unified social "
                                 "credit code."),
                    gettext_noop("The check character of the credit code in the issuer code is wrong.")),
}


def _credit_code(code: str, error_code: str) -> None:
    malformed, wrong_check = _CODE_MESSAGES[error_code]
    if not isinstance(code, str) or len(code) != 18 or code != code.upper():
        raise IdentifierError(malformed, error_code)
    try:
        validate_credit_code(code)
    except ValidationError as exc:
        raise IdentifierError(wrong_check if exc.code == "uscc_check" else malformed, error_code) from None


def validate_type_code(code: str) -> None:
    """A licence type code: the defining department's credit code (check character verified) and a
    3-digit sequence."""
    if not isinstance(code, str) or len(code) != 21 or not code[18:].isdigit() or not code[18:].isascii():
        raise IdentifierError(gettext_noop("A licence type code is a department's 18-character credit code "
                                           "followed by 3 digits."), "type_code")
    _credit_code(code[:18], "type_code")


def validate_issuer_code(code: str) -> None:
    """The issuing department's credit code (check character verified)."""
    _credit_code(code, "issuer_code")


def _check_numbers(serial: int, version: int) -> None:
    if not 1 <= serial <= 99_999_999:
        raise IdentifierError(gettext_noop("The serial number must be between 1 and 99999999."), "serial")
    if not 1 <= version <= 99:
        raise IdentifierError(gettext_noop("The version must be between 01 and 99."), "version")


def build(type_code: str, issuer_code: str, serial: int, version: int) -> str:
    """The identifier with its check character."""
    validate_type_code(type_code)
    validate_issuer_code(issuer_code)
    _check_numbers(serial, version)
    head = f"{PREFIX}.{type_code}.{issuer_code}.{serial:08d}.{version:02d}"
    return f"{head}.{check_character(head)}"


def parse(identifier: str) -> Identifier:
    """The parts of a licence identifier; `IdentifierError` naming the first thing that is wrong."""
    if not isinstance(identifier, str) or not identifier.strip():
        raise IdentifierError(gettext_noop("The licence identifier is empty."), "format")
    text = identifier.strip().upper()
    if len(text) > 100 or not text.isascii():
        raise IdentifierError(gettext_noop("This is not a licence identifier."), "format")
    if not text.startswith(PREFIX + "."):
        raise IdentifierError(gettext_noop("A licence identifier starts with %(prefix)s."), "prefix", prefix=PREFIX)
    parts = text[len(PREFIX) + 1:].split(".")
    if len(parts) != 5:
        raise IdentifierError(gettext_noop("After %(prefix)s a licence identifier has five parts separated by "
                                           "dots: type code, issuer code, serial, version and check character."),
                              "parts", prefix=PREFIX)
    type_code, issuer_code, serial, version, check = parts
    validate_type_code(type_code)
    validate_issuer_code(issuer_code)
    if len(serial) != 8 or not serial.isdigit():
        raise IdentifierError(gettext_noop("The serial number in a licence identifier has 8 digits."), "serial")
    if len(version) != 2 or not version.isdigit():
        raise IdentifierError(gettext_noop("The version in a licence identifier has 2 digits."), "version")
    _check_numbers(int(serial), int(version))
    if len(check) != 1 or check not in _VALUE:
        raise IdentifierError(gettext_noop("The check character of a licence identifier is one letter or digit."),
                              "check")
    if check != check_character(text[:text.rindex(".")]):
        raise IdentifierError(gettext_noop("The check character of the licence identifier is wrong."), "check")
    return Identifier(type_code, issuer_code, int(serial), int(version), check)
