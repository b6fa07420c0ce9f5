"""The arena page in Debian's chromium (Playwright) against a live server.

A reviewer votes with the keys and the vote is stored; two browsers never get the same match; keys the
IME is converting (Enter confirming a conversion, letters typed in hiragana mode) never vote.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotation.review.arena_models import ArenaMatch
from tests.factories import make_arena_matches, make_reviewer, password_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_arena(browser, live_server, username: str):
    context = browser.new_context(locale="en-US")  # English UI asserted (ja: tests/site/test_i18n_browser.py)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/?next=/arena/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password_for(username))
    page.click("button[type=submit]")
    page.wait_for_selector("#match:not([hidden])")
    return page


def match_id(page) -> int:
    return int(page.text_content("#match-id"))


def dispatch(page, target: str, init: str) -> None:
    page.evaluate(
        f"{target}.dispatchEvent(new KeyboardEvent('keydown', "
        f"Object.assign({init}, {{bubbles: true, cancelable: true}})))"
    )


def test_reviewer_votes_with_the_keys_and_the_votes_are_stored(browser, live_server) -> None:
    first, second, third = make_arena_matches(3)
    make_reviewer("alice")
    page = open_arena(browser, live_server, "alice")
    assert match_id(page) == first.pk
    assert page.text_content("#question") == "アリーナ質問0"
    assert "また来たの？" in page.text_content("#context")
    assert page.text_content("#reply-a") == first.reply_a and page.text_content("#reply-b") == first.reply_b
    assert "v1" not in page.content() and "v2" not in page.content()  # blind: no version on the page

    page.keyboard.press("b")
    expect(page.locator("#match-id")).to_have_text(str(second.pk))
    assert "B is better" in page.text_content("#flash")
    page.keyboard.press("w")  # write a note, leave it with Enter, then vote "both bad"
    page.keyboard.type("どっちも敬語")
    page.keyboard.press("Enter")
    page.keyboard.press("x")
    expect(page.locator("#match-id")).to_have_text(str(third.pk))
    page.keyboard.press("3")
    page.wait_for_selector("#empty:not([hidden])")
    votes = ArenaMatch.objects.order_by("id").values_list("outcome", "note", "voted_by__username")
    assert list(votes) == [("b", "", "alice"), ("both_bad", "どっちも敬語", "alice"), ("tie", "", "alice")]
    expect(page.locator("#voted-today")).to_have_text("3")
    expect(page.locator("#remaining")).to_have_text("0")


def test_keys_the_ime_is_converting_never_vote(browser, live_server) -> None:
    first, _ = make_arena_matches(2)
    make_reviewer("alice")
    page = open_arena(browser, live_server, "alice")
    page.keyboard.press("w")
    page.keyboard.type("まりさ")
    note = "document.getElementById('note')"
    for init in (
        "{key: 'Enter', code: 'Enter', isComposing: true}",
        "{key: 'Enter', code: 'Enter', keyCode: 229}",
    ):
        dispatch(page, note, init)
    # The composing Enter confirmed a conversion: the note keeps the focus, so letters still type.
    assert page.evaluate("document.activeElement.id") == "note"
    dispatch(page, "document.body", "{key: 'a', code: 'KeyA', isComposing: true}")  # hiragana mode あ
    dispatch(page, "document.body", "{key: 'Process', code: 'KeyB', keyCode: 229}")
    dispatch(page, note, "{key: 'a', code: 'KeyA', altKey: true, isComposing: true}")
    page.wait_for_load_state("networkidle")  # a vote would have sent a request at once
    assert not ArenaMatch.objects.filter(status="voted").exists()
    assert match_id(page) == first.pk and page.input_value("#note") == "まりさ"
    # The same Enter without composition leaves the note, and then A does vote (so the checks above can fail).
    page.keyboard.press("Enter")
    page.keyboard.press("a")
    expect(page.locator("#match-id")).not_to_have_text(str(first.pk))
    assert list(ArenaMatch.objects.filter(status="voted").values_list("pk", "outcome", "note")) == [
        (first.pk, "a", "まりさ")
    ]


def test_two_browsers_never_get_the_same_match(browser, live_server) -> None:
    make_arena_matches(3)
    make_reviewer("alice")
    make_reviewer("bob")
    a = open_arena(browser, live_server, "alice")
    b = open_arena(browser, live_server, "bob")
    assert match_id(a) != match_id(b)
    held = ArenaMatch.objects.filter(lease_owner__isnull=False).values_list("pk", "lease_owner__username")
    assert sorted(held) == sorted([(match_id(a), "alice"), (match_id(b), "bob")])
