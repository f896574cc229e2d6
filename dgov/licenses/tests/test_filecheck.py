"""check_file: every check reported, each failing for its own reason, and no upload makes it raise."""

import datetime as dt
import io
import random

import pytest
from reportlab.pdfgen.canvas import Canvas

from dgov.crypto.primitives import sm3
from dgov.licenses import filecheck, identifier, pdfseal, x509
from dgov.licenses.filecheck import CHECKS, check_file

from .test_pdfseal import plain_pdf
from .test_ses import (
    IDENTIFIER,
    ISSUER_CODE,
    SIGNED_AT,
    T0,
    TYPE_CODE,
    default_chain,
    make_chain,
    sealed_licence,
)


def failed(report) -> list[str]:
    return [c.name for c in report.checks if not c.ok]


def flip(data: bytes, offset: int) -> bytes:
    changed = bytearray(data)
    changed[offset] ^= 0x01
    return bytes(changed)


def stream_offset(pdf: bytes, ref) -> int:
    """Where the raw bytes of stream object `ref` start in the file."""
    doc = pdfseal.PdfFile(pdf)
    _dictionary, raw = doc.get(ref)
    return pdf.index(raw, doc.offsets[ref.num][0])


def test_a_good_licence_passes_every_check():
    chain = default_chain()
    sealed = sealed_licence()
    report = check_file(sealed, maker_certs=[make_chain().maker_cert, chain.maker_cert])
    assert [c.name for c in report.checks] == list(CHECKS)
    assert report.ok and not failed(report), [c.detail for c in report.checks]
    assert report.identifier == IDENTIFIER and report.signed_at == SIGNED_AT
    assert report.seal_es_id == chain.info.es_id and report.signer_cert_sha == sm3(chain.signer_cert).hex()
    assert report.metadata["identifier"] == IDENTIFIER and report.metadata["holder"] == "李娜"
    for check in report.checks:
        assert check.detail.isprintable() and check.detail == check.template % check.params
    assert report.check("digest").ok


def test_untrusted_maker():
    report = check_file(sealed_licence(), maker_certs=[make_chain().maker_cert])
    assert failed(report) == ["seal_maker"]
    assert x509.fingerprint(default_chain().maker_cert) in report.check("seal_maker").detail


def test_a_changed_byte_of_the_face_or_the_metadata_breaks_the_digest():
    sealed = sealed_licence()
    doc = pdfseal.PdfFile(sealed)
    page = doc.get(doc.first_page())
    root = doc.get(doc.trailer["Root"])
    spec = doc.get(doc.get(doc.get(root["Names"])["EmbeddedFiles"])["Names"][1])
    for offset in (stream_offset(sealed, page["Contents"]) + 10,  # the face's drawing
                   stream_offset(sealed, spec["EF"]["F"]) + 5,  # the embedded license.json
                   sealed.index(b"/LicenseIdentifier") + 30,  # the information dictionary
                   len(sealed) - 3):  # the trailer of the signature's own update
        report = check_file(flip(sealed, offset), maker_certs=[default_chain().maker_cert])
        assert "digest" in failed(report), offset
        assert report.check("format").ok and report.check("signature").ok
    raw_offset = stream_offset(sealed, spec["EF"]["F"])
    assert sealed[raw_offset:raw_offset + 2] == b"x\x9c"  # the flipped byte was inside the compressed JSON


def test_a_changed_signature_value_fails_the_signature():
    sealed = sealed_licence()
    found = pdfseal.extract(sealed)
    der = bytearray(found.signature_der)
    der[-5] ^= 0x01  # inside the signer's (r, s)
    hex_at = found.byte_range[1] + 1 + 2 * (len(der) - 5)
    changed = sealed[:hex_at] + bytes(der[-5:-4]).hex().upper().encode() + sealed[hex_at + 2:]
    report = check_file(changed, maker_certs=[default_chain().maker_cert])
    assert failed(report) == ["signature"]


def test_sealed_outside_the_seal_validity():
    late = dt.datetime(2031, 6, 1, tzinfo=dt.UTC)
    chain = make_chain(signer_until=T0.replace(year=2033))
    report = check_file(sealed_licence(chain, signed_at=late), maker_certs=[chain.maker_cert])
    assert failed(report) == ["seal_validity"]
    assert "Sealed at 2031-06-01 08:00:00 +0800" in report.check("seal_validity").detail  # Beijing time
    early = make_chain(valid_start=T0.replace(year=2027))
    report = check_file(sealed_licence(early), maker_certs=[early.maker_cert])
    assert failed(report) == ["seal_validity"]


def test_signer_certificate_problems():
    expired = make_chain(signer_until=T0.replace(month=6))
    assert failed(check_file(sealed_licence(expired), maker_certs=[expired.maker_cert])) == ["signer_certificate"]
    unlisted = make_chain(listed=False)
    report = check_file(sealed_licence(unlisted), maker_certs=[unlisted.maker_cert])
    assert failed(report) == ["signer_certificate"]
    assert "seal's certificates" in report.check("signer_certificate").detail
    # a seal listing a signer certificate that another maker issued
    other = make_chain()
    mixed = make_chain(maker_key=default_chain().maker_key)
    forged = type(mixed)(mixed.maker_key, mixed.maker_cert, other.signer_key, other.signer_cert, mixed.info,
                         mixed.seal)
    report = check_file(sealed_licence(forged), maker_certs=[mixed.maker_cert])
    assert "signer_certificate" in failed(report) and "issued" in report.check("signer_certificate").detail


def test_identifier_and_metadata_checks():
    wrong = IDENTIFIER[:-1] + ("0" if IDENTIFIER[-1] != "0" else "1")
    report = check_file(sealed_licence(property_info=wrong), maker_certs=[default_chain().maker_cert])
    assert failed(report) == ["identifier", "metadata"]  # and the embedded metadata names the right one
    assert "check character" in report.check("identifier").detail
    other = identifier.build(TYPE_CODE, ISSUER_CODE, 43, 1)
    report = check_file(sealed_licence(property_info=other), maker_certs=[default_chain().maker_cert])
    assert failed(report) == ["metadata"] and report.metadata["identifier"] == IDENTIFIER
    bare = sealed_licence(pdf=plain_pdf())
    report = check_file(bare, maker_certs=[default_chain().maker_cert])
    assert failed(report) == ["metadata"] and report.metadata is None


def test_not_a_licence():
    for data in (b"", b"%PDF-1.4", plain_pdf(), b"\x00" * 100, "证照".encode()):
        report = check_file(data, maker_certs=[default_chain().maker_cert])
        assert [c.name for c in report.checks] == list(CHECKS) and failed(report) == list(CHECKS)
        assert report.identifier is None and report.signed_at is None and report.metadata is None
    report = check_file(b"%PDF-" + bytes(filecheck.MAX_UPLOAD), maker_certs=[])
    assert "larger" in report.check("format").detail


def test_a_signature_that_is_not_an_ses_signature():
    sealed = pdfseal.seal_pdf(plain_pdf(), lambda digest: b"\x04\x20" + digest, reserve=64)
    report = check_file(sealed, maker_certs=[])
    assert not report.check("format").ok and "GB/T 38540" in report.check("format").detail


def _canvas_pdf(text: str) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, invariant=1)
    canvas.drawString(72, 720, text)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


@pytest.mark.parametrize("seed", range(4))
def test_mutated_uploads_never_raise(seed):
    """Random damage of every kind: flipped and overwritten bytes, cuts, insertions, repeated pieces."""
    sealed = sealed_licence() if seed < 2 else sealed_licence(pdf=_canvas_pdf(f"seed {seed}"))
    rng = random.Random(seed)
    trusted = [default_chain().maker_cert]
    for _ in range(60):
        data = bytearray(sealed)
        kind = rng.randrange(5)
        at = rng.randrange(len(data))
        if kind == 0:
            for _ in range(rng.randrange(1, 20)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif kind == 1:
            data = data[:at]
        elif kind == 2:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
        elif kind == 3:
            data = data[:at] + data[rng.randrange(len(data)):]
        else:
            data = data[at:] + data[:at]
        report = check_file(bytes(data), maker_certs=trusted)
        assert [c.name for c in report.checks] == list(CHECKS)
        if report.ok:  # only a change outside the signed bytes and the signature could pass, and none did
            assert pdfseal.extract(bytes(data)) == pdfseal.extract(sealed)
    for size in (1, 5, 1000, 100_000):
        noise = bytes(rng.randrange(256) for _ in range(size))
        assert not check_file(b"%PDF-" + noise, maker_certs=trusted).ok
        assert not check_file(noise, maker_certs=trusted).ok
