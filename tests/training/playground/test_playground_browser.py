"""The playground in Debian's chromium: Enter sends (never the Enter that confirms an IME conversion), and the
worker's reply replaces "thinking" without a reload."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import make_character, make_reviewer, password_for
from training.playground.models import PlaygroundTurn

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_enter_sends_ime_enter_does_not_and_the_reply_arrives(
    browser, live_server, settings, worker_env: dict[str, str], demo_model_dir: Path
) -> None:
    from tests import servers

    settings.MARISA_BASE_MODEL = ""
    make_character()
    make_reviewer("rev")
    env = {**worker_env, "MARISA_DEMO_MODEL_DIR": str(demo_model_dir), "MARISA_BASE_MODEL": ""}
    worker = servers.start_celery_worker(env, queues="default")
    try:
        page = browser.new_context(locale="en-US").new_page()  # English UI (ja: test_i18n_browser.py)
        page.set_default_timeout(20000)
        page.goto(f"{live_server.url}/accounts/login/?next=/training/playground/")
        page.fill("input[name=username]", "rev")
        page.fill("input[name=password]", password_for("rev"))
        page.click("button[type=submit]")
        box = "#playground-form textarea[name=message]"
        page.wait_for_selector(box)

        page.fill(box, "まほう")
        page.evaluate(
            """() => document.querySelector('#playground-form textarea').dispatchEvent(
                 new KeyboardEvent('keydown', {key: 'Enter', isComposing: true, bubbles: true, cancelable: true}))"""
        )
        page.wait_for_timeout(500)
        assert not PlaygroundTurn.objects.exists()

        page.fill(box, "魔法って何？")
        page.press(box, "Shift+Enter")  # a new line, not a send
        assert not PlaygroundTurn.objects.exists()
        page.press(box, "Enter")
        page.wait_for_selector(".exchange .user-message:has-text('魔法って何？')")
        expect(page.locator(box)).to_have_value("")
        expect(page.locator(".exchange .turn.done")).to_have_count(1, timeout=120000)
        turn = PlaygroundTurn.objects.get()
        assert turn.status == PlaygroundTurn.Status.DONE and turn.version is None
        assert (turn.reply or "(empty reply)") in page.inner_text(".exchange .turn.done .reply")
    finally:
        worker.stop()
