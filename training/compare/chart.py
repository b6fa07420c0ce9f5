"""Metrics over rounds as a small inline SVG line chart (one line per metric, one point per version).

Drawn on the server like the loss curve (training/train/loss_chart.py): no script, no CDN, CSP-clean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from django.utils.translation import gettext

WIDTH, HEIGHT = 640, 240
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 52, 140, 14, 30
COLOURS = ("#c8102e", "#1f5fa8", "#2e8b57", "#b8860b", "#7b3fa0", "#555")


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def rounds_svg(labels: Sequence[str], series: Mapping[str, Sequence[float | None]], title: str) -> str:
    """Each series is one value per label (None where a version has no figure); a note when nothing to draw."""
    values = [v for points in series.values() for v in points if v is not None]
    if not labels or not values:
        note = escape(gettext("no figures yet: score the versions (manage.py evaluate)"))
        return (
            f'<svg class="rounds-chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} 60" '
            f'xmlns="http://www.w3.org/2000/svg"><text x="{WIDTH / 2}" y="34" text-anchor="middle" '
            f'fill="#666" font-size="13">{note}</text></svg>'
        )
    lo, hi = min(values), max(values)
    if hi == lo:
        hi, lo = hi + 0.5, lo - 0.5
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM

    def x(i: int) -> float:
        return PAD_LEFT + (i / (len(labels) - 1) * plot_w if len(labels) > 1 else plot_w / 2)

    def y(value: float) -> float:
        return PAD_TOP + (hi - value) / (hi - lo) * plot_h

    parts = [
        f'<svg class="rounds-chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i in range(5):
        value = lo + (hi - lo) * i / 4
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="#e3e1da"/><text x="{PAD_LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" '
            f'font-size="11" fill="#666">{_fmt(value)}</text>'
        )
    for i, label in enumerate(labels):
        parts.append(
            f'<text x="{x(i):.1f}" y="{HEIGHT - 10}" text-anchor="middle" font-size="11" fill="#666">'
            f"{escape(label)}</text>"
        )
    for n, (name, points) in enumerate(series.items()):
        parts.append(_series(name, points, COLOURS[n % len(COLOURS)], n, x, y))
    parts.append("</svg>")
    return "".join(parts)


def _series(name: str, points: Sequence[float | None], colour: str, n: int, x, y) -> str:  # type: ignore[no-untyped-def]
    known = [(i, v) for i, v in enumerate(points) if v is not None]
    line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in known)
    dots = "".join(
        f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"><title>{escape(name)}: {_fmt(v)}'
        "</title></circle>"
        for i, v in known
    )
    legend_y = PAD_TOP + 14 + n * 18
    return (
        f'<polyline fill="none" stroke="{colour}" stroke-width="1.8" points="{line}"/>{dots}'
        f'<rect x="{WIDTH - PAD_RIGHT + 12}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>'
        f'<text x="{WIDTH - PAD_RIGHT + 28}" y="{legend_y}" font-size="11" fill="#333">{escape(name)}</text>'
    )
