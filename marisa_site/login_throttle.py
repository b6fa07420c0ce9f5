"""Login throttling with django-axes: the backend, the client address and the lockout page.

After MARISA_LOGIN_FAILURE_LIMIT wrong passwords for one username from one address, that pair is locked out
of the login page and the admin's login for MARISA_LOGIN_LOCKOUT_MINUTES (settings.py; docs/operations.md).
Only logins made over HTTP count: a call to `authenticate()` without a request (a management command, a
shell, the test client's `login()`) is not throttled, it has no address to lock.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class ThrottledLoginBackend(AxesStandaloneBackend):
    """Axes' check before the real backends, for logins made over HTTP."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or, behind MARISA_LOGIN_PROXY_COUNT reverse proxies, the address
    the outermost of them saw (counted from the right of X-Forwarded-For, so a client cannot forge it)."""
    proxies = settings.MARISA_LOGIN_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR")
    if not proxies:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    return hops[-proxies] if len(hops) >= proxies else remote


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """429 with a page in the site's layout: why, for how long, and who can lift it."""
    minutes = settings.MARISA_LOGIN_LOCKOUT_MINUTES
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {"username": username, "failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    response = render(request, "registration/lockout.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
