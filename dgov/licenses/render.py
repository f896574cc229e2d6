"""The licence face (证照照面) as a one-page PDF, drawn with reportlab.

A bordered official layout: the title large, a subtitle and the licence identifier, a bordered table of the
holder and the type's fields with the validity, a QR code of the verification URL captioned 扫码核验, the
issuer's name and the issue date with the seal picture stamped over them (multiply blend, so the black text
shows through the red as on paper), the verification address in small print, and a 示例 / DEMO watermark on
demo licences. Two layouts: "a4" (portrait) and "a5-landscape".

Chinese text needs a TrueType CJK font (`find_font`; reportlab cannot embed CFF fonts such as Noto CJK); it
is embedded as a subset. The fixed words on the face are Chinese whatever the reader's language: the face is a
Chinese legal document, not part of the user interface.

The metadata goes into the file twice: an embedded file "license.json" (`json.dumps(metadata,
ensure_ascii=False, sort_keys=True)`, with "identifier" set to the licence identifier) and the document
information dictionary (Title, Subject = the identifier, Author = the issuer, CreationDate = the issue date,
LicenseIdentifier). Information strings are written as UTF-16 hex strings, so no text from the licence appears
as plain bytes outside compressed streams. The same face gives the same bytes: reportlab runs in invariant
mode and the dates come from the face.
"""

import datetime as dt
import io
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import segno
from reportlab import rl_config
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFInfo, PDFObject, PDFStream, PDFString, PDFZCompress
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle

# Binary (Flate) streams, not ASCII85 on top: reportlab's pure-Python ASCII85 of the seal picture took
# half of a face's rendering time, and made the file a quarter larger. dgov is reportlab's only user.
rl_config.useA85 = 0
FONT_NAME = "DgovLicenseCJK"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
METADATA_FILE = "license.json"
INK = HexColor("#1A1A1A")
FRAME = HexColor("#8E1B1B")
LABEL_FILL = HexColor("#F6EEE3")
GRID = HexColor("#9C7F6A")
MUTED = HexColor("#555555")
_register_lock = threading.Lock()


class FontMissing(RuntimeError):
    """No TrueType CJK font for the licence face."""


@dataclass(frozen=True)
class Face:
    title: str
    subtitle: str
    fields: list[tuple[str, str]]
    holder_label: str
    holder_name: str
    issuer_name: str
    issued_on: dt.date
    valid_text: str
    identifier: str
    verify_url: str
    seal_png: bytes | None
    seal_mm: int
    metadata: dict = field(default_factory=dict)
    demo: bool = False
    layout: str = "a4"


def find_font() -> Path:
    """DGOV_LICENSE_FONT when set, else the first known Debian CJK TrueType font that is installed."""
    configured = _setting("DGOV_LICENSE_FONT")
    if configured:
        if Path(configured).is_file():
            return Path(configured)
        raise FontMissing(f"DGOV_LICENSE_FONT names {configured}, which does not exist. Point it to a TrueType "
                          "CJK font (.ttf/.ttc) or unset it and run `apt-get install fonts-wqy-microhei`.")
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing("No TrueType CJK font for licence files: run `apt-get install fonts-wqy-microhei`, or set "
                      "DGOV_LICENSE_FONT to a TrueType CJK font (.ttf/.ttc; CFF fonts such as Noto CJK cannot be "
                      "embedded).")


def _setting(name: str) -> str:
    from django.conf import settings

    if settings.configured:
        return str(getattr(settings, name, "") or "")
    return os.environ.get(name, "")


def register_font() -> str:
    """Register the CJK font with reportlab once per process; its reportlab name."""
    with _register_lock:
        if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(find_font()), subfontIndex=0))
    return FONT_NAME


# --- PDF objects ----------------------------------------------------------------------------------
class _HexText(PDFObject):
    """A text string as UTF-16BE hex with a byte order mark."""

    def __init__(self, text: str):
        self.text = text

    def format(self, document):
        return b"<FEFF" + self.text.encode("utf-16-be").hex().upper().encode() + b">"


class _Info(PDFInfo):
    """The information dictionary with our own keys, every string in hex."""

    def __init__(self, entries: dict[str, str], created: str):
        super().__init__()
        self.entries, self.created = entries, created
        self.title, self.author = entries.get("Title", ""), entries.get("Author", "")
        self.subject, self.keywords = entries.get("Subject", ""), entries.get("Keywords", "")

    def format(self, document):
        values = {key: _HexText(value) for key, value in self.entries.items()}
        values["CreationDate"] = values["ModDate"] = PDFString(self.created)
        return PDFDictionary(values).format(document)


def _attach(canvas: Canvas, name: str, data: bytes, description: str) -> None:
    doc = canvas._doc
    stream = PDFStream(PDFDictionary({"Type": "/EmbeddedFile", "Subtype": b"/application#2Fjson",
                                      "Params": PDFDictionary({"Size": len(data)})}),
                       content=data, filters=[PDFZCompress])
    spec = doc.Reference(PDFDictionary({"Type": "/Filespec", "F": PDFString(name), "UF": _HexText(name),
                                        "Desc": _HexText(description), "AFRelationship": "/Data",
                                        "EF": PDFDictionary({"F": doc.Reference(stream)})}))
    doc.Catalog.Names = PDFDictionary({"EmbeddedFiles": PDFDictionary({"Names": PDFArray([PDFString(name), spec])})})


# --- layouts --------------------------------------------------------------------------------------
class Layout(NamedTuple):
    size: tuple[float, float]
    border: float
    title_size: float
    title_from_top: float
    table: tuple[float, float, float, float]  # left, right, top (from the top), lowest bottom
    label_width: float
    text_sizes: tuple[float, ...]
    qr: tuple[float, float, float]  # left, bottom, side
    issuer: tuple[float, float]  # centre x, baseline y of the issuer's name
    footer_y: float


def _layouts() -> dict[str, Layout]:
    a4w, a4h = A4
    a5w, a5h = landscape(A5)
    return {
        "a4": Layout(size=A4, border=26, title_size=30, title_from_top=112, table=(66, a4w - 66, 184, 286),
                     label_width=112, text_sizes=(11.5, 10.5, 9.5, 8.5, 7.5), qr=(72, 124, 112),
                     issuer=(a4w - 172, 196), footer_y=52),
        "a5-landscape": Layout(size=(a5w, a5h), border=18, title_size=22, title_from_top=58,
                               table=(40, a5w - 186, 112, 56), label_width=100, text_sizes=(9.5, 8.5, 7.5, 6.5),
                               qr=(a5w - 158, a5h - 224, 96), issuer=(a5w - 110, 98), footer_y=30),
    }


LAYOUTS = tuple(_layouts())


def _chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _centred(canvas: Canvas, x: float, y: float, text: str, size: float, *, colour=INK, spacing: float = 0,
             bold: bool = False) -> None:
    """One line centred on x; `spacing` between characters; `bold` strokes the outline too (the font has
    one weight)."""
    width = pdfmetrics.stringWidth(text, FONT_NAME, size) + spacing * max(len(text) - 1, 0)
    canvas.saveState()  # the text render mode is graphics state: it must not leak to later text
    t = canvas.beginText(x - width / 2, y)
    t.setFont(FONT_NAME, size)
    t.setCharSpace(spacing)
    t.setFillColor(colour)
    if bold:
        canvas.setStrokeColor(colour)
        canvas.setLineWidth(size / 40)
        t.setTextRenderMode(2)
    t.textLine(text)
    canvas.drawText(t)
    canvas.restoreState()


def _fit(text: str, size: float, width: float) -> float:
    while size > 5 and pdfmetrics.stringWidth(text, FONT_NAME, size) > width:
        size -= 0.5
    return size


def _table(face: Face, layout: Layout, size: float) -> Table:
    left, right, _top, _bottom = layout.table
    label = ParagraphStyle("label", fontName=FONT_NAME, fontSize=size, leading=size * 1.45, textColor=INK,
                           wordWrap="CJK", alignment=1)
    value = ParagraphStyle("value", parent=label, alignment=0)
    rows = [(face.holder_label, face.holder_name), *face.fields, ("有效期限", face.valid_text)]
    data = [[Paragraph(_escape(k), label), Paragraph(_escape(v), value)] for k, v in rows]
    table = Table(data, colWidths=[layout.label_width, right - left - layout.label_width])
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (0, -1), LABEL_FILL),
        ("INNERGRID", (0, 0), (-1, -1), 0.6, GRID),
        ("BOX", (0, 0), (-1, -1), 1.2, FRAME),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), size * 0.55),
        ("BOTTOMPADDING", (0, 0), (-1, -1), size * 0.55),
        ("LEFTPADDING", (0, 0), (-1, -1), size * 0.8),
        ("RIGHTPADDING", (0, 0), (-1, -1), size * 0.8),
    ]))
    return table


def _escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")


def _draw_table(canvas: Canvas, face: Face, layout: Layout, page_height: float) -> None:
    left, right, top, lowest = layout.table
    available = page_height - top - lowest
    for size in layout.text_sizes:
        table = _table(face, layout, size)
        _w, height = table.wrapOn(canvas, right - left, available)
        if height <= available:
            table.drawOn(canvas, left, page_height - top - height)
            return
    raise ValueError("the licence fields do not fit on the face; shorten them or use fewer fields")


def _draw_qr(canvas: Canvas, url: str, left: float, bottom: float, side: float) -> None:
    """The QR code as one filled path, in module units: a rectangle per run of dark modules in a row."""
    matrix = segno.make(url, error="m", boost_error=False).matrix
    count = len(matrix)
    runs = []
    for row, bits in enumerate(matrix):
        col = 0
        while col < count:
            if bits[col]:
                start = col
                while col < count and bits[col]:
                    col += 1
                runs.append(f"{start} {count - 1 - row} {col - start} 1 re")
            else:
                col += 1
    canvas.saveState()
    canvas.setFillColor(INK)
    canvas.transform(side / count, 0, 0, side / count, left, bottom)
    canvas.addLiteral("\n".join(runs) + "\nf")
    canvas.restoreState()


def _draw_frame(canvas: Canvas, width: float, height: float, inset: float) -> None:
    canvas.setStrokeColor(FRAME)
    canvas.setLineWidth(2.4)
    canvas.rect(inset, inset, width - 2 * inset, height - 2 * inset, stroke=1, fill=0)
    canvas.setLineWidth(0.7)
    canvas.rect(inset + 5, inset + 5, width - 2 * inset - 10, height - 2 * inset - 10, stroke=1, fill=0)
    corner = 14
    for x, y, dx, dy in ((inset + 9, inset + 9, 1, 1), (width - inset - 9, inset + 9, -1, 1),
                         (inset + 9, height - inset - 9, 1, -1), (width - inset - 9, height - inset - 9, -1, -1)):
        canvas.line(x, y, x + dx * corner, y)
        canvas.line(x, y, x, y + dy * corner)


def _draw_watermark(canvas: Canvas, width: float, height: float) -> None:
    canvas.saveState()
    canvas.translate(width / 2, height / 2)
    canvas.rotate(32)
    _centred(canvas, 0, -width * 0.05, "示例 / DEMO", width * 0.12, colour=Color(0.55, 0.55, 0.55, alpha=0.22))
    canvas.restoreState()


def _metadata_json(face: Face) -> bytes:
    metadata = dict(face.metadata)
    if metadata.setdefault("identifier", face.identifier) != face.identifier:
        raise ValueError("the metadata names another identifier than the face")
    return json.dumps(metadata, ensure_ascii=False, sort_keys=True).encode("utf-8")


def render(face: Face) -> bytes:
    """The face as PDF bytes."""
    layouts = _layouts()
    if face.layout not in layouts:
        raise ValueError(f"unknown layout {face.layout!r}; one of {', '.join(layouts)}")
    layout = layouts[face.layout]
    register_font()
    width, height = layout.size
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=layout.size, invariant=1, pageCompression=1)
    created = face.issued_on.strftime("D:%Y%m%d000000+08'00'")
    canvas._doc.info = _Info({"Title": face.title, "Subject": face.identifier, "Author": face.issuer_name,
                              "Keywords": "电子证照", "Creator": "dgov", "Producer": "dgov (ReportLab)",
                              "LicenseIdentifier": face.identifier}, created)
    _attach(canvas, METADATA_FILE, _metadata_json(face), "licence metadata")

    _draw_frame(canvas, width, height, layout.border)
    top = height - layout.title_from_top
    title_size = _fit(face.title, layout.title_size, width - 2 * layout.border - 80)
    _centred(canvas, width / 2, top, face.title, title_size, spacing=title_size * 0.18, bold=True)
    if face.subtitle:
        size = _fit(face.subtitle, layout.title_size * 0.42, width - 2 * layout.border - 40)
        _centred(canvas, width / 2, top - layout.title_size * 1.05, face.subtitle, size, colour=MUTED)
    id_text = f"证照标识  {face.identifier}"
    _centred(canvas, width / 2, top - layout.title_size * 1.75, id_text,
             _fit(id_text, layout.title_size * 0.3, width - 2 * layout.border - 40), colour=MUTED)
    _draw_table(canvas, face, layout, height)

    qr_left, qr_bottom, qr_side = layout.qr
    _draw_qr(canvas, face.verify_url, qr_left, qr_bottom, qr_side)
    _centred(canvas, qr_left + qr_side / 2, qr_bottom - layout.title_size * 0.45, "扫码核验",
             layout.title_size * 0.32, colour=MUTED)

    cx, baseline = layout.issuer
    issuer_size = _fit(face.issuer_name, layout.title_size * 0.48, qr_side * 2)
    _centred(canvas, cx, baseline + issuer_size * 1.6, "发证机关", layout.title_size * 0.3, colour=MUTED)
    _centred(canvas, cx, baseline, face.issuer_name, issuer_size)
    _centred(canvas, cx, baseline - issuer_size * 1.7, _chinese_date(face.issued_on), issuer_size * 0.85)
    if face.seal_png:
        diameter = face.seal_mm * mm
        canvas.saveState()
        canvas.setBlendMode("Multiply")
        canvas.drawImage(ImageReader(io.BytesIO(face.seal_png)), cx - diameter / 2,
                         baseline + issuer_size * 0.3 - diameter / 2, diameter, diameter, mask="auto")
        canvas.restoreState()

    footer = f"扫描二维码或访问以下地址核验本证照：{face.verify_url}"
    _centred(canvas, width / 2, layout.footer_y, footer,
             _fit(footer, layout.title_size * 0.25, width - 2 * layout.border - 30), colour=MUTED)
    if face.demo:
        _draw_watermark(canvas, width, height)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
