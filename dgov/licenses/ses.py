"""GB/T 38540-2020 (信息安全技术 安全电子签章密码技术规范), version 4: the electronic seal SES_Seal and the
electronic signature SES_Signature, DER encoded and decoded strictly.

    SES_Seal ::= SEQUENCE {
        eSealInfo    SES_SealInfo,
        cert         OCTET STRING,          -- the seal maker's certificate (DER)
        signAlgID    OBJECT IDENTIFIER,     -- 1.2.156.10197.1.501 SM2-with-SM3
        signedValue  BIT STRING }           -- the maker's SM2 signature (DER r, s) of DER(eSealInfo)
    SES_SealInfo ::= SEQUENCE {
        header   SEQUENCE { id IA5String ("ES"), version INTEGER (4), vid IA5String },
        esID     IA5String,
        property SEQUENCE { type INTEGER, name UTF8String, certListType INTEGER (1),
                            certList SEQUENCE OF OCTET STRING,  -- the signers' certificates
                            createDate GeneralizedTime, validStart GeneralizedTime, validEnd GeneralizedTime },
        picture  SEQUENCE { type IA5String, data OCTET STRING, width INTEGER, height INTEGER },  -- mm
        extDatas SEQUENCE OF ExtData OPTIONAL }
    SES_Signature ::= SEQUENCE {
        toSign         TBS_Sign,
        cert           OCTET STRING,        -- the signer's certificate (DER)
        signatureAlgID OBJECT IDENTIFIER,   -- 1.2.156.10197.1.501
        signature      BIT STRING,          -- the signer's SM2 signature (DER r, s) of DER(toSign)
        timeStamp      [0] EXPLICIT BIT STRING OPTIONAL }
    TBS_Sign ::= SEQUENCE {
        version      INTEGER (4),
        eseal        SES_Seal,
        timeInfo     GeneralizedTime,
        dataHash     BIT STRING,            -- SM3 of the signed data
        propertyInfo IA5String,             -- here: the licence identifier
        extDatas     [0] EXPLICIT SEQUENCE OF ExtData OPTIONAL }

What is signed: the maker signs the DER encoding of SES_SealInfo; the signer signs the DER encoding of
TBS_Sign (which contains the whole seal). Both are SM2 signatures with SM3 and the signer ID
1234567812345678 (GB/T 35276), so `openssl pkeyutl -verify -rawin -digest sm3` checks them.

Sources followed (read, not copied): the v4 ASN.1 classes of the ofdrw project (org.ofdrw.gm.ses.v4: SESeal,
SES_SealInfo, SES_ESPropertyInfo, SES_CertList/CertInfoList, TBS_Sign, SES_Signature, and its tests, which sign
SES_SealInfo.getEncoded() with the maker's key and TBS_Sign.getEncoded("DER") with the signer's key); the
OpenSSL ASN.1 templates of Chingliu/gm_0031_38540_verifier (SESv4_Seal, TBSv4_Sign, SESv4_Signature: the same
types — IA5String header/esID/propertyInfo, UTF8String name, GeneralizedTime times, BIT STRING dataHash and
signatures, OCTET STRING certificates — and the same signed bytes); and the published description of the v4
structures (印章头 ID "ES", version 4, Vid; certListType 1 = certificates, 2 = certificate digests).

The platform always writes certListType 1; a seal with certificate digests (type 2) is refused on reading.
Extension data (extDatas) and the time stamp are accepted on reading and kept as raw DER; they are never written.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from dgov.crypto import asn1
from dgov.crypto.asn1 import INTEGER, OCTET_STRING, OID, SEQUENCE, tlv
from dgov.crypto.primitives import DEFAULT_SIGNER_ID, SM2PublicKey

from .x509 import (
    GENERALIZED_TIME,
    IA5_STRING,
    OID_SM2_WITH_SM3,
    UTF8_STRING,
    bit_string,
    decode_bit_string,
    decode_string,
    decode_time,
    der_elements,
    der_sequence,
    encode_generalized_time,
    encode_string,
    expect,
)

SES_ID = "ES"
SES_VERSION = 4
CERT_LIST_CERTIFICATES = 1
CERT_LIST_DIGESTS = 2
#: GB/T 38540 印章类型: 1 单位印章, 2 个人印章 (other values are left to the application)
SEAL_TYPE_ORGANISATION, SEAL_TYPE_PERSONAL = 1, 2


class SESError(ValueError):
    """A seal or signature that is not a well-formed GB/T 38540 version 4 structure."""


@dataclass(frozen=True)
class SealInfo:
    es_id: str
    vid: str
    seal_type: int
    name: str
    cert_list: list[bytes]
    created: dt.datetime
    valid_start: dt.datetime
    valid_end: dt.datetime
    picture_type: str
    picture: bytes
    width_mm: int
    height_mm: int


@dataclass(frozen=True)
class ParsedSeal:
    info: SealInfo
    maker_cert: bytes
    algorithm: str
    signed_value: bytes  # the maker's DER SM2 signature
    signed_bytes: bytes  # DER(SES_SealInfo): what the maker signed
    der: bytes  # the whole SES_Seal
    ext_datas: bytes | None = None


@dataclass(frozen=True)
class ParsedSignature:
    tbs: bytes  # DER(TBS_Sign): what the signer signed
    seal: ParsedSeal
    time: dt.datetime
    data_hash: bytes
    property_info: str
    signer_cert: bytes
    algorithm: str
    signature: bytes  # the signer's DER SM2 signature
    time_stamp: bytes | None = None
    ext_datas: bytes | None = None


def _integer(value: int, what: str) -> bytes:
    if not isinstance(value, int) or value < 0:
        raise SESError(f"{what} must be a non-negative integer")
    return asn1.encode_int(value)


def _ia5(text: str, what: str) -> bytes:
    if not isinstance(text, str) or not text.isascii():
        raise SESError(f"{what} must be ASCII text (IA5String)")
    return encode_string(IA5_STRING, text)


def seal_info_der(info: SealInfo) -> bytes:
    """DER(SES_SealInfo): the bytes the seal maker signs."""
    if not info.cert_list:
        raise SESError("a seal lists at least one signer certificate")
    if not info.valid_start < info.valid_end:
        raise SESError("the seal's validity must end after it starts")
    header = tlv(SEQUENCE, _ia5(SES_ID, "ID") + asn1.encode_int(SES_VERSION) + _ia5(info.vid, "Vid"))
    certs = tlv(SEQUENCE, b"".join(tlv(OCTET_STRING, bytes(c)) for c in info.cert_list))
    prop = tlv(SEQUENCE, _integer(info.seal_type, "the seal type") + encode_string(UTF8_STRING, info.name)
               + asn1.encode_int(CERT_LIST_CERTIFICATES) + certs + encode_generalized_time(info.created)
               + encode_generalized_time(info.valid_start) + encode_generalized_time(info.valid_end))
    picture = tlv(SEQUENCE, _ia5(info.picture_type, "the picture type") + tlv(OCTET_STRING, bytes(info.picture))
                  + _integer(info.width_mm, "the picture width") + _integer(info.height_mm, "the picture height"))
    return tlv(SEQUENCE, header + _ia5(info.es_id, "esID") + prop + picture)


def _signed(body: bytes, cert: bytes, signature: bytes) -> bytes:
    return tlv(SEQUENCE, body + tlv(OCTET_STRING, cert) + asn1.encode_oid(OID_SM2_WITH_SM3) + bit_string(signature))


def build_seal(info: SealInfo, maker_cert: bytes, maker_sign: Callable[[bytes], bytes]) -> bytes:
    """SES_Seal DER. `maker_sign(data)` returns the maker's DER SM2 signature of `data` (signer ID
    1234567812345678)."""
    signed_bytes = seal_info_der(info)
    return _signed(signed_bytes, maker_cert, maker_sign(signed_bytes))


def tbs_sign_der(*, seal_der: bytes, signed_at: dt.datetime, data_hash: bytes, property_info: str) -> bytes:
    """DER(TBS_Sign): the bytes the signer signs."""
    parse_seal(seal_der)  # only a well-formed seal goes into a signature
    if not data_hash:
        raise SESError("the data hash is empty")
    return tlv(SEQUENCE, asn1.encode_int(SES_VERSION) + seal_der + encode_generalized_time(signed_at)
               + bit_string(data_hash) + _ia5(property_info, "propertyInfo"))


def build_signature(*, seal_der: bytes, signed_at: dt.datetime, data_hash: bytes, property_info: str,
                    signer_cert: bytes, sign: Callable[[bytes], bytes]) -> bytes:
    """SES_Signature DER. `sign(tbs)` returns the signer's DER SM2 signature of `tbs`."""
    tbs = tbs_sign_der(seal_der=seal_der, signed_at=signed_at, data_hash=data_hash, property_info=property_info)
    return _signed(tbs, signer_cert, sign(tbs))


# --- reading ----------------------------------------------------------------------------------------
def _int(element, what: str) -> int:
    return asn1.decode_int(expect(element, INTEGER, what))


def _time(element, what: str) -> dt.datetime:
    if element[0] != GENERALIZED_TIME:
        raise ValueError(f"{what}: a GeneralizedTime was expected")
    return decode_time(element, what)


def _seal_info(der: bytes) -> tuple[SealInfo, bytes | None]:
    items = der_sequence(der)
    if len(items) not in (4, 5):
        raise ValueError("SES_SealInfo has 4 or 5 elements")
    header = der_sequence(items[0][2])
    if len(header) != 3:
        raise ValueError("SES_Header has 3 elements")
    if decode_string(header[0], "ID", IA5_STRING) != SES_ID or _int(header[1], "version") != SES_VERSION:
        raise ValueError(f"not a version {SES_VERSION} seal (header ID \"ES\", version 4)")
    prop = der_sequence(items[2][2])
    if len(prop) != 7:
        raise ValueError("SES_ESPropertyInfo has 7 elements")
    list_type = _int(prop[2], "certListType")
    if list_type == CERT_LIST_DIGESTS:
        raise ValueError("seals listing certificate digests (certListType 2) are not supported")
    if list_type != CERT_LIST_CERTIFICATES:
        raise ValueError("unknown certListType")
    certs = [expect(c, OCTET_STRING, "certList") for c in der_sequence(prop[3][2])]
    picture = der_sequence(items[3][2])
    if len(picture) != 4:
        raise ValueError("SES_ESPictureInfo has 4 elements")
    ext = None
    if len(items) == 5:
        expect(items[4], SEQUENCE, "extDatas")
        ext = items[4][2]
    info = SealInfo(
        es_id=decode_string(items[1], "esID", IA5_STRING), vid=decode_string(header[2], "Vid", IA5_STRING),
        seal_type=_int(prop[0], "type"), name=decode_string(prop[1], "name", UTF8_STRING), cert_list=certs,
        created=_time(prop[4], "createDate"), valid_start=_time(prop[5], "validStart"),
        valid_end=_time(prop[6], "validEnd"), picture_type=decode_string(picture[0], "picture type", IA5_STRING),
        picture=expect(picture[1], OCTET_STRING, "picture data"), width_mm=_int(picture[2], "width"),
        height_mm=_int(picture[3], "height"))
    return info, ext


def _signed_parts(der: bytes, what: str, optional: int) -> list[tuple[int, bytes, bytes]]:
    items = der_sequence(der)
    if not 4 <= len(items) <= 4 + optional:
        raise ValueError(f"{what} has the wrong number of elements")
    expect(items[1], OCTET_STRING, f"{what} cert")
    expect(items[2], OID, f"{what} algorithm")
    return items


def parse_seal(der: bytes) -> ParsedSeal:
    """An SES_Seal (version 4) read strictly; `SESError` if it is not one."""
    try:
        items = _signed_parts(der, "SES_Seal", 0)
        info, ext = _seal_info(items[0][2])
        return ParsedSeal(info=info, maker_cert=items[1][1], algorithm=asn1.decode_oid(items[2][1]),
                          signed_value=decode_bit_string(items[3], "signedValue"), signed_bytes=items[0][2],
                          der=bytes(der), ext_datas=ext)
    except (ValueError, IndexError) as exc:
        raise SESError(f"not a GB/T 38540 version 4 seal: {exc}") from None


def parse_signature(der: bytes) -> ParsedSignature:
    """An SES_Signature (version 4) read strictly; `SESError` if it is not one."""
    try:
        items = _signed_parts(der, "SES_Signature", 1)
        time_stamp = None
        if len(items) == 5:
            time_stamp = decode_bit_string(der_elements(asn1.read_one(items[4][2], 0xA0))[0], "timeStamp")
        tbs = der_sequence(items[0][2])
        if len(tbs) not in (5, 6) or _int(tbs[0], "version") != SES_VERSION:
            raise ValueError(f"TBS_Sign must be version {SES_VERSION} with 5 or 6 elements")
        ext = None
        if len(tbs) == 6:
            expect(tbs[5], 0xA0, "extDatas")
            ext = tbs[5][2]
        seal = parse_seal(tbs[1][2])
        return ParsedSignature(
            tbs=items[0][2], seal=seal, time=_time(tbs[2], "timeInfo"),
            data_hash=decode_bit_string(tbs[3], "dataHash"),
            property_info=decode_string(tbs[4], "propertyInfo", IA5_STRING), signer_cert=items[1][1],
            algorithm=asn1.decode_oid(items[2][1]), signature=decode_bit_string(items[3], "signature"),
            time_stamp=time_stamp, ext_datas=ext)
    except (ValueError, IndexError) as exc:  # SESError of the seal included
        raise SESError(f"not a GB/T 38540 version 4 signature: {exc}") from None


def _verify(public_key: SM2PublicKey, algorithm: str, message: bytes, signature: bytes) -> bool:
    return algorithm == OID_SM2_WITH_SM3 and public_key.verify(message, signature, DEFAULT_SIGNER_ID)


def verify_seal(seal: ParsedSeal, maker_public: SM2PublicKey) -> bool:
    """The maker's signature over SES_SealInfo verifies under `maker_public`."""
    return _verify(maker_public, seal.algorithm, seal.signed_bytes, seal.signed_value)


def verify_signature(signature: ParsedSignature, signer_public: SM2PublicKey) -> bool:
    """The signer's signature over TBS_Sign verifies under `signer_public`."""
    return _verify(signer_public, signature.algorithm, signature.tbs, signature.signature)
