"""The Content-Security-Policy header (django-csp) on pages, the 403 page, the API and its docs.

The browser test beside this one (test_csp_browser.py) checks that the pages really run under it.
"""

from __future__ import annotations

import pytest

from tests.factories import client_for, make_user

pytestmark = pytest.mark.django_db

STRICT = [
    "default-src 'self'",
    "script-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]


def directives(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize("path", ["/", "/corpus/", "/training/", "/api/lines/", "/api/docs/", "/api/schema/"])
def test_pages_and_the_api_send_the_strict_policy(client, path: str) -> None:
    client.force_login(make_user("boss", "staff"))
    response = client.get(path)
    assert response.status_code == 200
    found = directives(response)
    for directive in STRICT:
        assert found[directive.split(" ", 1)[0]] == directive, path
    assert "'unsafe-inline'" not in found["style-src"] and "'unsafe-eval'" not in str(found)


def test_the_login_and_forbidden_pages_send_it_too(client) -> None:
    assert "default-src 'self'" in client.get("/accounts/login/").headers["Content-Security-Policy"]
    forbidden = client_for(make_user("nobody")).get("/corpus/")
    assert (
        forbidden.status_code == 403 and "script-src 'self'" in forbidden.headers["Content-Security-Policy"]
    )


def test_swagger_ui_uses_the_split_view_and_a_nonce(client) -> None:
    response = client.get("/api/docs/")
    page = response.content.decode()
    nonce = directives(response)["style-src"].split("'nonce-", 1)[1].split("'", 1)[0]
    assert f'<style nonce="{nonce}">' in page
    assert "<script>" not in page and "/api/docs/?script=" in page  # the start script is its own request
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


def test_redoc_alone_allows_inline_styles_and_loads_no_web_fonts(client) -> None:
    response = client.get("/api/redoc/")
    found = directives(response)
    assert (
        found["style-src"] == "style-src 'self' 'unsafe-inline'"
        and found["script-src"] == "script-src 'self'"
    )
    page = response.content.decode()
    assert "fonts.googleapis.com" not in page and "<script>" not in page
