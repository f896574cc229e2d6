"""Inline SVG charts for statistics pages (no script, no inline style: the CSP allows neither).

The helpers turn figures into the geometry the templates in `core/charts/` draw: `bars` (a
horizontal bar per row, to scale of the largest), `donut` (the arcs of shares), `stack` (the
segments of one horizontal bar) and `columns` (a vertical stacked column per period, e.g. calls per
day). Colours are the classes `chart-s1`… of `dgov/charts.css`; every chart sits next to a table of
its figures, which is what screen readers and the .xlsx export read.
"""


def bars(rows: list[dict]) -> list[dict]:
    """Each row with `width`: its count as a share of the largest, in percent (for an SVG bar)."""
    peak = max((r["count"] for r in rows), default=0) or 1
    return [{**r, "width": f"{100 * r['count'] / peak:.2f}"} for r in rows]


def donut(shares: list[dict]) -> list[dict]:
    """Each share with the stroke-dasharray and stroke-dashoffset of its arc on a circle whose
    circumference is 100, starting at the top and going clockwise. The arcs follow the counts, not
    the rounded percentages, so that they close the circle."""
    out, done = [], 0.0
    total = sum(share["count"] for share in shares)
    for n, share in enumerate(shares, start=1):
        part = 100 * share["count"] / total if total else 0.0
        out.append({**share, "series": n, "dash": f"{part:.2f} {100 - part:.2f}", "offset": f"{(25 - done) % 100:.2f}"})
        done += part
    return out


def stack(parts: list[tuple], total: int) -> list[dict]:
    """Segments of one horizontal bar: (label, count, series) → x and width in percent."""
    out, x = [], 0.0
    for label, count, series in parts:
        width = 100 * count / total if total else 0
        out.append({"label": label, "count": count, "series": series, "x": f"{x:.2f}", "width": f"{width:.2f}",
                    "percent": round(width, 1)})
        x += width
    return out


#: the height of the `columns` chart's viewBox; each column is 10 units wide with a 2-unit gap
COLUMNS_HEIGHT = 100


def columns(periods: list[dict], series: list[tuple[str, str, int]]) -> dict:
    """A stacked column per period: `periods` are dicts with a `label` and a count per key of
    `series` ((key, label, colour number) from the bottom up); the tallest column fills the height.
    Returns the viewBox width, the peak, the legend and each period with its segments (y, height)."""
    peak = max((sum(p[key] for key, _label, _n in series) for p in periods), default=0)
    scale = COLUMNS_HEIGHT / peak if peak else 0
    out = []
    for i, period in enumerate(periods):
        y, segments = float(COLUMNS_HEIGHT), []
        for key, _label, n in series:
            height = period[key] * scale
            y -= height
            if period[key]:
                segments.append({"series": n, "y": f"{y:.2f}", "height": f"{height:.2f}"})
        out.append({**period, "x": i * 10 + 1, "segments": segments,
                    "values": [{"label": label, "count": period[key]} for key, label, _n in series],
                    "total": sum(period[key] for key, _label, _n in series)})
    return {"width": max(len(periods), 1) * 10, "height": COLUMNS_HEIGHT, "peak": peak, "periods": out,
            "legend": [{"key": key, "label": label, "series": n} for key, label, n in series]}
