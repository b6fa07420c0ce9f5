"""The arena's pages: the voting page and the ratings page for reviewers, the fill action for staff."""

from __future__ import annotations

import pytest
from django.test import Client

from annotation.review import arena_queue
from tests.factories import client_for, make_arena_matches, make_reviewer, make_staff, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/arena/", "/arena/ratings/"])
def test_arena_pages_are_for_reviewers(path: str) -> None:
    assert Client().get(path).status_code == 302  # to the login page
    refused = client_for(make_user("nobody")).get(path)
    assert refused.status_code == 403 and "reviewer role" in refused.content.decode()
    assert client_for(make_reviewer("rev")).get(path).status_code == 200


def test_the_voting_page_names_no_version_and_links_from_the_nav() -> None:
    from tests.factories import make_version

    # Names no random token can contain by chance (the page carries a CSRF token).
    make_arena_matches(2, make_version(name="版・甲"), make_version(name="版・乙"))
    page = client_for(make_reviewer("rev")).get("/arena/").content.decode()
    assert 'href="/arena/"' in page and "js/arena.js" in page
    assert "版・甲" not in page and "版・乙" not in page


def test_the_ratings_page_shows_ratings_the_head_to_head_and_what_the_export_takes() -> None:
    matches = make_arena_matches(4)
    alice = make_reviewer("alice")
    for match, outcome in zip(matches, ["a", "a", "b", "both_bad"], strict=True):
        arena_queue.vote(match.pk, alice, outcome)
    page = client_for(alice).get("/arena/ratings/").content.decode()
    v1, v2 = matches[0].version_a, matches[0].version_b
    assert f"v1 (#{v1.pk}) beats v2 (#{v2.pk}): win rate 62% [" in page and "4 votes" in page
    assert "takes 3 arena votes as preference pairs" in page and "0 ties and 1" in page
    assert 'id="fill"' not in page  # the fill form is for staff


def test_only_staff_fill_and_an_unreachable_broker_is_said(settings) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    matches = make_arena_matches(1)
    v1, v2 = matches[0].version_a, matches[0].version_b
    form = {"version_a": v1.pk, "version_b": v2.pk, "question_set": matches[0].question.question_set_id}
    assert client_for(make_reviewer("rev")).post("/arena/fill/", form).status_code == 403
    staff = client_for(make_staff("boss"))
    assert 'id="fill"' in staff.get("/arena/ratings/").content.decode()
    page = staff.post("/arena/fill/", form, follow=True).content.decode()
    assert "no answer from the broker" in page and "nothing was queued" in page
