"""Validators of the national code standards every app meets at its edge: GB 11643 citizen identity
numbers, GB 32100 unified social credit codes, mobile numbers, and their masks. Messages are Chinese
through i18n. (Password rules are identity's: dgov.accounts.validators.)"""

import datetime
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# GB 11643-1999 citizen identity number: 6-digit address code, 8-digit birth date, 3-digit
# sequence, ISO 7064 MOD 11-2 check character.
_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
_PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
              50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}


def id_number_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def _halfwidth(value: str) -> str:
    """Full-width digits and letters (as Chinese input methods type them) as ASCII."""
    return unicodedata.normalize("NFKC", value or "")


def normalize_id_number(value: str) -> str:
    return _halfwidth(value).strip().upper()


def validate_id_number(value: str) -> str:
    """Return the normalised number or raise ValidationError (GB 11643)."""
    v = normalize_id_number(value)
    if not re.fullmatch(r"[0-9]{17}[0-9X]", v):
        raise ValidationError(_("An ID card number has 18 characters: 17 digits and a final digit or X."),
                              code="id_format")
    if int(v[:2]) not in _PROVINCES:
        raise ValidationError(_("The address code of the ID card number is not valid."), code="id_region")
    try:
        born = datetime.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise ValidationError(_("The birth date in the ID card number is not valid."), code="id_birth") from None
    if born > datetime.date.today() or born.year < 1880:
        raise ValidationError(_("The birth date in the ID card number is not valid."), code="id_birth")
    if id_number_check_char(v[:17]) != v[17]:
        raise ValidationError(_("The check digit of the ID card number is wrong; please check the number."),
                              code="id_check")
    return v


# GB 32100-2015 unified social credit code: registration authority, entity type, 6-digit region,
# 9-character organisation code, check character (mod 31 over this 31-character alphabet).
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code_check_char(first17: str) -> str:
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> str:
    """Return the normalised code or raise ValidationError (GB 32100)."""
    v = _halfwidth(value).strip().upper()
    if len(v) != 18 or any(c not in _USCC_ALPHABET for c in v):
        raise ValidationError(
            _("A unified social credit code has 18 characters: digits and capital letters except I, O, Z, S, V."),
            code="uscc_format")
    if not v[2:8].isdigit():
        raise ValidationError(_("Characters 3 to 8 of the unified social credit code must be a region code."),
                              code="uscc_region")
    if credit_code_check_char(v[:17]) != v[17]:
        raise ValidationError(_("The check character of the unified social credit code is wrong; "
                                "please check the code."), code="uscc_check")
    return v


def normalize_phone(value: str) -> str:
    return re.sub(r"[\s-]", "", _halfwidth(value))


def validate_phone(value: str) -> str:
    v = normalize_phone(value)
    if not re.fullmatch(r"1[3-9][0-9]{9}", v):
        raise ValidationError(_("Enter an 11-digit mainland mobile phone number."), code="phone")
    return v


def mask_id_number(value: str) -> str:
    return value[:3] + "*" * 11 + value[-4:] if len(value) == 18 else "*" * len(value)


def mask_phone(value: str) -> str:
    return value[:3] + "****" + value[-4:] if len(value) == 11 else "*" * len(value)
