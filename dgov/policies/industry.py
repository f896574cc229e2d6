"""Industries (GB/T 4754-2017 国民经济行业分类) and enterprise sizes (工信部联企业〔2011〕300号), the two
classifications the enterprise profiles carry and the policy rules test (data/README.md names the sources).

    industry_errors("C3251")      -> []                 (a section letter, then 2–4 digits of a division
                                                         inside the section's range)
    industry_name("C3251")        -> "铜压延加工"
    in_industry("C3251", "C32")   -> True               (a code lies in itself and in every parent)
    computed_size("C3251", 250, 30000) -> "medium"     (None where the standard is not computable here)
"""

import csv
import re
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DATA_FILE = Path(__file__).resolve().parent / "data" / "industries.csv"
CODE_SHAPE = re.compile(r"^[A-T](\d{2}|\d{3}|\d{4})?$")

#: the range of divisions (大类) of each section (门类) in GB/T 4754-2017
SECTION_DIVISIONS = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50), "F": (51, 52), "G": (53, 60),
    "H": (61, 62), "I": (63, 65), "J": (66, 69), "K": (70, 70), "L": (71, 72), "M": (73, 75), "N": (76, 79),
    "O": (80, 82), "P": (83, 83), "Q": (84, 85), "R": (86, 90), "S": (91, 96), "T": (97, 97),
}


class Size(models.TextChoices):
    LARGE = "large", gettext_lazy("large")    # 大型
    MEDIUM = "medium", gettext_lazy("medium")  # 中型
    SMALL = "small", gettext_lazy("small")    # 小型
    MICRO = "micro", gettext_lazy("micro")    # 微型


#: (industry prefixes, [(size, minimum employees, minimum revenue in 万元), …] from large down): an
#: enterprise is of the first size both of whose lower limits it reaches, else micro
SIZE_THRESHOLDS = [
    (("B", "C", "D"), [(Size.LARGE, 1000, 40000), (Size.MEDIUM, 300, 2000), (Size.SMALL, 20, 300)]),  # 工业
    (("F51",), [(Size.LARGE, 200, 40000), (Size.MEDIUM, 20, 5000), (Size.SMALL, 5, 1000)]),  # 批发业
    (("F52",), [(Size.LARGE, 300, 20000), (Size.MEDIUM, 50, 500), (Size.SMALL, 10, 100)]),  # 零售业
    (("H61", "H62"), [(Size.LARGE, 300, 10000), (Size.MEDIUM, 100, 2000), (Size.SMALL, 10, 100)]),  # 住宿、餐饮
    (("I63", "I64"), [(Size.LARGE, 2000, 100000), (Size.MEDIUM, 100, 1000), (Size.SMALL, 10, 100)]),  # 信息传输
    (("I65",), [(Size.LARGE, 300, 10000), (Size.MEDIUM, 100, 1000), (Size.SMALL, 10, 50)]),  # 软件和信息技术服务
]


@cache
def names() -> dict[str, str]:
    with DATA_FILE.open(encoding="utf-8") as fh:
        return {row["code"]: row["name"] for row in csv.DictReader(fh)}


def industry_errors(code: str) -> list[str]:
    """What is wrong with an industry code (empty when it is well-formed)."""
    if not isinstance(code, str) or not CODE_SHAPE.match(code):
        return [_("Enter a GB/T 4754-2017 industry code: a section letter A–T, optionally followed by 2 to 4 "
                  "digits (e.g. C3251).")]
    if len(code) > 1:
        low, high = SECTION_DIVISIONS[code[0]]
        if not low <= int(code[1:3]) <= high:
            return [_("Division %(division)s does not belong to section %(section)s (its divisions are %(low)02d–"
                      "%(high)02d).") % {"division": code[1:3], "section": code[0], "low": low, "high": high}]
    return []


def industry_name(code: str) -> str:
    """The name of `code` or of its nearest listed parent ("" when none is listed)."""
    known = names()
    for end in range(len(code or ""), 0, -1):
        if code[:end] in known and end != 2:  # "C3" is not a code
            return known[code[:end]]
    return ""


def in_industry(code: str, parent: str) -> bool:
    """Whether `code` is `parent` or lies below it (C3251 is in C325, C32 and C)."""
    return bool(code) and bool(parent) and code.startswith(parent)


def computed_size(industry: str, employees, revenue) -> str | None:
    """The size from employees and annual revenue (万元) where the standard's thresholds for `industry` are
    known here; None otherwise (the size is then entered)."""
    if not industry or employees is None or revenue is None:
        return None
    for prefixes, limits in SIZE_THRESHOLDS:
        if any(industry.startswith(p) for p in prefixes):
            revenue = Decimal(revenue)
            for size, min_employees, min_revenue in limits:
                if employees >= min_employees and revenue >= min_revenue:
                    return size
            return Size.MICRO
    return None
