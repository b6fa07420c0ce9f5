"""What every page's template knows of the user's roles (marisa_site.roles): the navigation uses it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from marisa_site.roles import can_export, is_reviewer, is_staff


def roles(request: HttpRequest) -> dict[str, Callable[[], bool]]:
    """`is_reviewer`, `can_export` and `is_staff`, asked only when a template looks (templates call callables)."""
    user: Any = getattr(request, "user", None)
    return {
        "is_reviewer": lambda: is_reviewer(user),
        "can_export": lambda: can_export(user),
        "is_staff": lambda: is_staff(user),
    }


def demo_model(request: HttpRequest) -> dict[str, bool]:
    """`demo_base`: the base model is the bundled toy, so pages say its replies are babble by design."""
    from django.conf import settings

    return {"demo_base": not settings.MARISA_BASE_MODEL}
