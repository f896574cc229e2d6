"""GB/T 38540 v4 seals and signatures (ses.py) and the X.509 certificates they carry (x509.py).

The builders at the top (`make_chain`, `sealed_licence`) are shared by the other library tests
(test_pdfseal, test_render, test_filecheck, test_openssl): they need no database."""

import datetime as dt
import io
import random
from dataclasses import dataclass, replace
from functools import lru_cache

import pytest
from PIL import Image

from dgov.core.validators import credit_code_check_char
from dgov.crypto import asn1
from dgov.crypto.primitives import SM2PrivateKey, sm3
from dgov.licenses import identifier, pdfseal, render, ses, x509

UTC = dt.UTC
T0 = dt.datetime(2026, 1, 1, tzinfo=UTC)
SIGNED_AT = dt.datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
MAKER_NAME = {"C": "CN", "O": "鹰潭市大数据发展管理局", "OU": "电子印章制章系统", "CN": "鹰潭市电子印章制章者"}


def credit_code(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


TYPE_CODE = credit_code("11360600MB0012345") + "001"
ISSUER_CODE = credit_code("11360602MB0067890")
IDENTIFIER = identifier.build(TYPE_CODE, ISSUER_CODE, 42, 1)


@lru_cache(maxsize=1)
def tiny_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (8, 8), (215, 0, 15, 255)).save(out, format="PNG")
    return out.getvalue()


@dataclass(frozen=True)
class Chain:
    maker_key: SM2PrivateKey
    maker_cert: bytes
    signer_key: SM2PrivateKey
    signer_cert: bytes
    info: ses.SealInfo
    seal: bytes


def make_chain(*, valid_start=T0, valid_end=T0.replace(year=2031), signer_from=T0, signer_until=T0.replace(year=2031),
               maker_key=None, listed=True, picture=None) -> Chain:
    maker_key = maker_key or SM2PrivateKey.generate()
    signer_key = SM2PrivateKey.generate()
    maker_cert = x509.make_certificate(subject=MAKER_NAME, public_key=maker_key.public_key(), issuer=MAKER_NAME,
                                       sign=maker_key.sign, serial=1, not_before=T0, not_after=T0.replace(year=2046),
                                       ca=True)
    signer_cert = x509.make_certificate(
        subject={"C": "CN", "O": "余江区行政审批局", "organizationIdentifier": ISSUER_CODE, "CN": "电子证照专用章"},
        public_key=signer_key.public_key(), issuer=MAKER_NAME, sign=maker_key.sign, serial=7, not_before=signer_from,
        not_after=signer_until, ca=False, issuer_public_key=maker_key.public_key())
    other = x509.make_certificate(subject={"CN": "another seal"}, public_key=SM2PrivateKey.generate().public_key(),
                                  issuer=MAKER_NAME, sign=maker_key.sign, serial=8, not_before=T0,
                                  not_after=T0.replace(year=2031), ca=False)
    info = ses.SealInfo(es_id="36060320260000001", vid="DGOV", seal_type=ses.SEAL_TYPE_ORGANISATION,
                        name="余江区行政审批局电子证照专用章", cert_list=[signer_cert] if listed else [other],
                        created=T0, valid_start=valid_start, valid_end=valid_end, picture_type="PNG",
                        picture=picture or tiny_png(), width_mm=40, height_mm=40)
    return Chain(maker_key, maker_cert, signer_key, signer_cert, info, ses.build_seal(info, maker_cert, maker_key.sign))


@lru_cache(maxsize=1)
def default_chain() -> Chain:
    return make_chain()


def face(*, ident=IDENTIFIER, metadata=None, demo=False, layout="a4", seal_png=None, **changes) -> render.Face:
    values = dict(
        title="居住证", subtitle="鹰潭市", holder_label="持证人", holder_name="李娜",
        fields=[("公民身份号码", "360602199001011234"), ("居住地址", "余江区锦江镇中山路1号"), ("类别", "务工")],
        issuer_name="余江区行政审批局", issued_on=dt.date(2026, 11, 27), valid_text="2026年11月27日至2027年11月26日",
        identifier=ident, verify_url=f"https://zw.example.gov.cn/licenses/verify/?id={ident}",
        seal_png=seal_png if seal_png is not None else tiny_png(), seal_mm=40,
        metadata={"holder": "李娜", "fields": {"address": "余江区锦江镇中山路1号"}} if metadata is None else metadata,
        demo=demo, layout=layout)
    values.update(changes)
    return render.Face(**values)


def sealed_licence(chain: Chain | None = None, *, property_info=IDENTIFIER, signed_at=SIGNED_AT, pdf=None,
                   **face_changes) -> bytes:
    chain = chain or default_chain()
    pdf = pdf if pdf is not None else render.render(face(**face_changes))
    return pdfseal.seal_pdf(pdf, lambda digest: ses.build_signature(
        seal_der=chain.seal, signed_at=signed_at, data_hash=digest, property_info=property_info,
        signer_cert=chain.signer_cert, sign=chain.signer_key.sign))


def _types(der: bytes) -> list[int]:
    return [tag for tag, _body, _raw in x509.der_sequence(der)]


# --- certificates ---------------------------------------------------------------------------------
def test_certificate_fields_round_trip():
    chain = default_chain()
    maker = x509.certificate_info(chain.maker_cert)
    assert maker.subject == maker.issuer == MAKER_NAME and maker.ca and maker.serial == 1
    assert maker.not_before == T0 and maker.not_after == T0.replace(year=2046)
    assert maker.public_key == chain.maker_key.public_key() and maker.algorithm == x509.OID_SM2_WITH_SM3
    assert maker.subject_key_id == maker.authority_key_id == sm3(chain.maker_key.public_key().point)[:20]
    signer = x509.certificate_info(chain.signer_cert)
    assert not signer.ca and signer.issuer == MAKER_NAME and signer.subject["organizationIdentifier"] == ISSUER_CODE
    assert signer.authority_key_id == maker.subject_key_id and signer.issuer_der == maker.subject_der
    assert signer.valid_at(SIGNED_AT) and not signer.valid_at(T0.replace(year=2032))


def test_certificate_signatures():
    chain = default_chain()
    assert x509.verify_certificate(chain.maker_cert, chain.maker_key.public_key())
    assert x509.verify_certificate(chain.signer_cert, chain.maker_key.public_key())
    assert not x509.verify_certificate(chain.signer_cert, chain.signer_key.public_key())
    assert x509.issued_by(chain.signer_cert, chain.maker_cert) and x509.issued_by(chain.maker_cert, chain.maker_cert)
    assert not x509.issued_by(chain.maker_cert, chain.signer_cert)
    assert not x509.issued_by(chain.signer_cert, make_chain().maker_cert)  # same name, another key
    changed = bytearray(chain.signer_cert)
    changed[len(changed) // 2] ^= 0x01
    assert not x509.verify_certificate(bytes(changed), chain.maker_key.public_key())


def test_certificate_encoding_details():
    key = SM2PrivateKey.generate()
    der = x509.make_certificate(subject={"CN": "x"}, public_key=key.public_key(), issuer={"CN": "x"}, sign=key.sign,
                                serial=2**150, not_before=dt.datetime(2049, 12, 31, 10, 0, 1, tzinfo=UTC),
                                not_after=dt.datetime(2050, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))), ca=False)
    tbs = x509.der_sequence(x509.der_sequence(der)[0][2])
    not_before, not_after = x509.der_sequence(tbs[4][2])
    assert not_before[0] == x509.UTC_TIME and not_before[1] == b"491231100001Z"
    # 2050-01-01T00:00+08:00 is 2049-12-31T16:00Z: still UTCTime; 2050 and later are GeneralizedTime
    assert not_after[0] == x509.UTC_TIME and not_after[1] == b"491231160000Z"
    late = x509.make_certificate(subject={"CN": "x"}, public_key=key.public_key(), issuer={"CN": "x"}, sign=key.sign,
                                 serial=3, not_before=T0, not_after=dt.datetime(2051, 1, 1, tzinfo=UTC), ca=False)
    info = x509.certificate_info(late)
    assert info.not_after == dt.datetime(2051, 1, 1, tzinfo=UTC) and info.serial == 3
    assert x509.certificate_info(der).serial == 2**150
    # the same dict in another order gives the same name bytes
    assert x509.encode_name({"CN": "a", "C": "CN", "O": "b"}) == x509.encode_name({"O": "b", "C": "CN", "CN": "a"})


@pytest.mark.parametrize("bad", [
    {"serial": 0}, {"serial": 2**160}, {"not_after": T0}, {"not_before": dt.datetime(2026, 1, 1)},
    {"subject": {"bogus": "x"}}, {"subject": {}}, {"subject": {"C": "中国"}},
])
def test_make_certificate_refuses(bad):
    key = SM2PrivateKey.generate()
    values = dict(subject={"CN": "x"}, public_key=key.public_key(), issuer={"CN": "y"}, sign=key.sign, serial=5,
                  not_before=T0, not_after=T0.replace(year=2030), ca=False)
    with pytest.raises(ValueError):
        x509.make_certificate(**{**values, **bad})


def test_certificate_info_refuses_garbage():
    chain = default_chain()
    rng = random.Random(9)
    for blob in (b"", b"\x30\x00", chain.maker_cert + b"\x00", chain.maker_cert[:-1], b"\x30" * 50,
                 SM2PrivateKey.generate().public_key().to_der()):
        with pytest.raises(x509.CertificateError):
            x509.certificate_info(blob)
    for _ in range(300):
        changed = bytearray(chain.signer_cert)
        changed[rng.randrange(len(changed))] = rng.randrange(256)
        try:
            x509.certificate_info(bytes(changed))
        except x509.CertificateError:
            pass
        assert isinstance(x509.verify_certificate(bytes(changed), chain.maker_key.public_key()), bool)


def test_fingerprint_and_pem():
    der = default_chain().maker_cert
    assert x509.fingerprint(der) == ":".join(f"{b:02X}" for b in sm3(der))
    assert asn1.pem_decode(x509.to_pem(der), ("CERTIFICATE",))[1] == der


# --- seals ----------------------------------------------------------------------------------------
def test_seal_round_trip_and_maker_signature():
    chain = default_chain()
    parsed = ses.parse_seal(chain.seal)
    assert parsed.info == chain.info and parsed.maker_cert == chain.maker_cert and parsed.der == chain.seal
    assert parsed.algorithm == x509.OID_SM2_WITH_SM3 and parsed.ext_datas is None
    assert parsed.signed_bytes == ses.seal_info_der(chain.info)  # the maker signs DER(SES_SealInfo)
    assert chain.maker_key.public_key().verify(parsed.signed_bytes, parsed.signed_value)
    assert ses.verify_seal(parsed, chain.maker_key.public_key())
    assert not ses.verify_seal(parsed, chain.signer_key.public_key())
    assert not ses.verify_seal(replace(parsed, algorithm="1.2.3"), chain.maker_key.public_key())


def test_seal_field_types_follow_gbt_38540_v4():
    chain = default_chain()
    seal = x509.der_sequence(chain.seal)
    assert [t for t, _b, _r in seal] == [asn1.SEQUENCE, asn1.OCTET_STRING, asn1.OID, asn1.BIT_STRING]
    info = x509.der_sequence(seal[0][2])
    assert [t for t, _b, _r in info] == [asn1.SEQUENCE, x509.IA5_STRING, asn1.SEQUENCE, asn1.SEQUENCE]
    header = x509.der_sequence(info[0][2])
    assert [(t, b) for t, b, _r in header] == [(x509.IA5_STRING, b"ES"), (asn1.INTEGER, b"\x04"),
                                               (x509.IA5_STRING, b"DGOV")]
    prop = x509.der_sequence(info[2][2])
    assert [t for t, _b, _r in prop] == [asn1.INTEGER, x509.UTF8_STRING, asn1.INTEGER, asn1.SEQUENCE] + [
        x509.GENERALIZED_TIME] * 3
    assert prop[2][1] == b"\x01" and prop[1][1].decode() == chain.info.name
    assert _types(prop[3][2]) == [asn1.OCTET_STRING] and prop[5][1] == b"20260101000000Z"
    assert _types(info[3][2]) == [x509.IA5_STRING, asn1.OCTET_STRING, asn1.INTEGER, asn1.INTEGER]
    assert asn1.decode_oid(seal[2][1]) == "1.2.156.10197.1.501" and seal[3][1][0] == 0  # no unused bits


def test_build_seal_refuses_bad_info():
    info = default_chain().info
    key = SM2PrivateKey.generate()
    for bad in ({"es_id": "印章1"}, {"vid": "é"}, {"cert_list": []}, {"valid_end": T0}, {"seal_type": -1},
                {"width_mm": -3}, {"created": dt.datetime(2026, 1, 1)}, {"picture_type": "图片"}):
        with pytest.raises(ValueError):
            ses.build_seal(replace(info, **bad), default_chain().maker_cert, key.sign)


def _resign(info_der: bytes, chain: Chain) -> bytes:
    return asn1.tlv(asn1.SEQUENCE, info_der + asn1.tlv(asn1.OCTET_STRING, chain.maker_cert)
                    + asn1.encode_oid(x509.OID_SM2_WITH_SM3) + x509.bit_string(chain.maker_key.sign(info_der)))


def test_parse_seal_strictness():
    chain = default_chain()
    info_der = ses.seal_info_der(chain.info)
    items = [raw for _t, _b, raw in x509.der_sequence(info_der)]
    # a version 2 header, certListType 2 (digests): refused
    header_v2 = asn1.tlv(asn1.SEQUENCE, b"\x16\x02ES" + asn1.encode_int(2) + b"\x16\x04DGOV")
    prop = [raw for _t, _b, raw in x509.der_sequence(items[2])]
    digests = asn1.tlv(asn1.SEQUENCE, b"".join(prop[:2]) + asn1.encode_int(2) + b"".join(prop[3:]))
    for bad_info in (asn1.tlv(asn1.SEQUENCE, header_v2 + b"".join(items[1:])),
                     asn1.tlv(asn1.SEQUENCE, items[0] + items[1] + digests + items[3]),
                     asn1.tlv(asn1.SEQUENCE, items[0] + asn1.tlv(x509.UTF8_STRING, b"36060320260000001")
                              + b"".join(items[2:]))):
        with pytest.raises(ses.SESError):
            ses.parse_seal(_resign(bad_info, chain))
    # optional extDatas are read and kept
    ext_data = asn1.tlv(asn1.SEQUENCE, asn1.encode_oid("1.2.3.4") + asn1.tlv(asn1.OCTET_STRING, b""))
    ext = asn1.tlv(asn1.SEQUENCE, ext_data)
    parsed = ses.parse_seal(_resign(asn1.tlv(asn1.SEQUENCE, b"".join(items) + ext), chain))
    assert parsed.ext_datas == ext and parsed.info == chain.info
    with pytest.raises(ses.SESError):
        ses.parse_seal(chain.seal + b"\x00")


# --- signatures -----------------------------------------------------------------------------------
def test_signature_round_trip():
    chain = default_chain()
    digest = sm3(b"the licence file")
    der = ses.build_signature(seal_der=chain.seal, signed_at=SIGNED_AT, data_hash=digest, property_info=IDENTIFIER,
                              signer_cert=chain.signer_cert, sign=chain.signer_key.sign)
    parsed = ses.parse_signature(der)
    assert parsed.seal.der == chain.seal and parsed.time == SIGNED_AT and parsed.data_hash == digest
    assert parsed.property_info == IDENTIFIER and parsed.signer_cert == chain.signer_cert
    assert parsed.tbs == ses.tbs_sign_der(seal_der=chain.seal, signed_at=SIGNED_AT, data_hash=digest,
                                          property_info=IDENTIFIER)  # the signer signs DER(TBS_Sign)
    assert ses.verify_signature(parsed, chain.signer_key.public_key())
    assert not ses.verify_signature(parsed, chain.maker_key.public_key())
    assert parsed.time_stamp is None and parsed.ext_datas is None
    outer = x509.der_sequence(der)
    assert [t for t, _b, _r in outer] == [asn1.SEQUENCE, asn1.OCTET_STRING, asn1.OID, asn1.BIT_STRING]
    tbs = x509.der_sequence(outer[0][2])
    assert [t for t, _b, _r in tbs] == [asn1.INTEGER, asn1.SEQUENCE, x509.GENERALIZED_TIME, asn1.BIT_STRING,
                                        x509.IA5_STRING]
    assert tbs[0][1] == b"\x04" and tbs[2][1] == b"20261127093000Z" and tbs[3][1] == b"\x00" + digest


def test_signature_optional_fields_and_strictness():
    chain = default_chain()
    der = sealed_signature_der(chain)
    outer = [raw for _t, _b, raw in x509.der_sequence(der)]
    stamp = asn1.tlv(0xA0, x509.bit_string(b"a time stamp token"))
    parsed = ses.parse_signature(asn1.tlv(asn1.SEQUENCE, b"".join(outer) + stamp))
    assert parsed.time_stamp == b"a time stamp token"
    tbs_items = [raw for _t, _b, raw in x509.der_sequence(outer[0])]
    tbs_v3 = asn1.tlv(asn1.SEQUENCE, asn1.encode_int(3) + b"".join(tbs_items[1:]))
    utc_time = asn1.tlv(asn1.SEQUENCE, b"".join(tbs_items[:2]) + asn1.tlv(x509.UTC_TIME, b"261127093000Z")
                        + b"".join(tbs_items[3:]))
    for bad_tbs in (tbs_v3, utc_time):
        with pytest.raises(ses.SESError):
            ses.parse_signature(asn1.tlv(asn1.SEQUENCE, bad_tbs + b"".join(outer[1:])))
    with pytest.raises(ses.SESError):
        ses.parse_signature(der + b"\x00")
    with pytest.raises(ValueError):
        ses.build_signature(seal_der=b"\x30\x00", signed_at=SIGNED_AT, data_hash=b"x" * 32, property_info="x",
                            signer_cert=chain.signer_cert, sign=chain.signer_key.sign)
    with pytest.raises(ValueError):
        ses.build_signature(seal_der=chain.seal, signed_at=SIGNED_AT, data_hash=b"x" * 32, property_info="证照",
                            signer_cert=chain.signer_cert, sign=chain.signer_key.sign)


def sealed_signature_der(chain: Chain) -> bytes:
    return ses.build_signature(seal_der=chain.seal, signed_at=SIGNED_AT, data_hash=sm3(b"x"), property_info=IDENTIFIER,
                               signer_cert=chain.signer_cert, sign=chain.signer_key.sign)


def test_mutated_signatures_only_raise_ses_error_or_fail_verification():
    chain = default_chain()
    der = sealed_signature_der(chain)
    rng = random.Random(38540)
    for _ in range(400):
        changed = bytearray(der)
        position = rng.randrange(len(changed))
        changed[position] ^= 1 << rng.randrange(8)
        try:
            parsed = ses.parse_signature(bytes(changed))
        except ses.SESError:
            continue
        # it still parses: then a signature, the seal's or the signer's, must fail (or the change is outside them)
        still_valid = (ses.verify_signature(parsed, chain.signer_key.public_key())
                       and ses.verify_seal(parsed.seal, chain.maker_key.public_key()))
        assert not still_valid or parsed.signer_cert != chain.signer_cert
    for cut in range(0, len(der), 97):
        with pytest.raises(ses.SESError):
            ses.parse_signature(der[:cut])
