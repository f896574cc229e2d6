"""Licence identifiers: GB/T 36904 layout and the ISO/IEC 7064 MOD 37,36 check character."""

import random

import pytest

from dgov.licenses import identifier
from dgov.licenses.identifier import PREFIX, IdentifierError, build, check_character, is_valid_check, parse

from .test_ses import ISSUER_CODE as ISSUER
from .test_ses import TYPE_CODE as TYPE

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def reference_checksum(text: str) -> int:
    """ISO/IEC 7064 hybrid MOD 37,36 written the other way round (as in the standard's recursive
    definition): a valid string ends with (P + c) mod 36 == 1."""
    p = 36
    for i, char in enumerate(text):
        s = (p + ALPHABET.index(char)) % 36
        if i == len(text) - 1:
            return s
        p = (2 * (s or 36)) % 37
    raise AssertionError("empty")


def test_iso_7064_published_example():
    # ISO/IEC 7064 MOD 37,36 example: "A12425GABC1234002" has the check character "M"
    assert check_character("A12425GABC1234002") == "M"
    assert is_valid_check("A12425GABC1234002M")
    assert not is_valid_check("A12425GABC1234002N")
    assert reference_checksum("A12425GABC1234002M") == 1


def test_check_character_agrees_with_the_reference_definition():
    rng = random.Random(7064)
    for _ in range(2000):
        body = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(1, 60)))
        check = check_character(body)
        assert check in ALPHABET  # MOD 37,36 never needs the supplementary "*" of MOD 37-2
        assert reference_checksum(body + check) == 1
        assert check_character(body.lower()) == check


def test_every_single_substitution_and_adjacent_transposition_is_detected():
    ident = build(TYPE, ISSUER, 12345678, 3)
    compact = ident.replace(".", "")
    assert is_valid_check(compact)
    for i, char in enumerate(compact):
        for other in ALPHABET:
            if other != char:
                assert not is_valid_check(compact[:i] + other + compact[i + 1:]), (i, other)
    for i in range(len(compact) - 1):
        if compact[i] != compact[i + 1]:
            swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2:]
            assert not is_valid_check(swapped), i
    rng = random.Random(36)
    for _ in range(300):  # and on random strings of every length
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(2, 40)))
        text += check_character(text)
        i = rng.randrange(len(text) - 1)
        if text[i] != text[i + 1]:
            assert not is_valid_check(text[:i] + text[i + 1] + text[i] + text[i + 2:])
        wrong = rng.choice(ALPHABET.replace(text[i], ""))
        assert not is_valid_check(text[:i] + wrong + text[i + 1:])


def test_build_and_parse():
    ident = build(TYPE, ISSUER, 42, 1)
    head = f"{PREFIX}.{TYPE}.{ISSUER}.00000042.01"
    assert ident == f"{head}.{check_character(head)}"
    parsed = parse(ident)
    assert parsed == identifier.Identifier(TYPE, ISSUER, 42, 1, ident[-1]) and str(parsed) == ident
    assert parse(f"  {ident.lower()} ") == parsed  # surrounding blanks and case do not matter
    assert build(TYPE, ISSUER, 42, 2) != ident and parse(build(TYPE, ISSUER, 42, 2)).version == 2
    assert parse(build(TYPE, ISSUER, 99_999_999, 99)).serial == 99_999_999


def _with(ident: str, index: int, value: str) -> str:
    parts = ident.split(".")
    parts[index] = value
    return ".".join(parts)


def _recheck(text: str) -> str:
    """`text` with its last part replaced by the right check character."""
    head = text[:text.rindex(".")]
    return f"{head}.{check_character(head)}"


@pytest.mark.parametrize("make, code_", [
    (lambda i: "", "format"),
    (lambda i: "证照" + i, "format"),
    (lambda i: i.replace(PREFIX, "1.2.156.3005.3"), "prefix"),
    (lambda i: i + ".X", "parts"),
    (lambda i: i.rsplit(".", 1)[0], "parts"),
    (lambda i: _recheck(_with(i, 5, TYPE[:20])), "type_code"),
    (lambda i: _recheck(_with(i, 5, TYPE[:17] + ("0" if TYPE[17] != "0" else "1") + "001")), "type_code"),
    (lambda i: _recheck(_with(i, 5, TYPE[:18] + "0A1")), "type_code"),
    (lambda i: _recheck(_with(i, 6, ISSUER[:17] + ("0" if ISSUER[17] != "0" else "1"))), "issuer_code"),
    (lambda i: _recheck(_with(i, 6, ISSUER + "0")), "issuer_code"),
    (lambda i: _recheck(_with(i, 7, "0000042")), "serial"),
    (lambda i: _recheck(_with(i, 7, "00000000")), "serial"),
    (lambda i: _recheck(_with(i, 8, "1")), "version"),
    (lambda i: _recheck(_with(i, 8, "00")), "version"),
    (lambda i: _with(i, 9, "*"), "check"),
    (lambda i: _with(i, 9, "AB"), "check"),
    (lambda i: _with(i, 9, ALPHABET[(ALPHABET.index(i[-1]) + 1) % 36]), "check"),
])
def test_parse_names_what_is_wrong(make, code_):
    with pytest.raises(IdentifierError) as caught:
        parse(make(build(TYPE, ISSUER, 42, 1)))
    error = caught.value
    assert error.code == code_
    assert error.message == str(error) == error.template % error.params and error.message.isascii()


@pytest.mark.parametrize("args", [
    (TYPE, ISSUER, 0, 1), (TYPE, ISSUER, 100_000_000, 1), (TYPE, ISSUER, 1, 0), (TYPE, ISSUER, 1, 100),
    (TYPE[:18], ISSUER, 1, 1), (TYPE, TYPE, 1, 1), (TYPE.lower(), ISSUER, 1, 1), (TYPE, None, 1, 1),
])
def test_build_refuses(args):
    with pytest.raises(IdentifierError):
        build(*args)


def test_check_character_refuses_non_alphanumerics():
    for body in ("", "...", "ABC-1", "证照"):
        with pytest.raises(IdentifierError):
            check_character(body)
    assert not is_valid_check("A") and not is_valid_check("AB*")


def test_validators():
    identifier.validate_type_code(TYPE)
    identifier.validate_issuer_code(ISSUER)
    for bad in ("", TYPE + "1", ISSUER, 12345):
        with pytest.raises(IdentifierError):
            identifier.validate_type_code(bad)
    with pytest.raises(IdentifierError) as caught:
        identifier.validate_issuer_code(ISSUER[:17] + ("0" if ISSUER[17] != "0" else "1"))
    assert "check character" in caught.value.message
