"""Minimal X.509 v3 certificates (RFC 5280, GB/T 20518) with SM2 keys, signed with SM2-with-SM3.

Only what the licence seals need: the seal maker's self-signed CA certificate and the signer certificates it
issues to each e-seal. The DER is built with `dgov.crypto.asn1`'s TLV helpers (and the few string, time and
tag encoders below, which `ses.py` shares); OpenSSL 3 reads the result (`openssl x509 -inform DER -text
-pubkey`, tested). Signatures are SM2 over SM3 with the signer ID 1234567812345678 (GB/T 35276), DER (r, s),
algorithm 1.2.156.10197.1.501 without parameters.

    Certificate  ::= SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }
    TBSCertificate ::= SEQUENCE { version [0] EXPLICIT INTEGER (2 = v3), serialNumber INTEGER,
        signature AlgorithmIdentifier, issuer Name, validity SEQUENCE { notBefore, notAfter },
        subject Name, subjectPublicKeyInfo, extensions [3] EXPLICIT SEQUENCE OF Extension }

Names are dicts of attribute → value, written in a fixed order (C, ST, L, O, OU, organizationIdentifier,
serialNumber, CN) so the same dict always gives the same bytes. Times before 2050 are UTCTime, later ones
GeneralizedTime (RFC 5280 section 4.1.2.5).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from dgov.crypto import asn1
from dgov.crypto.asn1 import BIT_STRING, INTEGER, OCTET_STRING, OID, SEQUENCE, tlv
from dgov.crypto.primitives import DEFAULT_SIGNER_ID, SM2PublicKey, sm3

OID_SM2_WITH_SM3 = "1.2.156.10197.1.501"
BOOLEAN, UTF8_STRING, PRINTABLE_STRING, IA5_STRING, UTC_TIME, GENERALIZED_TIME = 0x01, 0x0C, 0x13, 0x16, 0x17, 0x18
SET = 0x31
_STRING_TAGS = {UTF8_STRING, PRINTABLE_STRING, IA5_STRING, 0x14, 0x1E, 0x1C}  # + T61, BMP, Universal

NAME_ATTRIBUTES = {  # short name → OID, in the order they are written
    "C": "2.5.4.6", "ST": "2.5.4.8", "L": "2.5.4.7", "O": "2.5.4.10", "OU": "2.5.4.11",
    "organizationIdentifier": "2.5.4.97", "serialNumber": "2.5.4.5", "CN": "2.5.4.3",
}
_NAME_BY_OID = {oid: name for name, oid in NAME_ATTRIBUTES.items()}
OID_BASIC_CONSTRAINTS, OID_KEY_USAGE = "2.5.29.19", "2.5.29.15"
OID_SUBJECT_KEY_ID, OID_AUTHORITY_KEY_ID = "2.5.29.14", "2.5.29.35"


class CertificateError(ValueError):
    """A certificate that is not DER, not X.509 v3, or not an SM2 certificate."""


# --- DER helpers shared with ses.py -----------------------------------------------------------------
def der_elements(body: bytes) -> list[tuple[int, bytes, bytes]]:
    """The elements of a constructed value's body: (tag, body, the element's whole encoding)."""
    items, pos = [], 0
    while pos < len(body):
        tag, inner, end = asn1.read_tlv(body, pos)
        items.append((tag, inner, body[pos:end]))
        pos = end
    return items


def der_sequence(der: bytes, tag: int = SEQUENCE) -> list[tuple[int, bytes, bytes]]:
    """The elements of one constructed value that is exactly `der` (no trailing bytes)."""
    return der_elements(asn1.read_one(der, tag))


def expect(element: tuple[int, bytes, bytes], tag: int, what: str) -> bytes:
    if element[0] != tag:
        raise ValueError(f"{what}: unexpected ASN.1 type")
    return element[1]


def encode_string(tag: int, text: str) -> bytes:
    if tag == UTF8_STRING:
        return tlv(tag, text.encode("utf-8"))
    if not text.isascii() or (tag == PRINTABLE_STRING and not all(c.isalnum() or c in " '()+,-./:=?" for c in text)):
        raise ValueError(f"{text!r} is not allowed in this ASN.1 string type")
    return tlv(tag, text.encode("ascii"))


def decode_string(element: tuple[int, bytes, bytes], what: str, tag: int | None = None) -> str:
    got, body, _ = element
    if (tag is not None and got != tag) or got not in _STRING_TAGS:
        raise ValueError(f"{what}: unexpected ASN.1 type")
    try:
        if got == 0x1E:
            return body.decode("utf-16-be")
        if got == 0x1C:
            return body.decode("utf-32-be")
        return body.decode("utf-8" if got == UTF8_STRING else "ascii")
    except UnicodeDecodeError:
        raise ValueError(f"{what}: the string is not valid for its type") from None


def _utc(moment: dt.datetime) -> dt.datetime:
    if not isinstance(moment, dt.datetime) or moment.tzinfo is None:
        raise ValueError("times in certificates and seals must be timezone-aware datetimes")
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def encode_generalized_time(moment: dt.datetime) -> bytes:
    return tlv(GENERALIZED_TIME, _utc(moment).strftime("%Y%m%d%H%M%SZ").encode())


def encode_time(moment: dt.datetime) -> bytes:
    """RFC 5280 Time: UTCTime for 1950-2049, GeneralizedTime otherwise."""
    moment = _utc(moment)
    if 1950 <= moment.year < 2050:
        return tlv(UTC_TIME, moment.strftime("%y%m%d%H%M%SZ").encode())
    return encode_generalized_time(moment)


def decode_time(element: tuple[int, bytes, bytes], what: str) -> dt.datetime:
    """UTCTime or GeneralizedTime in DER form (seconds, "Z"; GeneralizedTime may carry fractions)."""
    tag, body, _ = element
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError(f"{what}: bad time") from None
    if tag == UTC_TIME and len(text) == 13 and text.endswith("Z") and text[:12].isdigit():
        year = int(text[:2])
        text = ("19" if year >= 50 else "20") + text
    elif tag != GENERALIZED_TIME or not text.endswith("Z") or len(text) < 15 or not text[:14].isdigit():
        raise ValueError(f"{what}: bad time")
    fraction = text[14:-1]
    if fraction and not (fraction[0] == "." and fraction[1:].isdigit() and not fraction.endswith("0")):
        raise ValueError(f"{what}: bad time")
    try:
        moment = dt.datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    except ValueError:
        raise ValueError(f"{what}: bad time") from None
    return moment + dt.timedelta(microseconds=round(float("0" + fraction) * 1e6)) if fraction else moment


def bit_string(data: bytes) -> bytes:
    return tlv(BIT_STRING, b"\x00" + data)


def decode_bit_string(element: tuple[int, bytes, bytes], what: str) -> bytes:
    body = expect(element, BIT_STRING, what)
    if not body or body[0] != 0:
        raise ValueError(f"{what}: a BIT STRING of whole bytes was expected")
    return body[1:]


def algorithm_sm2_with_sm3() -> bytes:
    return tlv(SEQUENCE, asn1.encode_oid(OID_SM2_WITH_SM3))


# --- certificates ---------------------------------------------------------------------------------
def encode_name(name: dict) -> bytes:
    unknown = set(name) - set(NAME_ATTRIBUTES)
    if unknown or not name:
        raise ValueError(f"unsupported or missing name attributes: {sorted(unknown) or 'none given'}")
    rdns = b""
    for key, oid in NAME_ATTRIBUTES.items():
        if name.get(key):
            kind = PRINTABLE_STRING if key in ("C", "serialNumber") else UTF8_STRING
            rdns += tlv(SET, tlv(SEQUENCE, asn1.encode_oid(oid) + encode_string(kind, str(name[key]))))
    return tlv(SEQUENCE, rdns)


def decode_name(der: bytes) -> dict:
    result = {}
    for tag, rdn, _ in der_sequence(der):
        if tag != SET:
            raise ValueError("Name: a RelativeDistinguishedName is a SET")
        for _tag, _body, attribute in der_elements(rdn):
            oid_element, value = der_sequence(attribute)
            oid = asn1.decode_oid(expect(oid_element, OID, "Name"))
            result[_NAME_BY_OID.get(oid, oid)] = decode_string(value, "Name")
    return result


def _key_id(public_key: SM2PublicKey) -> bytes:
    """Key identifier: the leftmost 160 bits of SM3 over the subjectPublicKey bits (RFC 5280 4.2.1.2, with SM3)."""
    return sm3(public_key.point)[:20]


def _extension(oid: str, value: bytes, critical: bool) -> bytes:
    flag = tlv(BOOLEAN, b"\xff") if critical else b""
    return tlv(SEQUENCE, asn1.encode_oid(oid) + flag + tlv(OCTET_STRING, value))


def _key_usage(ca: bool) -> bytes:
    # digitalSignature(0) keyCertSign(5) cRLSign(6) for the maker; digitalSignature(0) nonRepudiation(1) for seals
    return tlv(BIT_STRING, b"\x01\x86") if ca else tlv(BIT_STRING, b"\x06\xc0")


def make_certificate(*, subject: dict, public_key: SM2PublicKey, issuer: dict, sign: Callable[[bytes], bytes],
                     serial: int, not_before: dt.datetime, not_after: dt.datetime, ca: bool,
                     issuer_public_key: SM2PublicKey | None = None) -> bytes:
    """A DER certificate. `sign(tbs)` returns the issuer's DER SM2 signature of `tbs` (signer ID
    1234567812345678). The authority key identifier is written when the issuer's public key is known:
    `issuer_public_key`, or `public_key` itself for a self-signed certificate (subject == issuer)."""
    if serial <= 0 or serial.bit_length() > 159:
        raise ValueError("the serial number must be positive and at most 20 bytes")
    if _utc(not_after) <= _utc(not_before):
        raise ValueError("not_after must be later than not_before")
    if issuer_public_key is None and subject == issuer:
        issuer_public_key = public_key
    constraints = tlv(SEQUENCE, tlv(BOOLEAN, b"\xff") + asn1.encode_int(0)) if ca else tlv(SEQUENCE, b"")
    extensions = (_extension(OID_BASIC_CONSTRAINTS, constraints, True)
                  + _extension(OID_KEY_USAGE, _key_usage(ca), True)
                  + _extension(OID_SUBJECT_KEY_ID, tlv(OCTET_STRING, _key_id(public_key)), False))
    if issuer_public_key is not None:
        aki = tlv(SEQUENCE, tlv(0x80, _key_id(issuer_public_key)))
        extensions += _extension(OID_AUTHORITY_KEY_ID, aki, False)
    tbs = tlv(SEQUENCE, tlv(0xA0, asn1.encode_int(2)) + asn1.encode_int(serial) + algorithm_sm2_with_sm3()
              + encode_name(issuer) + tlv(SEQUENCE, encode_time(not_before) + encode_time(not_after))
              + encode_name(subject) + public_key.to_der() + tlv(0xA3, tlv(SEQUENCE, extensions)))
    return tlv(SEQUENCE, tbs + algorithm_sm2_with_sm3() + bit_string(sign(tbs)))


@dataclass(frozen=True)
class CertInfo:
    subject: dict
    issuer: dict
    serial: int
    not_before: dt.datetime
    not_after: dt.datetime
    public_key: SM2PublicKey
    ca: bool
    algorithm: str  # the OID of the signature algorithm
    tbs: bytes  # the signed part, as it is in the certificate
    signature: bytes  # DER SM2 signature
    subject_der: bytes
    issuer_der: bytes
    subject_key_id: bytes | None
    authority_key_id: bytes | None

    def valid_at(self, moment: dt.datetime) -> bool:
        return self.not_before <= moment <= self.not_after


def _extensions(der: bytes) -> dict[str, bytes]:
    found = {}
    for element in der_sequence(der):
        parts = der_sequence(element[2])
        oid = asn1.decode_oid(expect(parts[0], OID, "Extension"))
        if oid in found or len(parts) not in (2, 3) or (len(parts) == 3 and parts[1][0] != BOOLEAN):
            raise ValueError("Extension: malformed or repeated")
        found[oid] = expect(parts[-1], OCTET_STRING, "Extension")
    return found


def _is_ca(extensions: dict[str, bytes]) -> bool:
    value = extensions.get(OID_BASIC_CONSTRAINTS)
    if value is None:
        return False
    items = der_sequence(value)
    return bool(items) and items[0][0] == BOOLEAN and items[0][1] == b"\xff"


def certificate_info(der: bytes) -> CertInfo:
    """The fields of an X.509 v3 certificate with an SM2 public key; `CertificateError` if it is not one."""
    try:
        tbs_element, algorithm_element, signature_element = der_sequence(der)
        tbs = der_sequence(tbs_element[2])
        if len(tbs) < 7 or tbs[0][0] != 0xA0 or asn1.decode_int(asn1.read_one(tbs[0][1], INTEGER)) != 2:
            raise ValueError("only X.509 version 3 certificates are read")
        serial = asn1.decode_int(expect(tbs[1], INTEGER, "serialNumber"))
        inner_algorithm = tbs[2][2]
        if inner_algorithm != algorithm_element[2]:
            raise ValueError("the two signature algorithm identifiers differ")
        algorithm = asn1.decode_oid(expect(der_sequence(algorithm_element[2])[0], OID, "signatureAlgorithm"))
        not_before, not_after = (decode_time(e, "validity") for e in der_sequence(tbs[4][2]))
        public_key = SM2PublicKey.from_der(tbs[6][2])
        extensions: dict[str, bytes] = {}
        for tag, body, _ in tbs[7:]:
            if tag == 0xA3:
                extensions = _extensions(body)
            elif tag not in (0x81, 0x82):  # issuerUniqueID, subjectUniqueID
                raise ValueError("unexpected field in TBSCertificate")
        ski = extensions.get(OID_SUBJECT_KEY_ID)
        aki = extensions.get(OID_AUTHORITY_KEY_ID)
        aki_id = next((b for t, b, _ in der_sequence(aki) if t == 0x80), None) if aki else None
        return CertInfo(
            subject=decode_name(tbs[5][2]), issuer=decode_name(tbs[3][2]), serial=serial, not_before=not_before,
            not_after=not_after, public_key=public_key, ca=_is_ca(extensions), algorithm=algorithm,
            tbs=tbs_element[2], signature=decode_bit_string(signature_element, "signatureValue"),
            subject_der=tbs[5][2], issuer_der=tbs[3][2],
            subject_key_id=asn1.read_one(ski, OCTET_STRING) if ski else None, authority_key_id=aki_id)
    except CertificateError:
        raise
    except (ValueError, IndexError) as exc:  # InvalidKeyError is a ValueError
        raise CertificateError(f"not a readable SM2 X.509 v3 certificate: {exc}") from None


def verify_certificate(der: bytes, issuer_public: SM2PublicKey) -> bool:
    """True when `der` is a certificate signed with SM2-with-SM3 by `issuer_public`."""
    try:
        info = certificate_info(der)
    except CertificateError:
        return False
    return info.algorithm == OID_SM2_WITH_SM3 and issuer_public.verify(info.tbs, info.signature, DEFAULT_SIGNER_ID)


def issued_by(der: bytes, issuer_der: bytes) -> bool:
    """True when certificate `der` names `issuer_der`'s subject as its issuer and verifies under its key."""
    try:
        child, parent = certificate_info(der), certificate_info(issuer_der)
    except CertificateError:
        return False
    return child.issuer_der == parent.subject_der and verify_certificate(der, parent.public_key)


def fingerprint(der: bytes) -> str:
    """SM3 of the DER certificate as `openssl x509 -inform DER -noout -fingerprint -sm3` prints it
    (upper-case hex pairs joined by colons)."""
    digest = sm3(der).hex().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def to_pem(der: bytes) -> str:
    return asn1.pem_encode("CERTIFICATE", der)
