"""The personal-data scanner run before a dataset is published (and again when the centre approves it).

It reads sample rows exactly as the portal would serve them (opened columns only, each column's mask applied)
and looks inside every value for what identifies a person:

- `id_number`: an 18-character 公民身份号码 (GB 11643) with a plausible birth date and a correct check
  character — a masked one (`3606**********1234`) does not match;
- `mobile`: an 11-digit mainland mobile number (1[3-9] and nine digits), not part of a longer number;
- `bank_card`: 16 to 19 digits passing the Luhn check (GB/T 19584 cards, ISO/IEC 7812) that are not an ID
  number.

Landlines and e-mail addresses are not flagged: open data routinely lists institutions' office numbers and
addresses. Any finding blocks publication, naming the column (data item) and what was found; the finding keeps
no value, only a masked example.
"""

import re
from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from dgov.core.validators import id_number_check_char
from dgov.exchange.masking import mask

ID_RE = re.compile(r"(?<![0-9A-Za-z])([1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
                   r"[0-9]{3}[0-9Xx])(?![0-9A-Za-z])")
MOBILE_RE = re.compile(r"(?<![0-9])(1[3-9][0-9]{9})(?![0-9])")
CARD_RE = re.compile(r"(?<![0-9A-Za-z])([0-9]{16,19})(?![0-9A-Za-z])")
KINDS = {"id_number": _("ID numbers (身份证号)"), "mobile": _("mobile phone numbers"),
         "bank_card": _("bank card numbers")}
MASK_OF = {"id_number": "id_number", "mobile": "phone", "bank_card": "bank_card"}


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def findings_in(text: str) -> dict[str, str]:
    """What `text` contains, by kind: {kind: the first value found}."""
    found = {}
    for m in ID_RE.finditer(text):
        value = m.group(1).upper()
        if id_number_check_char(value[:17]) == value[17]:
            found["id_number"] = value
            break
    for m in MOBILE_RE.finditer(text):
        found["mobile"] = m.group(1)
        break
    for m in CARD_RE.finditer(text):
        if _luhn(m.group(1)) and not ID_RE.fullmatch(m.group(1)):  # an ID number is not also a card
            found["bank_card"] = m.group(1)
            break
    return found


def scan_rows(rows: Iterable[dict], labels: dict[str, str]) -> list[dict]:
    """Findings over `rows` ({column: value}): one per column and kind, with the column's data item name
    (`labels`), how many values matched and a masked example."""
    counts: dict[tuple[str, str], list] = {}
    for row in rows:
        for column, value in row.items():
            if value is None or isinstance(value, bool):
                continue
            text = str(value)
            if len(text) < 11:
                continue
            for kind, found in findings_in(text).items():
                slot = counts.setdefault((column, kind), [0, mask(MASK_OF[kind], found)])
                slot[0] += 1
    return [{"column": column, "item": labels.get(column, column), "kind": kind, "label": str(KINDS[kind]), "count": n,
             "example": example}
            for (column, kind), (n, example) in sorted(counts.items())]
