"""Masking of personal data in gateway responses, by `DatasetColumn.mask` (a `MaskKind` value).

Rules (docs/exchange.md): the value is turned into text and
- name: the first character kept (张三 → 张*, 欧阳娜娜 → 欧***);
- id_number: the first 4 and last 4 kept (360602199001011234 → 3606**********1234);
- phone: the first 3 and last 4 kept (13812345678 → 138****5678);
- email: the first character of the local part and the domain kept (zhang@example.cn → z***@example.cn);
- address: the first 6 characters kept, never more than half of them, the rest as ****
  (江西省鹰潭市余江区… → 江西省鹰潭市****);
- bank_card: the first 6 and last 4 kept (6222021234567890123 → 622202*********0123);
- partial: the middle half masked (a quarter kept at each end, at least one character masked);
- none: unchanged.
A value shorter than its rule's usual length (an ID number under 15 characters, a phone number
under 11, a card number under 12) is masked whole: keeping the usual head and tail would show most
of it (a 8-digit number would keep 7). None stays None; an empty value stays empty. An
unknown kind masks the whole value, so a misconfiguration fails closed.
"""

STAR = "*"


def _keep(text: str, head: int, tail: int, shortest: int = 0) -> str:
    if len(text) <= head + tail or len(text) < shortest:
        return STAR * len(text)
    return text[:head] + STAR * (len(text) - head - tail) + (text[len(text) - tail:] if tail else "")


def mask_name(text: str) -> str:
    return text[:1] + STAR * (len(text) - 1) if len(text) > 1 else STAR * len(text)


def mask_id_number(text: str) -> str:
    return _keep(text, 4, 4, shortest=15)


def mask_phone(text: str) -> str:
    return _keep(text, 3, 4, shortest=11)


def mask_email(text: str) -> str:
    local, at, domain = text.rpartition("@")  # the domain follows the last "@"
    if not at:
        return _keep(text, 1, 0)
    return (local[:1] + STAR * 3 if local else "") + "@" + domain


def mask_address(text: str) -> str:
    keep = min(6, len(text) // 2)
    return text[:keep] + STAR * 4 if keep else STAR * len(text)


def mask_bank_card(text: str) -> str:
    return _keep(text, 6, 4, shortest=12)


def mask_partial(text: str) -> str:
    quarter = len(text) // 4
    return _keep(text, quarter, quarter)


MASKS = {
    "name": mask_name, "id_number": mask_id_number, "phone": mask_phone, "email": mask_email,
    "address": mask_address, "bank_card": mask_bank_card, "partial": mask_partial,
}


def mask(kind: str, value):
    """`value` as a consumer without the right to the clear value sees it."""
    if value is None or kind == "none" or kind == "":
        return value
    text = value if isinstance(value, str) else str(value)
    if not text:
        return text
    rule = MASKS.get(kind)
    return rule(text) if rule else STAR * len(text)
