"""create_reviewer: a user in the Reviewers group, a printed password that works, an API token."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command("create_reviewer", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def password_from(lines: list[str]) -> str:
    return next(line.split(": ", 1)[1] for line in lines if line.startswith("password: "))


def test_generated_password_is_printed_and_logs_in() -> None:
    lines = run("kana")
    user = get_user_model().objects.get(username="kana")
    assert user.groups.filter(name="Reviewers").exists()
    assert not user.is_superuser
    assert Client().login(username="kana", password=password_from(lines))


def test_token_is_the_last_line_and_authenticates_api_requests() -> None:
    lines = run("yuki", "--password", "mushroom-42", "--token")
    token = lines[-1]
    client = Client()
    assert client.get("/api/review/progress/").status_code in (401, 403)
    response = client.get("/api/review/progress/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert "remaining" in response.json()
    # Running it again updates the same user and keeps the same token.
    again = run("yuki", "--password", "another-pass-9", "--token")
    assert again[-1] == token
    assert Client().login(username="yuki", password="another-pass-9")
    assert get_user_model().objects.filter(username="yuki").count() == 1


def test_existing_user_is_added_to_reviewers() -> None:
    make_user("old")
    lines = run("old", "--password", "fresh-pass-123")
    assert lines[0].startswith("Updated reviewer")
    assert get_user_model().objects.get(username="old").groups.filter(name="Reviewers").exists()


def test_bad_name_or_short_password_is_refused() -> None:
    with pytest.raises(CommandError, match="invalid user name"):
        run("no spaces allowed")
    with pytest.raises(CommandError, match="--password refused"):
        run("shorty", "--password", "abc")
    assert not get_user_model().objects.filter(username__in=["shorty", "no spaces allowed"]).exists()
