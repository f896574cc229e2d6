"""An SES_Signature (GB/T 38540) embedded in a PDF as a signature field, and read back.

`seal_pdf` appends one incremental update (ISO 32000-1 section 7.5.6) to a PDF with classic cross-reference
tables (what reportlab writes), leaving every earlier byte as it was:

- a signature dictionary `<< /Type /Sig /Filter /DGOV.SES /SubFilter /GBT38540.SES_Signature
  /ByteRange [0 b c d] /Contents <hex> >>` (section 12.8.1). The byte range is every byte of the file but
  the `<hex>` string itself (its angle brackets included); the SES_Signature's dataHash is the SM3 digest of
  those bytes. The signature DER is written as upper-case hex padded with "0" to the reserved size;
- an invisible signature widget on page 1 (`/FT /Sig`, `/F 132` = print and locked);
- a new version of page 1 with the widget in `/Annots`, and a new version of the catalog with
  `/AcroForm << /Fields [widget] /SigFlags 3 >>`;
- a cross-reference section for these four objects and a trailer with `/Prev` (the earlier one).

`extract` finds the one signature of a sealed file and refuses anything else: no signature or more than one,
a byte range that does not start at 0 and end at the end of the file (so nothing can be appended after
sealing), a gap that is not exactly the `/Contents` hex string, hex that is not upper-case (what the platform
writes, and what `basenc --base16 -d` reads in the offline check), or padding that is not zeros.

The small reader below (objects, cross-reference tables, streams with FlateDecode/ASCII85Decode) is enough for
the files the platform writes; `embedded_file` uses it to read `license.json` back. Every malformed input
raises `SealError`.
"""

import base64
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from dgov.crypto import asn1
from dgov.crypto.primitives import sm3

FILTER, SUB_FILTER = "DGOV.SES", "GBT38540.SES_Signature"
MAX_DEPTH = 32
_WHITESPACE = b"\x00\t\n\x0c\r "
_DELIMITERS = b"()<>[]{}/%"
_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d{1,12})\s+(\d{1,12})\s+(\d{1,12})\s+(\d{1,12})\s*\]")
_NUMBER = re.compile(rb"[+-]?(\d+\.?\d*|\.\d+)")
_REF = re.compile(rb"\s+(\d+)\s+R(?![^\x00\t\n\x0c\r ()<>\[\]{}/%])")
_OBJ = re.compile(rb"(\d+)\s+(\d+)\s+obj")
_SUBSECTION = re.compile(rb"(\d+)\s+(\d+)[ \t]*\r?\n?")
_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])")
_BR_WIDTH = 48  # room for "[0 b c d]" with three 10-digit numbers


class SealError(ValueError):
    """A PDF that cannot be sealed or whose seal cannot be read."""


class Ref(NamedTuple):
    num: int
    gen: int


class Name(str):
    """A PDF name (without the slash)."""


@dataclass(frozen=True)
class Extracted:
    byte_range: tuple[int, int, int, int]
    signed_bytes: bytes
    signature_der: bytes


# --- reading objects ------------------------------------------------------------------------------
def _skip(data: bytes, pos: int) -> int:
    while pos < len(data):
        if data[pos] in _WHITESPACE:
            pos += 1
        elif data[pos] == 0x25:  # % comment to the end of the line
            while pos < len(data) and data[pos] not in b"\r\n":
                pos += 1
        else:
            break
    return pos


def _token_end(data: bytes, pos: int) -> int:
    while pos < len(data) and data[pos] not in _WHITESPACE and data[pos] not in _DELIMITERS:
        pos += 1
    return pos


def _literal(data: bytes, pos: int) -> tuple[bytes, int]:
    out, depth, pos = bytearray(), 1, pos + 1
    escapes = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}
    while pos < len(data):
        char = data[pos]
        if char == 0x5C:  # backslash
            pos += 1
            if pos >= len(data):
                break
            nxt = data[pos]
            if nxt in escapes:
                out += escapes[nxt]
            elif 0x30 <= nxt <= 0x37:
                digits = re.match(rb"[0-7]{1,3}", data[pos:pos + 3]).group()
                out.append(int(digits, 8) & 0xFF)
                pos += len(digits) - 1
            elif nxt == 0x0D:
                pos += data[pos + 1:pos + 2] == b"\n"
            elif nxt != 0x0A:
                out.append(nxt)
        elif char == 0x28:
            depth += 1
            out.append(char)
        elif char == 0x29:
            depth -= 1
            if not depth:
                return bytes(out), pos + 1
            out.append(char)
        else:
            out.append(char)
        pos += 1
    raise SealError("unterminated string")


def parse_object(data: bytes, pos: int, depth: int = 0):
    """(value, position after it): dict, list, Name, bytes (strings), int, float, Ref, bool or None."""
    if depth > MAX_DEPTH:
        raise SealError("objects nested too deeply")
    pos = _skip(data, pos)
    if pos >= len(data):
        raise SealError("unexpected end of file")
    head = data[pos:pos + 2]
    if head == b"<<":
        result, pos = {}, pos + 2
        while True:
            pos = _skip(data, pos)
            if data[pos:pos + 2] == b">>":
                return result, pos + 2
            key, pos = parse_object(data, pos, depth + 1)
            if not isinstance(key, Name):
                raise SealError("a dictionary key must be a name")
            result[key], pos = parse_object(data, pos, depth + 1)
    if head[:1] == b"<":
        end = data.find(b">", pos)
        if end < 0:
            raise SealError("unterminated hex string")
        digits = bytes(c for c in data[pos + 1:end] if c not in _WHITESPACE)
        if len(digits) % 2:
            digits += b"0"
        try:
            return bytes.fromhex(digits.decode("ascii")), end + 1
        except (ValueError, UnicodeDecodeError):
            raise SealError("bad hex string") from None
    if head[:1] == b"(":
        return _literal(data, pos)
    if head[:1] == b"[":
        result, pos = [], pos + 1
        while True:
            pos = _skip(data, pos)
            if data[pos:pos + 1] == b"]":
                return result, pos + 1
            if pos >= len(data):
                raise SealError("unterminated array")
            value, pos = parse_object(data, pos, depth + 1)
            result.append(value)
    if head[:1] == b"/":
        end = _token_end(data, pos + 1)
        raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), data[pos + 1:end])
        return Name(raw.decode("latin-1")), end
    number = _NUMBER.match(data, pos)
    if number:
        text = number.group()
        if b"." in text:
            return float(text), number.end()
        ref = _REF.match(data, number.end())
        if ref and not text.startswith((b"+", b"-")):
            return Ref(int(text), int(ref.group(1))), ref.end()
        return int(text), number.end()
    end = _token_end(data, pos)
    word = data[pos:end]
    if word in (b"true", b"false", b"null"):
        return {b"true": True, b"false": False, b"null": None}[word], end
    raise SealError(f"unexpected PDF token at offset {pos}")


class PdfFile:
    """The latest revision of a PDF with classic cross-reference tables."""

    def __init__(self, data: bytes):
        if not data.startswith(b"%PDF-"):
            raise SealError("not a PDF file")
        self.data = data
        self.offsets: dict[int, tuple[int, int]] = {}
        found = re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", data[-1024:])
        if not found:
            raise SealError("the file does not end with startxref and %%EOF")
        self.startxref = int(found.group(1))
        self.trailer: dict = {}
        seen, offset = set(), self.startxref
        while offset is not None:
            if offset in seen or len(seen) > 64:
                raise SealError("cross-reference sections form a loop")
            seen.add(offset)
            trailer = self._xref_section(offset)
            self.trailer = self.trailer or trailer
            prev = trailer.get("Prev")
            offset = prev if isinstance(prev, int) else None

    def _xref_section(self, offset: int) -> dict:
        data = self.data
        if not 0 <= offset < len(data) or data[offset:offset + 4] != b"xref":
            raise SealError("cross-reference streams are not supported (a classic xref table is expected)")
        pos = offset + 4
        while True:
            pos = _skip(data, pos)
            if data.startswith(b"trailer", pos):
                trailer, _ = parse_object(data, pos + 7)
                if not isinstance(trailer, dict):
                    raise SealError("bad trailer")
                return trailer
            head = _SUBSECTION.match(data, pos)
            if not head:
                raise SealError("bad cross-reference table")
            first, count = int(head.group(1)), int(head.group(2))
            pos = head.end()
            for i in range(count):
                entry = _ENTRY.match(data, _skip(data, pos))
                if not entry:
                    raise SealError("bad cross-reference entry")
                pos = entry.end()
                if entry.group(3) == b"n":
                    self.offsets.setdefault(first + i, (int(entry.group(1)), int(entry.group(2))))

    def get(self, ref, *, streams: bool = True):
        """The value of an indirect object (a stream comes back as (dict, raw bytes)); other values as given."""
        if not isinstance(ref, Ref):
            return ref
        if ref.num not in self.offsets:
            raise SealError(f"object {ref.num} is missing")
        offset, _gen = self.offsets[ref.num]
        head = _OBJ.match(self.data, offset)
        if not head or int(head.group(1)) != ref.num:
            raise SealError(f"object {ref.num} is not where the cross-reference table says")
        value, pos = parse_object(self.data, head.end())
        pos = _skip(self.data, pos)
        if self.data.startswith(b"stream", pos) and isinstance(value, dict):
            if not streams:
                raise SealError("a stream length must be a number")
            pos += 6
            pos += 2 if self.data[pos:pos + 2] == b"\r\n" else 1
            length = self.get(value.get("Length"), streams=False)
            if not isinstance(length, int) or length < 0 or pos + length > len(self.data):
                raise SealError("bad stream length")
            return value, self.data[pos:pos + length]
        return value

    def first_page(self) -> Ref:
        node = self.get(self.trailer.get("Root"))
        ref = node.get("Pages") if isinstance(node, dict) else None
        for _ in range(MAX_DEPTH):
            node = self.get(ref)
            if not isinstance(node, dict):
                break
            if node.get("Type") == "Page":
                return ref
            kids = self.get(node.get("Kids"))
            if not isinstance(kids, list) or not kids:
                break
            ref = kids[0]
        raise SealError("the document has no first page")


def stream_data(stream) -> bytes:
    """The decoded bytes of a stream (FlateDecode and ASCII85Decode)."""
    if not isinstance(stream, tuple):
        raise SealError("a stream was expected")
    dictionary, raw = stream
    filters = dictionary.get("Filter", [])
    filters = [filters] if isinstance(filters, Name) else filters
    try:
        for name in filters:
            if name == "FlateDecode":
                raw = zlib.decompress(raw)
            elif name == "ASCII85Decode":
                raw = base64.a85decode(raw.strip().removesuffix(b"~>"), adobe=False)
            else:
                raise SealError(f"unsupported stream filter {name}")
    except (zlib.error, ValueError) as exc:
        if isinstance(exc, SealError):
            raise
        raise SealError(f"the stream does not decode: {exc}") from None
    return raw


def embedded_file(pdf: bytes, filename: str) -> bytes | None:
    """The decoded content of the embedded file `filename` (the catalog's /Names /EmbeddedFiles), or None."""
    doc = PdfFile(pdf)
    root = doc.get(doc.trailer.get("Root"))
    names = doc.get(root.get("Names")) if isinstance(root, dict) else None
    tree = doc.get(names.get("EmbeddedFiles")) if isinstance(names, dict) else None
    pairs = doc.get(tree.get("Names")) if isinstance(tree, dict) else None
    if not isinstance(pairs, list):
        return None
    for key, spec in zip(pairs[::2], pairs[1::2], strict=False):
        if key == filename.encode():
            spec = doc.get(spec)
            ef = doc.get(spec.get("EF")) if isinstance(spec, dict) else None
            if not isinstance(ef, dict):
                raise SealError("the embedded file has no /EF entry")
            return stream_data(doc.get(ef.get("F")))
    return None


# --- writing --------------------------------------------------------------------------------------
def serialize(value) -> bytes:
    """PDF syntax for a parsed value (strings are written as hex strings)."""
    if isinstance(value, Name):
        return b"/" + re.sub(rb"[^!-~]|[#()<>\[\]{}/%]", lambda m: b"#%02X" % m.group()[0], value.encode("latin-1"))
    if isinstance(value, Ref):
        return b"%d %d R" % value
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if value is None:
        return b"null"
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, float):
        return (b"%.6f" % value).rstrip(b"0").rstrip(b".") or b"0"
    if isinstance(value, bytes):
        return b"<" + value.hex().upper().encode() + b">"
    if isinstance(value, list):
        return b"[" + b" ".join(serialize(v) for v in value) + b"]"
    if isinstance(value, dict):
        return b"<< " + b" ".join(serialize(Name(k)) + b" " + serialize(v) for k, v in value.items()) + b" >>"
    raise TypeError(f"cannot write {type(value).__name__} as PDF")


def _xref(entries: list[tuple[int, int, int]]) -> bytes:
    """A cross-reference section for (number, generation, offset) entries, in consecutive subsections."""
    entries = sorted(entries)
    out, i = [b"xref\n"], 0
    while i < len(entries):
        j = i
        while j + 1 < len(entries) and entries[j + 1][0] == entries[j][0] + 1:
            j += 1
        out.append(b"%d %d\n" % (entries[i][0], j - i + 1))
        out += [b"%010d %05d n \n" % (offset, gen) for _num, gen, offset in entries[i:j + 1]]
        i = j + 1
    return b"".join(out)


def _update(pdf: bytes, reserve: int) -> tuple[bytearray, int, int]:
    """The file with the incremental update and placeholders; (bytes, offset of ByteRange's "[", of "<")."""
    doc = PdfFile(pdf)
    root_ref = doc.trailer.get("Root")
    catalog = doc.get(root_ref)
    if not isinstance(root_ref, Ref) or not isinstance(catalog, dict):
        raise SealError("the document catalog is missing")
    if "AcroForm" in catalog:
        raise SealError("the document already has a form or a signature")
    page_ref = doc.first_page()
    page = dict(doc.get(page_ref))
    annots = doc.get(page.get("Annots", []))
    if not isinstance(annots, list):
        raise SealError("the first page's annotations are not an array")
    size = doc.trailer.get("Size")
    if not isinstance(size, int) or size <= max(doc.offsets, default=0):
        raise SealError("bad trailer /Size")
    sig_ref, widget_ref = Ref(size, 0), Ref(size + 1, 0)
    widget = {"Type": Name("Annot"), "Subtype": Name("Widget"), "FT": Name("Sig"), "T": b"licence seal",
              "V": sig_ref, "P": page_ref, "Rect": [0, 0, 0, 0], "F": 132}
    page["Annots"] = [*annots, widget_ref]
    catalog = {**catalog, "AcroForm": {"Fields": [widget_ref], "SigFlags": 3}}
    signature = (b"<< /Type /Sig /Filter /" + FILTER.encode() + b" /SubFilter /" + SUB_FILTER.encode()
                 + b" /ByteRange " + b" " * _BR_WIDTH + b" /Contents <" + b"0" * (2 * reserve) + b"> >>")
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    entries = []
    for ref, body in ((sig_ref, signature), (widget_ref, serialize(widget)), (page_ref, serialize(page)),
                      (root_ref, serialize(catalog))):
        entries.append((ref.num, ref.gen, len(out)))
        out += b"%d %d obj\n" % ref + body + b"\nendobj\n"
    trailer = {"Size": size + 2, "Root": root_ref, "Prev": doc.startxref}
    trailer |= {k: doc.trailer[k] for k in ("Info", "ID") if k in doc.trailer}
    xref_at = len(out)
    out += _xref(entries) + b"trailer\n" + serialize(trailer) + b"\nstartxref\n%d\n%%%%EOF\n" % xref_at
    sig_at = entries[0][2]
    br = out.index(b"/ByteRange ", sig_at) + len(b"/ByteRange ")
    return out, br, out.index(b"/Contents <", sig_at) + len(b"/Contents ")


def seal_pdf(pdf: bytes, make_signature: Callable[[bytes], bytes], *, reserve: int = 16384) -> bytes:
    """`pdf` with an incremental update holding the signature `make_signature(sm3(byte range))`, which must
    return the SES_Signature DER. `reserve` is the room for the DER in bytes; when the signature is larger
    the update is built again with enough room and `make_signature` called a second time."""
    for _attempt in range(2):
        out, br, lt = _update(pdf, reserve)
        gt = lt + 2 * reserve + 1  # offset of ">"
        byte_range = (0, lt, gt + 1, len(out) - gt - 1)
        out[br:br + _BR_WIDTH] = "[{} {} {} {}]".format(*byte_range).ljust(_BR_WIDTH).encode()
        der = make_signature(sm3(bytes(out[:lt]) + bytes(out[gt + 1:])))
        if len(der) <= reserve:
            out[lt + 1:lt + 1 + 2 * len(der)] = der.hex().upper().encode()
            return bytes(out)
        reserve = (len(der) + 1023) // 1024 * 1024 + 1024
    raise SealError("the signature keeps growing")  # pragma: no cover - make_signature changed its mind twice


def extract(pdf: bytes) -> Extracted:
    """The one signature of a sealed PDF: its byte range, the bytes it covers and the SES_Signature DER."""
    if not isinstance(pdf, bytes | bytearray) or not bytes(pdf[:5]) == b"%PDF-":
        raise SealError("not a PDF file")
    pdf = bytes(pdf)
    count = pdf.count(b"/ByteRange")
    if not count:
        raise SealError("the file has no signature")
    if count > 1:
        raise SealError("the file has more than one signature")
    match = _BYTE_RANGE.search(pdf)
    if not match:
        raise SealError("the signature's /ByteRange is malformed")
    a, b, c, d = (int(x) for x in match.groups())
    if a != 0 or not 0 < b < c or c + d != len(pdf):
        raise SealError("the signature's /ByteRange does not cover the whole file but its /Contents")
    if not re.fullmatch(rb"/Contents\s*", pdf[pdf.rfind(b"/Contents", 0, b):b]):
        raise SealError("the /ByteRange gap is not the signature's /Contents")
    obj_start, obj_end = pdf.rfind(b" obj", 0, b), pdf.find(b"endobj", c)
    if not obj_start < match.start() < obj_end or pdf.rfind(b"endobj", obj_start, b) >= 0:
        raise SealError("/ByteRange and /Contents are not in the same signature dictionary")
    gap = pdf[b:c]
    if len(gap) < 4 or gap[:1] != b"<" or gap[-1:] != b">" or not re.fullmatch(rb"(?:[0-9A-F]{2})+", gap[1:-1]):
        raise SealError("/Contents is not an upper-case hex string")
    raw = bytes.fromhex(gap[1:-1].decode("ascii"))
    try:
        _tag, _body, end = asn1.read_tlv(raw)
    except ValueError as exc:
        raise SealError(f"/Contents does not hold a DER structure: {exc}") from None
    if raw[end:].strip(b"\x00"):
        raise SealError("/Contents has data after the signature")
    return Extracted(byte_range=(a, b, c, d), signed_bytes=pdf[:b] + pdf[c:], signature_der=raw[:end])
