"""The loss curve of a training job as a small inline SVG, drawn on the server (no script, no CDN)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 640, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 52, 12, 12, 28


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def _downsample(points: list[tuple[float, float]], limit: int) -> list[tuple[float, float]]:
    if len(points) <= limit:
        return points
    stride = len(points) / limit
    picked = [points[int(i * stride)] for i in range(limit)]
    return picked + [points[-1]] if picked[-1] != points[-1] else picked


def loss_svg(history: Sequence[Sequence[float]], max_points: int = 600) -> str:
    """An SVG line chart of [[step, loss], ...]; a short note when there is nothing to draw yet."""
    points = [(float(s), float(v)) for s, v in history if v == v]
    if not points:
        return (
            f'<svg class="loss-chart" role="img" aria-label="loss curve" viewBox="0 0 {WIDTH} 60" '
            f'xmlns="http://www.w3.org/2000/svg"><text x="{WIDTH / 2}" y="34" text-anchor="middle" '
            'fill="#666" font-size="13">no loss logged yet</text></svg>'
        )
    points = _downsample(points, max_points)
    x0, x1 = points[0][0], points[-1][0]
    lo, hi = min(v for _, v in points), max(v for _, v in points)
    if x1 == x0:
        x1 = x0 + 1
    if hi == lo:
        hi, lo = hi + 0.5, max(0.0, lo - 0.5)
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM

    def x(step: float) -> float:
        return PAD_LEFT + (step - x0) / (x1 - x0) * plot_w

    def y(value: float) -> float:
        return PAD_TOP + (hi - value) / (hi - lo) * plot_h

    path = " ".join(f"{x(s):.1f},{y(v):.1f}" for s, v in points)
    grid = []
    for i in range(5):
        value = lo + (hi - lo) * i / 4
        gy = y(value)
        grid.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{gy:.1f}" y2="{gy:.1f}" stroke="#e3e1da"/>'
            f'<text x="{PAD_LEFT - 6}" y="{gy + 4:.1f}" text-anchor="end" font-size="11" fill="#666">'
            f"{_fmt(value)}</text>"
        )
    last_step, last_loss = points[-1]
    title = escape(f"loss {_fmt(last_loss)} at step {int(last_step)}")
    return (
        f'<svg class="loss-chart" role="img" aria-label="loss curve" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{title}</title>'
        + "".join(grid)
        + f'<polyline fill="none" stroke="#c8102e" stroke-width="1.8" points="{path}"/>'
        f'<circle cx="{x(last_step):.1f}" cy="{y(last_loss):.1f}" r="3" fill="#c8102e"/>'
        f'<text x="{PAD_LEFT}" y="{HEIGHT - 8}" font-size="11" fill="#666">step {int(x0)}</text>'
        f'<text x="{WIDTH - PAD_RIGHT}" y="{HEIGHT - 8}" text-anchor="end" font-size="11" fill="#666">'
        f"step {int(points[-1][0])}</text></svg>"
    )
