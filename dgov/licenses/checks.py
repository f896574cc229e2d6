"""The licence library's part of `dgov check`: the font licence faces are rendered with, and the public
URL their QR codes carry."""

import os

from django.conf import settings

from dgov.core.checks import OK, WARN, check


@check("licence font")
def _licence_font():
    from dgov.licenses.render import FontMissing, find_font

    try:
        path = find_font()
    except FontMissing as exc:
        return WARN, str(exc)
    return OK, str(path)


@check("public URL")
def _public_url():
    if not os.environ.get("DGOV_PUBLIC_URL") and not settings.DEBUG:
        return WARN, (f"DGOV_PUBLIC_URL is not set: licence QR codes point to {settings.DGOV_PUBLIC_URL}; set it to "
                      "the address citizens reach the platform at (e.g. https://zw.example.gov.cn)")
    return OK, settings.DGOV_PUBLIC_URL
