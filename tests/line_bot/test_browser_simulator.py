"""The simulator page in Debian's chromium: chat as a LINE user, see the worker's answer arrive."""

from __future__ import annotations

import pytest

from line_bot.models import Message

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_chat_in_the_simulator_gets_the_bots_answer(
    browser, live_server, line_settings, line_standin, line_worker, django_user_model
):
    line_settings.ALLOWED_HOSTS = ["*"]
    django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-boss-123")
    page = browser.new_context(locale="en-US").new_page()  # English UI (ja: test_i18n_browser.py)
    page.set_default_timeout(20000)
    page.goto(f"{live_server.url}/accounts/login/?next=/line/simulator/")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", "pw-boss-123")
    page.click("button[type=submit]")
    page.wait_for_selector("#line-text")

    # Enter that confirms an IME conversion must not send anything.
    page.fill("#line-text", "まりさ")
    page.evaluate(
        """() => document.getElementById('line-text').dispatchEvent(
             new KeyboardEvent('keydown', {key: 'Enter', isComposing: true, bubbles: true, cancelable: true}))"""
    )
    page.wait_for_timeout(500)
    assert not Message.objects.exists()

    page.fill("#line-text", "魔法って何？")
    page.press("#line-text", "Enter")
    page.wait_for_selector(".bubble.in:has-text('魔法って何？')")
    answer = page.wait_for_selector(".bubble.out:has-text('reply token (free)')", timeout=120000)
    sent = Message.objects.get(direction="out")
    assert sent.text and sent.text in answer.inner_text()
    assert line_standin.recorded("/v2/bot/message/reply")[0]["body"]["messages"][0]["text"] == sent.text

    page.click("button[data-text='残り']")
    page.wait_for_selector(".bubble.out:has-text('あと')", timeout=60000)
    assert page.inner_text("#line-error") == ""
