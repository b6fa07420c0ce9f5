"""The upload page in Debian's chromium (Playwright): progress, then the result or the error."""

from __future__ import annotations

import pytest

from annotation.corpus.models import Line, Source
from tests.factories import make_user, password_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCRIPT = "魔理沙「よう、霊夢」\n霊夢「何よ」\nまりさ「借りていくぜ」\n"


@pytest.fixture
def upload_page(browser, live_server):
    make_user("importer", "staff")  # importing is for staff
    page = browser.new_context(locale="en-US").new_page()  # English UI (ja: test_i18n_browser.py)
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/?next=/corpus/import/")
    page.fill("input[name=username]", "importer")
    page.fill("input[name=password]", password_for("importer"))
    page.click("button[type=submit]")
    page.wait_for_selector("#upload-form")
    return page


def test_upload_shows_the_result_then_the_highlighted_lines(upload_page, tmp_path):
    path = tmp_path / "朝の神社.txt"
    path.write_bytes(SCRIPT.encode("cp932"))
    upload_page.set_input_files("input[name=file]", str(path))
    upload_page.click("#upload-form button[type=submit]")
    upload_page.wait_for_selector("#upload-result:not([hidden])")
    summary = upload_page.text_content("#upload-result")
    assert "3 lines" in summary and "朝の神社" in summary and "cp932" in summary
    assert upload_page.is_hidden("#upload-error")
    upload_page.click("#upload-result a")
    upload_page.wait_for_selector(".dialogue .line.character")
    assert upload_page.locator(".dialogue .line.character").count() == 2
    assert Source.objects.get().line_count == 3


def test_upload_error_is_shown_and_nothing_is_saved(upload_page, tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    upload_page.set_input_files("input[name=file]", str(path))
    upload_page.click("#upload-form button[type=submit]")
    upload_page.wait_for_selector("#upload-error:not([hidden])")
    assert "the file is empty" in upload_page.text_content("#upload-error")
    assert upload_page.is_enabled("#upload-form button[type=submit]")
    assert Source.objects.count() == Line.objects.count() == 0
