"""The UI in Debian's chromium: a ja-JP browser reads the review queue, the training pages and the LINE simulator
in Japanese, with no English string of the catalogue left on them (the scripts' strings included); an en-US
browser reads English; the language chosen in the top bar sticks across pages."""

from __future__ import annotations

import re

import polib
import pytest
from django.utils import timezone

from tests.factories import (
    make_candidates,
    make_generation_job,
    make_job,
    make_source,
    make_user,
    make_version,
    password_for,
)
from tests.servers import REPO
from training.jobs.models import Job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCALE = REPO / "locale" / "ja" / "LC_MESSAGES"
# Each page, and what shows that its scripts have run (the review queue has claimed an item, and so on).
PAGES = {
    "/corpus/review/": "#item:not([hidden]) #history li",
    "/corpus/review/dashboard/": "#rounds",
    "/arena/": "#empty:not([hidden]), #match:not([hidden])",
    "/training/": "#job-tables",
    "/training/new/": "form.launch-form",
    "/training/versions/": "section.version",
    "/training/compare/": "#scores",
    "/training/playground/": "#playground-form",
    "/line/simulator/": "#line-form",
}
# English words that are data here, not UI: the candidates' model name and the demo base model's name.
DATA_WORDS = {"demo"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|\{\w+\}|%%|<[^>]+>")
CODE = re.compile(r"<(code|kbd)>.*?</\1>")  # commands and key caps stay as they are in both languages
# What a person reads: text (not code, paths or key caps) and the attributes shown as text.
VISIBLE_TEXT = """() => {
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll("code, pre, kbd, script, style, #language-form").forEach((e) => e.remove());
  const shown = [document.title, copy.textContent];
  for (const e of copy.querySelectorAll("[placeholder], [title], [aria-label]"))
    shown.push(e.getAttribute("placeholder") || "", e.getAttribute("title") || "", e.getAttribute("aria-label") || "");
  return shown.join("\\n");
}"""


def english_fragments() -> set[str]:
    """The catalogue's English, cut at placeholders and markup: the pieces a Japanese page must not show."""
    pieces: set[str] = set()
    for domain in ("django", "djangojs"):
        for entry in polib.pofile(str(LOCALE / f"{domain}.po")):
            if (entry.msgstr or entry.msgstr_plural.get(0)) == entry.msgid:
                continue  # the same in both languages (a name, a code)
            for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
                for piece in PLACEHOLDER.split(CODE.sub("<code>", msgid)):
                    piece = piece.strip(" ·:;,.()#—–-\n")
                    if len(piece) >= 4 and re.search("[A-Za-z]{3}", piece) and piece not in DATA_WORDS:
                        pieces.add(piece)
    return pieces


def english_left(text: str, fragments: set[str]) -> list[str]:
    return sorted(f for f in fragments if re.search(rf"(?<![A-Za-z]){re.escape(f)}(?![A-Za-z])", text))


@pytest.fixture
def site(db) -> None:
    """A superuser and something on every page: a running job, a version with figures, candidates."""
    make_user("root", "superuser")
    make_source()
    job = make_job(status=Job.Status.RUNNING, step=2, total_steps=10, heartbeat_at=timezone.now())
    failed = make_job(job.snapshot, status=Job.Status.FAILED, error="boom", traceback="Traceback: boom")
    version = make_version(failed)
    make_generation_job(version)
    make_candidates(2)


def logged_in(browser, live_server, locale: str):
    context = browser.new_context(locale=locale)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", password_for("root"))
    page.click("button[type=submit]")
    page.wait_for_selector("header nav")
    return page


def open_page(page, url: str, path: str) -> str:
    page.goto(f"{url}{path}")
    page.wait_for_selector(PAGES[path], state="attached")
    page.wait_for_load_state("load")
    return page.evaluate(VISIBLE_TEXT)


def test_a_japanese_browser_sees_no_english_ui_string(browser, live_server, site) -> None:
    fragments = english_fragments()
    assert {"Review queue", "Accept", "no actions yet", "Training jobs", "Sampling settings"} <= fragments
    page = logged_in(browser, live_server, "ja-JP")
    left = {}
    for path in PAGES:
        text = open_page(page, live_server.url, path)
        assert page.get_attribute("html", "lang") == "ja", path
        if found := english_left(text, fragments):
            left[path] = found
    assert left == {}, "English left on Japanese pages (translate them in locale/ja)"
    page.goto(f"{live_server.url}/corpus/review/")
    page.wait_for_selector("#item:not([hidden])")
    assert page.text_content("#accept-btn").startswith("採用")
    assert "確保 残り" in page.text_content("#lease")  # review.js speaks Japanese too
    page.context.close()


def test_an_english_browser_sees_english(browser, live_server, site) -> None:
    page = logged_in(browser, live_server, "en-US")
    texts = {path: open_page(page, live_server.url, path) for path in PAGES}
    assert page.get_attribute("html", "lang") == "en"
    assert "Review queue" in texts["/corpus/review/"] and "no actions yet" in texts["/corpus/review/"]
    assert "Training jobs" in texts["/training/"] and "running" in texts["/training/"]
    assert "Talk to Marisa" in texts["/line/simulator/"]
    assert "レビューキュー" not in texts["/corpus/review/"] and "学習ジョブ" not in texts["/training/"]
    page.context.close()


def test_the_language_chosen_in_the_top_bar_sticks_across_pages(browser, live_server, site) -> None:
    page = logged_in(browser, live_server, "en-US")
    page.goto(f"{live_server.url}/training/")
    with page.expect_navigation():
        page.click("#language-form button[value=ja]")
    assert page.url.endswith("/training/")  # back on the same page, now in Japanese
    assert page.get_attribute("html", "lang") == "ja" and "学習ジョブ" in page.text_content("main")
    for path in ("/corpus/review/", "/line/simulator/"):
        open_page(page, live_server.url, path)
        assert page.get_attribute("html", "lang") == "ja", path
    again = page.context.new_page()  # the choice is the language cookie: a new tab keeps it
    again.goto(f"{live_server.url}/training/versions/")
    assert again.get_attribute("html", "lang") == "ja"
    with again.expect_navigation():
        again.click("#language-form button[value=en]")
    open_page(again, live_server.url, "/training/")
    assert again.get_attribute("html", "lang") == "en" and "Training jobs" in again.text_content("main")
    page.context.close()
