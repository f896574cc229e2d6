"""Sections other apps add to a case's two pages: the applicant's (/my/cases/<reference>/) and the
official's (/workbench/cases/<id>/). Payments adds the fee to pay, ratings the rating form, supervision
the supervision task, bundles the one-thing bundle the case belongs to.

    from dgov.cases import panels
    panels.register("applicant", render_fee, order=10)   # in the app's AppConfig.ready()

A panel is `render(request, case) -> str | None`: HTML (from `render_to_string`, so escaped as any
template is) or None when it has nothing to show for this case. Panels are shown in `order`.
"""

from django.utils.safestring import mark_safe

PAGES = ("applicant", "official")
_panels: dict[str, list[tuple[int, str, object]]] = {page: [] for page in PAGES}


def register(page: str, render, *, order: int = 50) -> None:
    """Add `render` to `page` ("applicant" or "official"); registering the same function again replaces it."""
    if page not in PAGES:
        raise ValueError(f"unknown case page {page!r}")
    key = f"{render.__module__}.{render.__qualname__}"
    entries = [entry for entry in _panels[page] if entry[1] != key]
    entries.append((order, key, render))
    _panels[page] = sorted(entries, key=lambda entry: (entry[0], entry[1]))


def render_all(page: str, request, case) -> list[str]:
    """The HTML of every panel of `page` that has something to show for `case`, in order."""
    out = []
    for _order, _key, render in _panels[page]:
        html = render(request, case)
        if html:
            out.append(mark_safe(html))  # noqa: S308 - rendered by a template, escaped there
    return out
