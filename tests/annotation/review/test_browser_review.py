"""The review queue in Debian's chromium (Playwright) against a live server.

A reviewer logs in, claims, edits, sees the diff, accepts by keyboard, undoes; two browsers never
get the same item; Enter during IME composition never submits; a stale submit shows the conflict.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotation.review.models import Candidate, ReviewAction
from tests.factories import make_candidates, make_reviewer, password_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_review(browser, live_server, username: str):
    context = browser.new_context(locale="en-US")  # English UI asserted (ja: tests/site/test_i18n_browser.py)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/?next=/corpus/review/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password_for(username))
    page.click("button[type=submit]")
    page.wait_for_selector("#item:not([hidden])")
    return page


def item_id(page) -> int:
    return int(page.text_content("#item-id"))


def test_reviewer_edits_sees_diff_accepts_by_keyboard_and_undoes(browser, live_server) -> None:
    first, second = make_candidates(2)
    make_reviewer("alice")
    page = open_review(browser, live_server, "alice")
    assert item_id(page) == first.pk
    assert page.input_value("#editor") == "キノコだぜ0"
    assert "質問0" in page.text_content("#question")
    assert "一人称は「私」" in page.text_content("#guidelines")
    assert "Accept" in page.text_content("#accept-btn") and "with edits" not in page.text_content(
        "#accept-btn"
    )

    page.fill("#editor", "キノコ鍋だぜ0")
    assert page.text_content("#diff ins") == "鍋"
    assert "Accept with edits" in page.text_content("#accept-btn")
    page.focus("#editor")
    page.keyboard.press("Enter")
    expect(page.locator("#item-id")).to_have_text(str(second.pk), timeout=15000)
    got = Candidate.objects.get(pk=first.pk)
    assert (got.status, got.final_text) == ("edited", "キノコ鍋だぜ0")
    assert "accepted with edits" in page.text_content("#flash")

    page.keyboard.press("Escape")  # leave the editor: Ctrl+Z outside it undoes the submit
    page.keyboard.press("Control+z")
    expect(page.locator("#item-id")).to_have_text(str(first.pk), timeout=15000)
    assert page.input_value("#editor") == "キノコ鍋だぜ0"  # the reviewer's own text comes back
    got = Candidate.objects.get(pk=first.pk)
    assert (got.status, got.final_text, got.lease_owner.username) == ("pending", "", "alice")
    assert "undo" in page.text_content("#history")
    assert list(ReviewAction.objects.order_by("id").values_list("action", flat=True)) == ["edit", "undo"]


def test_two_browsers_never_get_the_same_item(browser, live_server) -> None:
    make_candidates(3)
    make_reviewer("alice")
    make_reviewer("bob")
    a = open_review(browser, live_server, "alice")
    b = open_review(browser, live_server, "bob")
    assert item_id(a) != item_id(b)
    held = Candidate.objects.filter(lease_owner__isnull=False).values_list("pk", "lease_owner__username")
    assert sorted(held) == sorted([(item_id(a), "alice"), (item_id(b), "bob")])


def test_enter_during_ime_composition_never_submits(browser, live_server) -> None:
    first, _ = make_candidates(2)
    make_reviewer("alice")
    page = open_review(browser, live_server, "alice")
    page.fill("#editor", "まりさだぜ")
    for init in (
        "{key: 'Enter', code: 'Enter', isComposing: true}",
        "{key: 'Enter', code: 'Enter', keyCode: 229}",
    ):
        page.evaluate(
            f"document.getElementById('editor').dispatchEvent("
            f"new KeyboardEvent('keydown', Object.assign({init}, {{bubbles: true, cancelable: true}})))"
        )
    # A submit would have started a request at once: let the network settle, then look.
    page.wait_for_load_state("networkidle")
    assert not ReviewAction.objects.exists()
    assert item_id(page) == first.pk and page.input_value("#editor") == "まりさだぜ"
    # The same Enter without composition does submit (so the check above can fail).
    page.focus("#editor")
    page.keyboard.press("Enter")
    page.wait_for_selector("#flash:not([hidden])")
    expect(page.locator("#item-id")).not_to_have_text(str(first.pk), timeout=15000)
    assert list(ReviewAction.objects.values_list("candidate_id", "action")) == [(first.pk, "edit")]


def test_stale_submit_shows_the_conflict_with_the_current_text(browser, live_server) -> None:
    (cand,) = make_candidates(1)
    make_reviewer("alice")
    one = open_review(browser, live_server, "alice")
    two = one.context.new_page()  # the same reviewer in a second tab gets the same leased item
    two.goto(f"{live_server.url}/corpus/review/")
    two.wait_for_selector("#item:not([hidden])")
    assert item_id(two) == item_id(one) == cand.pk
    two.fill("#editor", "二つ目のタブで直したぜ")
    two.click("#accept-btn")
    two.wait_for_selector("#empty:not([hidden])")

    one.fill("#editor", "一つ目のタブの古い版")
    one.click("#accept-btn")
    one.wait_for_selector("#conflict:not([hidden])")
    assert one.text_content("#conflict-text") == "二つ目のタブで直したぜ"
    assert "already decided" in one.text_content("#conflict-detail")
    assert Candidate.objects.get(pk=cand.pk).final_text == "二つ目のタブで直したぜ"
