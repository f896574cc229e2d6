"""The picture of a round official seal (公章): a red ring, the organisation's name along the top arc, a
five-pointed star in the centre and an optional line below it (e.g. 电子证照专用章), drawn with Pillow as a
PNG with a transparent background, so it overlaps the issuer's name on the licence face as a stamp does.

Drawn at twice the size and scaled down for smooth edges; the same arguments give the same bytes.
"""

import io
import math
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from .render import find_font

RED = (215, 0, 15)
ALPHA = 235  # a stamp lets a little of the paper through


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(find_font()), size, index=0)


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, radius: float, fill) -> None:
    inner = radius * math.sin(math.radians(18)) / math.sin(math.radians(54))  # regular pentagram
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else inner
        angle = math.radians(-90 + 36 * i)
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    draw.polygon(points, fill=fill)


def _glyph(char: str, size: int, colour) -> Image.Image:
    font = _font(size)
    box = font.getbbox(char)
    tile = Image.new("RGBA", (size * 2, size * 2), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text((size - (box[0] + box[2]) / 2, size - (box[1] + box[3]) / 2), char, font=font,
                              fill=colour)
    return tile


def _arc_text(image: Image.Image, text: str, centre: float, radius: float, size: int, colour) -> None:
    """`text` along the top of a circle, each character upright towards the outside."""
    count = len(text)
    step = min(math.degrees(1.15 * size / radius), 250 / max(count - 1, 1))
    span = step * (count - 1)
    for i, char in enumerate(text):
        angle = -90 - span / 2 + step * i  # image coordinates: y grows downwards, angles clockwise
        tile = _glyph(char, size, colour).rotate(-(angle + 90), resample=Image.BICUBIC)
        x = centre + radius * math.cos(math.radians(angle)) - tile.width / 2
        y = centre + radius * math.sin(math.radians(angle)) - tile.height / 2
        image.alpha_composite(tile, (round(x), round(y)))


def seal_png(name: str, *, centre_text: str = "★", bottom: str = "", size_px: int = 480) -> bytes:
    """A red round seal for `name` as PNG bytes (`size_px` square)."""
    name = "".join(name.split())
    if not name:
        raise ValueError("a seal needs a name")
    if not 64 <= size_px <= 2048:
        raise ValueError("size_px must be between 64 and 2048")
    scale = 2
    side = size_px * scale
    colour = (*RED, 255)
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    ring = side * 0.035
    draw.ellipse((ring / 2, ring / 2, side - ring / 2, side - ring / 2), outline=colour, width=round(ring))
    centre = side / 2
    if centre_text == "★":
        _star(draw, centre, centre, side * 0.16, colour)
    elif centre_text:
        size = round(side * 0.16)
        draw.text((centre, centre), centre_text, font=_font(size), fill=colour, anchor="mm")
    name_size = round(side * (0.115 if len(name) <= 12 else 0.095 if len(name) <= 18 else 0.075))
    _arc_text(image, name, centre, side / 2 - ring * 1.6 - name_size * 0.62, name_size, colour)
    if bottom:
        size = round(side * (0.075 if len(bottom) <= 8 else 0.06))
        draw.text((centre, side * 0.75), bottom, font=_font(size), fill=colour, anchor="mm")
    image = image.resize((size_px, size_px), Image.LANCZOS)
    alpha = image.getchannel("A").point(lambda a: a * ALPHA // 255)
    flat = Image.new("RGBA", image.size, (*RED, 0))
    flat.putalpha(alpha)
    # one colour in 32 levels of opacity: a palette PNG of about 10 kB, small enough for the SES_Seal picture
    out = io.BytesIO()
    flat.quantize(colors=32, method=Image.FASTOCTREE).save(out, format="PNG", optimize=True)
    return out.getvalue()
