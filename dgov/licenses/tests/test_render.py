"""The licence face: deterministic bytes, legible Chinese, the QR code, the metadata, both layouts, the
font lookup and the seal picture."""

import io
import json
import subprocess
from dataclasses import replace

import pytest
import segno
from PIL import Image

from dgov.licenses import pdfseal, render, sealimage

from .test_pdfseal import poppler, rasterize
from .test_ses import IDENTIFIER, face


def text_of(pdf: bytes) -> str:
    done = subprocess.run([poppler("pdftotext"), "-layout", "-", "-"], input=pdf, capture_output=True, timeout=60)
    assert done.returncode == 0 and not done.stderr, done.stderr
    return done.stdout.decode()


def info_of(pdf: bytes) -> str:
    done = subprocess.run([poppler("pdfinfo"), "-isodates", "-"], input=pdf, capture_output=True, timeout=60)
    assert done.returncode == 0 and not done.stderr, done.stderr
    return done.stdout.decode()


def test_the_same_face_gives_the_same_bytes():
    first = render.render(face())
    assert render.render(face()) == first
    assert render.render(face(holder_name="王芳")) != first
    assert render.render(face(issued_on=face().issued_on.replace(day=28))) != first


def test_chinese_text_is_legible(tmp_path):
    pdf = render.render(face())
    text = text_of(pdf)
    for expected in ("居住证", "鹰潭市", "持证人", "李娜", "公民身份号码", "360602199001011234",
                     "余江区锦江镇中山路1号", "有效期限", "2026年11月27日至2027年11月26日", "余江区行政审批局",
                     "2026年11月27日", "扫码核验", IDENTIFIER):
        assert expected in text.replace(" ", "") or expected in text, expected
    assert "示例" not in text and "DEMO" not in text
    assert rasterize(pdf, tmp_path).startswith(b"\x89PNG")


def test_demo_watermark(tmp_path):
    """Rotated text does not come out of pdftotext reliably: look at the page instead. The watermark greys
    the middle of the page, where the plain face is white."""
    def grey_pixels(demo: bool) -> int:
        image = Image.open(io.BytesIO(rasterize(render.render(face(demo=demo)), tmp_path, 36, "-gray")))
        width, height = image.size
        middle = image.crop((width // 5, height * 2 // 5, width * 4 // 5, height * 3 // 5))
        return sum(1 for p in middle.tobytes() if 120 < p < 245)

    assert grey_pixels(True) > 20 * max(grey_pixels(False), 10)


def test_qr_code_encodes_the_verification_url(tmp_path):
    the_face = face(seal_png=b"")
    pdf = render.render(the_face)
    layout = render._layouts()["a4"]
    dpi = 288
    image = Image.open(io.BytesIO(rasterize(pdf, tmp_path, dpi, "-gray")))
    matrix = segno.make(the_face.verify_url, error="m", boost_error=False).matrix
    left, bottom, side = layout.qr
    module, scale, height = side / len(matrix), dpi / 72, layout.size[1]
    for row, bits in enumerate(matrix):
        for col, bit in enumerate(bits):
            x = (left + (col + 0.5) * module) * scale
            y = (height - (bottom + side - (row + 0.5) * module)) * scale
            assert (image.getpixel((round(x), round(y))) < 128) == bool(bit), (row, col)


def test_metadata_is_embedded_and_in_the_information_dictionary():
    the_face = face(metadata={"holder": "李娜", "type": "居住证"})
    pdf = render.render(the_face)
    data = pdfseal.embedded_file(pdf, render.METADATA_FILE)
    expected = {"holder": "李娜", "type": "居住证", "identifier": IDENTIFIER}
    assert data == json.dumps(expected, ensure_ascii=False, sort_keys=True).encode()
    info = info_of(pdf)
    assert f"Subject:         {IDENTIFIER}" in info and "Title:           居住证" in info
    assert "Author:          余江区行政审批局" in info and "CreationDate:    2026-11-27T00:00:00+08" in info
    doc = pdfseal.PdfFile(pdf)
    entries = doc.get(doc.trailer["Info"])
    assert entries["LicenseIdentifier"] == b"\xfe\xff" + IDENTIFIER.encode("utf-16-be")
    assert "李娜".encode("utf-16-be") not in pdf and "李娜".encode() not in pdf  # no plain licence text in the file
    with pytest.raises(ValueError, match="another identifier"):
        render.render(face(metadata={"identifier": "1.2.156.3005.2.x"}))


@pytest.mark.parametrize("layout, size", [("a4", "595.276 x 841.89 pts (A4)"), ("a5-landscape", "595.276 x 419.528")])
def test_layouts(layout, size, tmp_path):
    pdf = render.render(face(layout=layout, demo=True))
    assert size in info_of(pdf)
    assert "居住证" in text_of(pdf)
    rasterize(pdf, tmp_path)


def test_refusals():
    with pytest.raises(ValueError, match="unknown layout"):
        render.render(face(layout="letter"))
    crowded = face(fields=[(f"字段{n}", "很长的内容" * 12) for n in range(40)])
    with pytest.raises(ValueError, match="do not fit"):
        render.render(crowded)
    long_title = face(title="中华人民共和国特种设备作业人员资格证书及其他相关许可证明文件")
    assert render.render(long_title)  # the title shrinks to fit


def test_find_font(settings, monkeypatch):
    settings.DGOV_LICENSE_FONT = ""
    assert render.find_font().is_file()
    settings.DGOV_LICENSE_FONT = render.FONT_CANDIDATES[0]
    assert str(render.find_font()) == render.FONT_CANDIDATES[0]
    settings.DGOV_LICENSE_FONT = "/nonexistent/font.ttf"
    with pytest.raises(render.FontMissing, match="DGOV_LICENSE_FONT"):
        render.find_font()
    settings.DGOV_LICENSE_FONT = ""
    monkeypatch.setattr(render, "FONT_CANDIDATES", ("/nonexistent/a.ttc",))
    with pytest.raises(render.FontMissing) as caught:
        render.find_font()
    assert "apt-get install fonts-wqy-microhei" in str(caught.value) and "DGOV_LICENSE_FONT" in str(caught.value)


def test_face_fields_are_escaped():
    pdf = render.render(face(fields=[("备注", "<b>不是标记</b> & 其他")]))
    assert "<b>不是标记</b>&其他" in text_of(pdf).replace(" ", "")


def test_seal_picture():
    png = sealimage.seal_png("余江区行政审批局", bottom="电子证照专用章", size_px=240)
    assert png == sealimage.seal_png("余江区行政审批局", bottom="电子证照专用章", size_px=240)
    assert png != sealimage.seal_png("贵溪市行政审批局", bottom="电子证照专用章", size_px=240)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (240, 240)
    rgba = image.convert("RGBA")
    assert rgba.getpixel((0, 0))[3] == 0 and rgba.getpixel((120, 120))[3] > 200  # transparent corner, red star
    pixels = rgba.tobytes()
    red = [pixels[i:i + 4] for i in range(0, len(pixels), 4) if pixels[i + 3] > 128]
    assert red and all(p[0] > 150 and p[1] < 60 for p in red)
    assert len(png) < 16384  # small enough for the SES_Seal picture
    assert sealimage.seal_png("单位", centre_text="专", size_px=64)
    for name, size in (("", 240), ("  ", 240), ("单位", 32), ("单位", 4096)):
        with pytest.raises(ValueError):
            sealimage.seal_png(name, size_px=size)


def test_face_with_a_seal_picture_over_the_issuer(tmp_path):
    png = sealimage.seal_png("余江区行政审批局", bottom="电子证照专用章")
    pdf = render.render(replace(face(), seal_png=png))
    image = Image.open(io.BytesIO(rasterize(pdf, tmp_path, 72))).convert("RGB")
    layout = render._layouts()["a4"]
    cx, baseline = layout.issuer
    reds = [image.getpixel((round(cx + dx), round(layout.size[1] - baseline - dy)))
            for dx in range(-50, 51, 5) for dy in range(-50, 51, 5)]
    assert sum(1 for r, g, b in reds if r > 150 and g < 90 and b < 90) > 5  # the seal is stamped there
