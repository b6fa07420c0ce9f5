"""Typed readers for settings that come from environment variables.

Each reader returns the default when the variable is unset or empty, and raises
ImproperlyConfigured naming the variable when a value is set but cannot be read:
a typo in production must stop the start, not silently become the default.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


class SettingsError(ImproperlyConfigured):
    """A setting that cannot be read: manage.py prints its message as one line, without a traceback."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name).lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean: use one of {sorted(_TRUE | _FALSE)}")


def env_int(name: str, default: int | None, minimum: int | None = None) -> int | None:
    raw = env_str(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not an integer")
    if minimum is not None and value < minimum:
        raise SettingsError(f"{name}={value} is below the minimum {minimum}")
    return value


def env_float(name: str, default: float) -> float:
    raw = env_str(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number")


def env_choice(name: str, default: str, choices: list[str]) -> str:
    """One of `choices` (case-insensitive), e.g. MARISA_LANGUAGE=ja; anything else stops the start."""
    raw = env_str(name).lower()
    if not raw:
        return default
    if raw not in choices:
        raise SettingsError(f"{name}={raw!r} is not supported: use one of {choices}")
    return raw


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name)
    if not raw:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    raw = env_str(name)
    return Path(raw).expanduser().resolve() if raw else default


def env_url(name: str) -> str:
    """An http(s) URL with a host ("" when unset), without a trailing slash, e.g. MARISA_INFERENCE_URL."""
    from urllib.parse import urlsplit

    raw = env_str(name)
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{name}={raw!r} is not an http(s) URL such as http://127.0.0.1:8100/v1")
    return raw.rstrip("/")


def env_file_text(name: str) -> str:
    """The stripped text of the file the variable names ("" when unset), e.g. SECRET_KEY_FILE."""
    raw = env_str(name)
    if not raw:
        return ""
    try:
        return Path(raw).expanduser().read_text().strip()
    except OSError as exc:
        raise SettingsError(f"{name}={raw!r} cannot be read: {exc.strerror or exc}")
