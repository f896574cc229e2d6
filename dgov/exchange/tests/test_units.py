"""Masking rules and the canonical request (no database)."""

import pytest

from dgov.exchange import signing
from dgov.exchange.masking import mask


@pytest.mark.parametrize("kind, value, masked", [
    ("name", "张三", "张*"), ("name", "欧阳娜娜", "欧***"), ("name", "张", "*"),
    ("id_number", "360602199001011234", "3606**********1234"),
    ("phone", "13812345678", "138****5678"),
    ("email", "zhang@example.cn", "z***@example.cn"),
    ("address", "江西省鹰潭市余江区锦江镇人民路1号", "江西省鹰潭市****"),
    ("bank_card", "6222021234567890123", "622202*********0123"),
    ("partial", "ABCDEFGH", "AB****GH"), ("partial", "AB", "**"),
    ("none", "张三", "张三"), ("name", None, None), ("phone", "", ""), ("phone", 13812345678, "138****5678"),
    ("unknown-rule", "secret", "******"),
])
def test_masks(kind, value, masked):
    assert mask(kind, value) == masked


def test_the_query_is_sorted_and_percent_encoded():
    assert signing.canonical_query("xm=张三&limit=10&a=b+c&a=a") == "a=a&a=b%20c&limit=10&xm=%E5%BC%A0%E4%B8%89"
    assert signing.canonical_query("") == ""


def test_the_string_to_sign():
    message = signing.string_to_sign("get", "/exchange/v1/allowed", "", "1767225600", "n" * 16, b"")
    assert message == ("GET\n/exchange/v1/allowed\n\n1767225600\n" + "n" * 16 + "\n"
                       "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b").encode()


def test_hmac_signatures_verify_and_others_do_not():
    signature = signing.hmac_signature("s3cret", b"message")
    assert signing.verify_hmac("s3cret", b"message", signature)
    assert not signing.verify_hmac("s3cret", b"messagE", signature)
    assert not signing.verify_hmac("other", b"message", signature)
    assert not signing.verify_hmac("s3cret", b"message", "not base64!")
