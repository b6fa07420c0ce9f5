from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """12 s, 3 min 05 s, 1 h 02 min: an ETA a person reads at a glance."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@register.filter
def sig(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "—"
    try:
        return f"{float(value):.{int(digits)}g}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def tail(text: str, length: int = 80) -> str:
    """The end of a long prompt: the turns the reply answers."""
    text = str(text or "")
    return text if len(text) <= int(length) else "…" + text[-int(length) :]
