"""A signature in a PDF: the incremental update, the byte range, what `extract` refuses, and that the
sealed file still opens (poppler's pdftoppm must rasterize it without a complaint)."""

import io
import random
import re
import shutil
import subprocess

import pytest
from reportlab.pdfgen.canvas import Canvas

from dgov.crypto.primitives import sm3
from dgov.licenses import pdfseal, render, ses
from dgov.licenses.pdfseal import Name, Ref, SealError

from .test_ses import IDENTIFIER, default_chain, face, sealed_licence


def poppler(tool: str) -> str:
    path = shutil.which(tool)
    assert path, f"{tool} (Debian package poppler-utils) is required: apt-get install -y poppler-utils"
    return path


def plain_pdf(pages: int = 1) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, invariant=1)
    for n in range(pages):
        canvas.drawString(72, 720, f"page {n + 1}")
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _record(result: bytes):
    calls = []

    def make_signature(digest: bytes) -> bytes:
        calls.append(digest)
        return result

    return calls, make_signature


def test_incremental_update_and_byte_range():
    pdf = render.render(face())
    der = bytes.fromhex("3003020101")
    calls, make_signature = _record(der)
    sealed = pdfseal.seal_pdf(pdf, make_signature, reserve=64)
    assert sealed.startswith(pdf) and sealed.endswith(b"%%EOF\n")  # every earlier byte kept
    found = pdfseal.extract(sealed)
    a, b, c, d = found.byte_range
    assert a == 0 and c + d == len(sealed) and b > len(pdf)
    gap = sealed[b:c]
    assert gap == b"<" + der.hex().upper().encode() + b"0" * (128 - 2 * len(der)) + b">"
    assert sealed[b - len(b"/Contents "):b] == b"/Contents "
    assert found.signed_bytes == sealed[:b] + sealed[c:] and found.signature_der == der
    assert calls == [sm3(found.signed_bytes)]  # the digest handed over is SM3 of the byte range


def test_the_update_adds_a_signature_field_on_page_one():
    pdf = plain_pdf(pages=2)
    original = pdfseal.PdfFile(pdf)
    sealed = pdfseal.seal_pdf(pdf, lambda digest: b"\x04\x20" + digest, reserve=64)
    doc = pdfseal.PdfFile(sealed)
    assert doc.trailer["Prev"] == original.startxref and doc.trailer["Size"] == original.trailer["Size"] + 2
    assert doc.trailer["Info"] == original.trailer["Info"] and doc.trailer["ID"] == original.trailer["ID"]
    catalog = doc.get(doc.trailer["Root"])
    form = catalog["AcroForm"]
    assert form["SigFlags"] == 3 and len(form["Fields"]) == 1
    widget_ref = form["Fields"][0]
    page_ref = doc.first_page()
    assert page_ref == original.first_page() and doc.get(page_ref)["Annots"] == [widget_ref]
    widget = doc.get(widget_ref)
    assert (widget["Type"], widget["Subtype"], widget["FT"], widget["P"], widget["F"]) == (
        "Annot", "Widget", "Sig", page_ref, 132)
    signature = doc.get(widget["V"])
    assert signature["Type"] == "Sig" and signature["Filter"] == "DGOV.SES"
    assert signature["SubFilter"] == "GBT38540.SES_Signature"
    assert signature["ByteRange"] == list(pdfseal.extract(sealed).byte_range)
    assert signature["Contents"][:34] == b"\x04\x20" + sm3(pdfseal.extract(sealed).signed_bytes)
    second = doc.get(doc.get(doc.get(catalog["Pages"])["Kids"][1]))
    assert "Annots" not in second
    with pytest.raises(SealError, match="already"):
        pdfseal.seal_pdf(sealed, lambda digest: b"\x05\x00")


def rasterize(pdf: bytes, folder, dpi: int = 30, *extra: str) -> bytes:
    """Page 1 as an image (PNG, or PGM with "-gray"); fails on any complaint from poppler."""
    (folder / "in.pdf").write_bytes(pdf)
    kind = "-gray" if "-gray" in extra else "-png"
    done = subprocess.run([poppler("pdftoppm"), "-r", str(dpi), "-singlefile", kind, "in.pdf", "page"], cwd=folder,
                          capture_output=True, timeout=60)
    assert done.returncode == 0 and not done.stderr, done.stderr
    return (folder / ("page.pgm" if kind == "-gray" else "page.png")).read_bytes()


def test_a_sealed_licence_still_opens(tmp_path):
    sealed = sealed_licence()
    assert rasterize(sealed, tmp_path).startswith(b"\x89PNG")
    info = subprocess.run([poppler("pdfinfo"), "-"], input=sealed, capture_output=True, timeout=60)
    assert info.returncode == 0 and not info.stderr, info.stderr
    assert re.search(rb"Form:\s+AcroForm", info.stdout) and re.search(rb"Pages:\s+1\n", info.stdout)


def test_reserve_grows_when_the_signature_is_larger():
    big = b"\x04\x82\x4e\x20" + bytes(range(256)) * 78 + bytes(32)  # an OCTET STRING of 20000 bytes
    calls, make_signature = _record(big)
    sealed = pdfseal.seal_pdf(plain_pdf(), make_signature, reserve=1024)
    assert len(calls) == 2 and pdfseal.extract(sealed).signature_der == big


def test_extract_round_trips_a_real_signature():
    sealed = sealed_licence()
    found = pdfseal.extract(sealed)
    parsed = ses.parse_signature(found.signature_der)
    assert parsed.property_info == IDENTIFIER and parsed.data_hash == sm3(found.signed_bytes)
    assert ses.verify_signature(parsed, default_chain().signer_key.public_key())


def _replace_same_length(data: bytes, old: bytes, new: bytes) -> bytes:
    assert len(old) == len(new) and data.count(old) == 1
    return data.replace(old, new)


def test_extract_refuses():
    sealed = sealed_licence()
    a, b, c, d = pdfseal.extract(sealed).byte_range
    text = f"[{a} {b} {c} {d}]".encode()
    cases = {
        "not a PDF": b"GIF89a" + sealed[6:],
        "no signature": plain_pdf(),
        "more than one": sealed[:200] + b"/ByteRange" + sealed[210:],
        "covering": sealed + b"\n% appended after sealing\n",
        "covering (start)": _replace_same_length(sealed, text, f"[1 {b - 1} {c} {d}]".encode()),
        "covering (gap)": _replace_same_length(sealed, text, f"[0 {b + 2} {c} {d - 2}]".encode()),
        "malformed": _replace_same_length(sealed, text, text.replace(b" ", b"x", 1)),
        "hex": sealed[:b + 5] + b"G" + sealed[b + 6:],
        "after the signature": sealed[:c - 3] + b"1" + sealed[c - 2:],
    }
    for reason, data in cases.items():
        with pytest.raises(SealError):
            pdfseal.extract(data)
        assert len(reason)
    moved = sealed.replace(b"/Contents <", b"/Contenxs <", 1)  # the gap is no longer the /Contents value
    with pytest.raises(SealError, match="Contents"):
        pdfseal.extract(moved)


def test_seal_pdf_refuses_what_it_cannot_update():
    with pytest.raises(SealError):
        pdfseal.seal_pdf(b"not a pdf", lambda d: b"")
    stream_xref = b"%PDF-1.5\n1 0 obj\n<< /Type /XRef >>\nendobj\nstartxref\n9\n%%EOF\n"
    with pytest.raises(SealError, match="cross-reference streams"):
        pdfseal.seal_pdf(stream_xref, lambda d: b"")
    truncated = plain_pdf()[:-40]
    with pytest.raises(SealError):
        pdfseal.seal_pdf(truncated, lambda d: b"")


def test_parse_object():
    data = (b"<< /Type /Annot /Name#20x (a\\(b\\) \\101\\n(nested)) /Hex <4142 3> /Ref 12 0 R /N [1 -2 +3 4.5 .5]"
            b" /B true /F false /Z null % a comment\n /D << /K /V >> >>")
    value, end = pdfseal.parse_object(data, 0)
    assert end == len(data)
    assert value == {"Type": "Annot", "Name x": b"a(b) A\n(nested)", "Hex": b"AB0", "Ref": Ref(12, 0),
                     "N": [1, -2, 3, 4.5, 0.5], "B": True, "F": False, "Z": None, "D": {"K": "V"}}
    assert isinstance(value["Type"], Name)
    assert pdfseal.parse_object(pdfseal.serialize(value), 0)[0] == value
    assert pdfseal.serialize(Name("a b/c")) == b"/a#20b#2Fc"
    for bad in (b"[" * 100 + b"]" * 100, b"(open", b"<< /A 1", b"<414", b"<< 1 2 >>", b"@", b""):
        with pytest.raises(SealError):
            pdfseal.parse_object(bad, 0)


def test_embedded_file():
    sealed = sealed_licence()
    data = pdfseal.embedded_file(sealed, "license.json")
    assert data.decode().startswith("{") and IDENTIFIER in data.decode()
    assert pdfseal.embedded_file(sealed, "other.json") is None
    assert pdfseal.embedded_file(plain_pdf(), "license.json") is None


def test_mutations_raise_only_seal_error():
    sealed = sealed_licence()
    rng = random.Random(32000)
    for _ in range(300):
        changed = bytearray(sealed)
        for _ in range(rng.randrange(1, 4)):
            changed[rng.randrange(len(changed))] = rng.randrange(256)
        for reader in (pdfseal.extract, lambda pdf: pdfseal.embedded_file(pdf, "license.json")):
            try:
                reader(bytes(changed))
            except SealError:
                pass
    for cut in range(0, len(sealed), len(sealed) // 40):
        with pytest.raises(SealError):
            pdfseal.extract(sealed[:cut])
