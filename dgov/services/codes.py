"""The codes of government service items (GB/T 39554.1-2020, 全国一体化政务服务平台 政务服务事项基本目录及
实施清单 第1部分：编码要求).

- 基本编码 (base code): 12 characters the body defining the item in the base catalog gives it. National codes
  are 12 digits, e.g. 000104002000: two characters (00 for the national catalog; provinces number their own
  local items, e.g. 45…), the two-digit item type (01 行政许可 … 20 公共服务), a five-digit main item number
  and the three-digit sub-item number (000 when the item has no sub-items). The platform checks the form
  (12 characters of 0-9 and A-Z); it cannot check a code's registration with the national catalog, and
  provinces do not all keep the type in characters 3-4, so that is not enforced.
- 实施编码 (implementation code): the implementing body's 18-character unified social credit code (GB 32100,
  with its check character), the one-digit level at which the item is exercised (行使层级: 1 national,
  2 provincial, 3 municipal, 4 county, 5 township, 6 village) and the item's 12-character base code: 31
  characters, e.g. 11450721MB155808114000104002000 (a county body: level 4, base code 000104002000). When one
  implementation is split into business-handling items (业务办理项), their code (here 1 to 5 digits) follows:
  at most 36 characters, the width the platforms' data exchange gives the field.

The platform checks that the credit code is valid and is the implementing department's own, that the level
digit is the level of the implementation's region, and that the base code is the item's.
"""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _

from dgov.core.validators import validate_credit_code

BASE_CODE_RE = re.compile(r"^[0-9A-Z]{12}$")
IMPLEMENTATION_CODE_RE = re.compile(
    r"^(?P<credit>[0-9A-Z]{18})(?P<level>[1-6])(?P<base>[0-9A-Z]{12})(?P<handling>[0-9]{0,5})$")
#: 行使层级 by the region's level (orgs.RegionLevel)
LEVEL_DIGITS = {"province": "2", "city": "3", "county": "4", "township": "5", "village": "6"}


def base_code_errors(code: str) -> list[str]:
    if not BASE_CODE_RE.match(code or ""):
        return [_("A base code has 12 characters: digits and capital letters.")]
    return []


def level_digit(region) -> str:
    return LEVEL_DIGITS.get(getattr(region, "level", ""), "4")


def implementation_code(*, credit_code: str, region, base_code: str, handling: str = "") -> str:
    """The implementation code the rule gives."""
    return f"{credit_code}{level_digit(region)}{base_code}{handling}"


def implementation_code_errors(code: str, *, department, region, base_code: str) -> list[str]:
    """Why `code` is not the implementation code of the item `base_code` carried out by `department` in
    `region` ([] when it is)."""
    match = IMPLEMENTATION_CODE_RE.match(code or "")
    if not match:
        return [_("An implementation code is the implementing body's 18-character credit code, the one-digit "
                  "level (1 to 6), the 12-character base code and, for a business-handling item, up to 5 more "
                  "digits.")]
    errors = []
    try:
        validate_credit_code(match["credit"])
    except DjangoValidationError:
        errors.append(_("The first 18 characters are not a valid unified social credit code."))
    own = getattr(department, "credit_code", "") if department is not None else ""
    if department is not None and not own:
        errors.append(_("%(department)s has no unified social credit code yet: an implementation code starts with "
                        "it. Enter it on the department's page first.") % {"department": department.name})
    elif own and match["credit"] != own:
        errors.append(_("The code must start with the implementing department's credit code %(code)s.")
                      % {"code": own})
    if region is not None and match["level"] != level_digit(region):
        errors.append(_("The 19th character is the level: %(digit)s for this region.") % {"digit": level_digit(region)})
    if base_code and match["base"] != base_code:
        errors.append(_("Characters 20 to 31 must be the item's base code %(code)s.") % {"code": base_code})
    return errors
