"""Login throttling (django-axes, marisa_site/login_throttle.py) through the real login forms.

After AXES_FAILURE_LIMIT wrong passwords for one username from one address, that username is locked out
from that address, on the site's login page and the admin's alike, with a clear 429 page (never a 5xx);
the right password is refused too until the lock ends; other users and other addresses are not affected.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import make_user, password_for

pytestmark = pytest.mark.django_db

LIMIT = 5  # the default, MARISA_LOGIN_FAILURE_LIMIT


def log_in(client: Client, username: str, password: str, url: str = "/accounts/login/"):
    form = client.get(url)
    assert form.status_code == 200
    return client.post(url, {"username": username, "password": password, "next": "/"})


def test_settings_lock_a_username_from_one_address_after_five_failures(settings) -> None:
    assert settings.AXES_FAILURE_LIMIT == LIMIT
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_login_is_locked_after_five_wrong_passwords() -> None:
    make_user("kana", "reviewer")
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(LIMIT - 1):
        wrong = log_in(client, "kana", "wrong-password")
        assert wrong.status_code == 200 and "didn't match" in wrong.content.decode()
    locked = log_in(client, "kana", "wrong-password")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert 'id="lockout"' in page and '<header class="topbar">' in page  # the site's layout
    assert "Too many failed logins" in page and "15 minutes" in page and "kana" in page
    assert locked["Retry-After"] == str(15 * 60)

    right = log_in(client, "kana", password_for("kana"))
    assert right.status_code == 429 and "_auth_user_id" not in client.session  # locked: even the right one


def test_the_lock_is_per_username_and_address() -> None:
    make_user("kana", "reviewer")
    make_user("yuki", "reviewer")
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(LIMIT):
        log_in(attacker, "kana", "wrong-password")
    assert log_in(attacker, "kana", password_for("kana")).status_code == 429

    other_user = log_in(attacker, "yuki", password_for("yuki"))
    assert other_user.status_code == 302  # another username from the same address
    elsewhere = Client(REMOTE_ADDR="198.51.100.2")
    assert log_in(elsewhere, "kana", password_for("kana")).status_code == 302  # kana from her own address


def test_the_lock_ends_after_the_cool_off() -> None:
    from axes.models import AccessAttempt

    make_user("kana", "reviewer")
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(LIMIT):
        log_in(client, "kana", "wrong-password")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert log_in(client, "kana", password_for("kana")).status_code == 302


def test_a_successful_login_resets_the_count() -> None:
    make_user("kana", "reviewer")
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(LIMIT - 1):
        log_in(client, "kana", "wrong-password")
    assert log_in(client, "kana", password_for("kana")).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(LIMIT - 1):
        assert log_in(client, "kana", "wrong-password").status_code == 200  # counting from zero again


def test_the_admin_login_is_locked_too() -> None:
    make_user("root", "superuser")
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(LIMIT - 1):
        assert log_in(client, "root", "wrong-password", "/admin/login/").status_code == 200
    locked = log_in(client, "root", "wrong-password", "/admin/login/")
    assert locked.status_code == 429 and "Too many failed logins" in locked.content.decode()
    assert log_in(client, "root", password_for("root"), "/admin/login/").status_code == 429
    assert log_in(client, "root", password_for("root")).status_code == 429  # one lock for both forms


def test_logins_without_a_request_are_not_throttled() -> None:
    """Management commands and the test client's login() call authenticate() without a request."""
    from django.contrib.auth import authenticate

    make_user("kana", "reviewer")
    for _ in range(LIMIT + 2):
        assert authenticate(username="kana", password="wrong") is None
    assert authenticate(username="kana", password=password_for("kana")) is not None
    assert Client().login(username="kana", password=password_for("kana"))


def test_behind_a_proxy_the_address_comes_from_x_forwarded_for(settings) -> None:
    from django.test import RequestFactory

    from marisa_site.login_throttle import client_ip

    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5")
    settings.MARISA_LOGIN_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.1"  # no proxy configured: a client-sent header is ignored
    settings.MARISA_LOGIN_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.5"  # what our one proxy saw, not what the client wrote
    settings.MARISA_LOGIN_PROXY_COUNT = 3
    assert client_ip(request) == "10.0.0.1"  # fewer hops than proxies: not trusted
