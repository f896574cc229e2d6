"""The few DER structures SM2 needs, encoded and parsed strictly, with PEM armour.

Signatures (`SEQUENCE {r, s}`), ciphertexts (`SEQUENCE {x, y, hash, ciphertext}`, GB/T 35276),
public keys (SubjectPublicKeyInfo, RFC 5480) and private keys (PKCS #8, RFC 5208, and SEC 1 "EC
PRIVATE KEY", RFC 5915), with the curve sm2p256v1 (OID 1.2.156.10197.1.301). This is what OpenSSL 3
reads and writes for SM2. Any malformed input raises `InvalidKeyError` (keys) or `ValueError`.
"""

import base64
import binascii
import re

from dgov.crypto.errors import InvalidKeyError

OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
OID_SM2 = "1.2.156.10197.1.301"

SEQUENCE, INTEGER, BIT_STRING, OCTET_STRING, OID = 0x30, 0x02, 0x03, 0x04, 0x06
CONTEXT_0, CONTEXT_1 = 0xA0, 0xA1

SM2_SCALAR_BYTES = 32
SM2_POINT_BYTES = 65


# --- TLV ------------------------------------------------------------------------------------------
def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _len(len(body)) + body


def encode_int(value: int) -> bytes:
    if value < 0:
        raise ValueError("negative INTEGER")
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")  # leading 0 keeps it positive
    return tlv(INTEGER, body)


def encode_oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    out = bytearray([40 * parts[0] + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        out.extend(reversed(chunk))
    return tlv(OID, bytes(out))


def read_tlv(data: bytes, pos: int = 0) -> tuple[int, bytes, int]:
    """Read one element at `pos`: (tag, body, position after it). Definite, minimal lengths only."""
    if pos + 2 > len(data):
        raise ValueError("truncated DER")
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[pos:pos + count], "big")
        if length < 0x80 or data[pos] == 0:
            raise ValueError("non-minimal DER length")
        pos += count
    if pos + length > len(data):
        raise ValueError("truncated DER")
    return tag, data[pos:pos + length], pos + length


def read_all(data: bytes) -> list[tuple[int, bytes]]:
    items, pos = [], 0
    while pos < len(data):
        tag, body, pos = read_tlv(data, pos)
        items.append((tag, body))
    return items


def read_one(data: bytes, tag: int) -> bytes:
    got, body, end = read_tlv(data)
    if got != tag or end != len(data):
        raise ValueError("unexpected DER structure")
    return body


def decode_int(body: bytes) -> int:
    if not body or body[0] & 0x80 or (len(body) > 1 and body[0] == 0 and not body[1] & 0x80):
        raise ValueError("bad DER INTEGER")
    return int.from_bytes(body, "big")


def decode_oid(body: bytes) -> str:
    if not body:
        raise ValueError("empty OID")
    parts = [body[0] // 40, body[0] % 40] if body[0] < 80 else [2, body[0] - 80]
    value = 0
    for byte in body[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    if body[-1] & 0x80:
        raise ValueError("truncated OID")
    return ".".join(map(str, parts))


def _sequence(data: bytes, expected: int | None = None) -> list[tuple[int, bytes]]:
    items = read_all(read_one(data, SEQUENCE))
    if expected is not None and len(items) != expected:
        raise ValueError("unexpected number of elements")
    return items


# --- signatures and ciphertexts -------------------------------------------------------------------
def encode_signature(r: int, s: int) -> bytes:
    return tlv(SEQUENCE, encode_int(r) + encode_int(s))


def decode_signature(der: bytes) -> tuple[int, int]:
    (tag_r, r), (tag_s, s) = _sequence(der, 2)
    if tag_r != INTEGER or tag_s != INTEGER:
        raise ValueError("bad SM2 signature")
    return decode_int(r), decode_int(s)


def encode_ciphertext(x: int, y: int, digest: bytes, ciphertext: bytes) -> bytes:
    body = encode_int(x) + encode_int(y) + tlv(OCTET_STRING, digest) + tlv(OCTET_STRING, ciphertext)
    return tlv(SEQUENCE, body)


def decode_ciphertext(der: bytes) -> tuple[int, int, bytes, bytes]:
    items = _sequence(der, 4)
    if [t for t, _ in items] != [INTEGER, INTEGER, OCTET_STRING, OCTET_STRING]:
        raise ValueError("bad SM2 ciphertext")
    return decode_int(items[0][1]), decode_int(items[1][1]), items[2][1], items[3][1]


# --- keys -----------------------------------------------------------------------------------------
def _algorithm() -> bytes:
    return tlv(SEQUENCE, encode_oid(OID_EC_PUBLIC_KEY) + encode_oid(OID_SM2))


def encode_public_key(point: bytes) -> bytes:
    """SubjectPublicKeyInfo DER for a 65-byte uncompressed point."""
    return tlv(SEQUENCE, _algorithm() + tlv(BIT_STRING, b"\x00" + point))


def encode_private_key(private: bytes, point: bytes) -> bytes:
    """PKCS #8 PrivateKeyInfo DER (what `openssl genpkey -algorithm SM2` writes)."""
    ec = tlv(SEQUENCE, encode_int(1) + tlv(OCTET_STRING, private) + tlv(CONTEXT_1, tlv(BIT_STRING, b"\x00" + point)))
    return tlv(SEQUENCE, encode_int(0) + _algorithm() + tlv(OCTET_STRING, ec))


def _check_algorithm(body: bytes) -> None:
    items = read_all(body)
    if items and items[0][0] == OID and decode_oid(items[0][1]) not in (OID_EC_PUBLIC_KEY, OID_SM2):
        raise InvalidKeyError(f"not an SM2 key (its algorithm is {decode_oid(items[0][1])})")
    oids = [decode_oid(b) for t, b in items if t == OID]
    if len(oids) != len(items) or not oids:
        raise ValueError("bad algorithm identifier")
    if oids[0] == OID_SM2 and len(oids) <= 2:  # some tools name the algorithm itself SM2
        return
    if oids != [OID_EC_PUBLIC_KEY, OID_SM2]:
        raise InvalidKeyError("not an SM2 key (the curve must be sm2p256v1, OID 1.2.156.10197.1.301)")


def _point(bit_string: bytes) -> bytes:
    if len(bit_string) != SM2_POINT_BYTES + 1 or bit_string[0] != 0 or bit_string[1] != 4:
        raise InvalidKeyError("the public key must be an uncompressed sm2p256v1 point")
    return bit_string[1:]


def decode_public_key(der: bytes) -> bytes:
    """The 65-byte point from a SubjectPublicKeyInfo."""
    try:
        (tag_alg, alg), (tag_key, key) = _sequence(der, 2)
        if tag_alg != SEQUENCE or tag_key != BIT_STRING:
            raise ValueError("bad SubjectPublicKeyInfo")
        _check_algorithm(alg)
        return _point(key)
    except InvalidKeyError:
        raise
    except ValueError as exc:
        raise InvalidKeyError(f"malformed SM2 public key: {exc}") from None


def _ec_private_key(der: bytes, outer_algorithm_checked: bool) -> tuple[bytes, bytes | None]:
    items = _sequence(der)
    if len(items) < 2 or items[0] != (INTEGER, b"\x01") or items[1][0] != OCTET_STRING:
        raise ValueError("bad ECPrivateKey")
    scalar, point = items[1][1], None
    if len(scalar) > SM2_SCALAR_BYTES:
        raise InvalidKeyError("the private key is longer than 32 bytes")
    for tag, body in items[2:]:
        if tag == CONTEXT_0:
            curve = decode_oid(read_one(body, OID))
            if curve != OID_SM2:
                raise InvalidKeyError("not an SM2 key (the curve must be sm2p256v1)")
            outer_algorithm_checked = True
        elif tag == CONTEXT_1:
            point = _point(read_one(body, BIT_STRING))
        else:
            raise ValueError("unexpected field in ECPrivateKey")
    if not outer_algorithm_checked:
        raise InvalidKeyError("the EC private key does not name its curve")
    return scalar.rjust(SM2_SCALAR_BYTES, b"\x00"), point


def decode_private_key(der: bytes) -> tuple[bytes, bytes | None]:
    """(32-byte scalar, 65-byte point or None) from PKCS #8 or SEC 1 DER."""
    try:
        items = _sequence(der)
        if items and items[0] == (INTEGER, b"\x01"):  # SEC 1
            return _ec_private_key(der, outer_algorithm_checked=False)
        if len(items) < 3 or items[0] != (INTEGER, b"\x00") or items[1][0] != SEQUENCE or items[2][0] != OCTET_STRING:
            raise ValueError("bad PrivateKeyInfo")
        _check_algorithm(items[1][1])
        return _ec_private_key(items[2][1], outer_algorithm_checked=True)
    except InvalidKeyError:
        raise
    except ValueError as exc:
        raise InvalidKeyError(f"malformed SM2 private key: {exc}") from None


# --- PEM ------------------------------------------------------------------------------------------
_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)\s*-----END \1-----", re.S)


def pem_encode(label: str, der: bytes) -> str:
    b64 = base64.b64encode(der).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def pem_decode(text: str | bytes, labels: tuple[str, ...]) -> tuple[str, bytes]:
    """(label, DER) of the first PEM block whose label is one of `labels`."""
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            raise InvalidKeyError("a PEM key is ASCII text") from None
    for match in _PEM.finditer(text):
        if match.group(1) in labels:
            try:
                return match.group(1), base64.b64decode("".join(match.group(2).split()), validate=True)
            except binascii.Error:
                raise InvalidKeyError("the PEM body is not valid base64") from None
    raise InvalidKeyError(f"no PEM block labelled {' or '.join(labels)} found")
