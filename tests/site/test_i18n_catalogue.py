"""The Japanese catalogue is complete, compiled and shipped; the language follows the browser, with English
for a browser that asks for none, and MARISA_LANGUAGE sets the default (an unsupported one stops the start)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import polib
import pytest
from django.utils import translation

from marisa_site.formats import time_label
from tests.factories import client_for, make_user
from tests.servers import REPO

LOCALE = REPO / "locale" / "ja" / "LC_MESSAGES"
# What makemessages reads: the code and the templates (never the data, the tests or the virtualenvs).
SOURCES = ["annotation", "training", "line_bot", "marisa_site", "templates", "static", "manage.py"]
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.txt", "*.tsv", "*.css")
MAKEMESSAGES = ["makemessages", "-l", "ja", "--no-obsolete", "--ignore=var", "--ignore=tests"]


def unfinished(po: polib.POFile) -> list[str]:
    """Messages without a Japanese translation, or marked fuzzy (msgmerge's guess for a changed string)."""
    return [e.msgid for e in po if not e.translated() or "fuzzy" in e.flags]


def run_makemessages(tree: Path, *extra: str) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "marisa_site.test_settings"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", *MAKEMESSAGES, *extra],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def remade(tmp_path_factory) -> Path:
    """makemessages run on a copy of the sources and the catalogue, so the checkout stays as it is."""
    if not (shutil.which("xgettext") and shutil.which("msgmerge")):
        pytest.skip("GNU gettext is not installed (apt-get install gettext; .ci/run does it)")
    tree = tmp_path_factory.mktemp("i18n")
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, tree / name, ignore=IGNORED)
        else:
            shutil.copy2(source, tree / name)
    shutil.copytree(REPO / "locale", tree / "locale")
    run_makemessages(tree)
    run_makemessages(tree, "-d", "djangojs")
    return tree / "locale" / "ja" / "LC_MESSAGES"


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_makemessages_leaves_no_untranslated_or_fuzzy_message(remade: Path, domain: str) -> None:
    po = polib.pofile(str(remade / f"{domain}.po"))
    assert unfinished(po) == [], f"translate these in locale/ja/LC_MESSAGES/{domain}.po"
    shipped = {e.msgid for e in polib.pofile(str(LOCALE / f"{domain}.po"))}
    assert {e.msgid for e in po} == shipped, "run makemessages -l ja (see docs/operations.md)"


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_the_compiled_catalogue_ships_and_matches_its_source(domain: str) -> None:
    po = polib.pofile(str(LOCALE / f"{domain}.po"))
    mo = polib.mofile(str(LOCALE / f"{domain}.mo"))
    assert unfinished(po) == []
    compiled = {(e.msgid, e.msgstr or e.msgstr_plural.get(0, "")) for e in mo if e.msgid}
    source = {(e.msgid, e.msgstr or e.msgstr_plural.get(0, "")) for e in po}
    assert compiled == source, "run manage.py compilemessages -l ja --ignore=.venv --ignore=var"


def test_reviewer_terms_are_the_ones_reviewers_use() -> None:
    with translation.override("ja"):
        terms = [
            translation.gettext(word) for word in ("Accept", "Reject", "Skip", "Question set", "Snapshot")
        ]
    assert terms == ["採用", "却下", "スキップ", "質問セット", "スナップショット"]


@pytest.mark.django_db
def test_the_page_follows_the_browsers_language_and_english_without_one() -> None:
    client = client_for(make_user("rev", "reviewer"))
    english = client.get("/corpus/review/").content.decode()
    assert '<html lang="en"' in english and "Review queue" in english
    japanese = client.get("/corpus/review/", HTTP_ACCEPT_LANGUAGE="ja-JP,ja;q=0.9").content.decode()
    assert '<html lang="ja"' in japanese and "レビューキュー" in japanese and "Review queue" not in japanese
    catalogue = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "\\u4fee\\u6b63\\u3057\\u3066\\u63a1\\u7528" in catalogue  # 修正して採用, for review.js


@pytest.mark.django_db
def test_the_refusal_is_one_sentence_in_the_readers_language() -> None:
    client = client_for(make_user("nobody"))
    page = client.get("/training/new/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "学習ジョブの起動にはスタッフ権限が必要です" in page
    api = client.post("/api/snapshots/", HTTP_ACCEPT_LANGUAGE="ja")
    assert api.status_code == 403 and "データの変更にはスタッフ権限が必要です" in api.json()["detail"]


def test_times_keep_their_zone_label_and_follow_the_language() -> None:
    when = datetime(2026, 12, 1, 13, 5, tzinfo=UTC)
    with translation.override("ja"):
        assert time_label(when) == "2026年12月1日 22:05 JST"
    with translation.override("en"):
        assert time_label(when) == "2026-12-01 22:05 JST"


def settings_value(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    full = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    full.update({"DJANGO_SETTINGS_MODULE": "marisa_site.settings", "DJANGO_DEBUG": "1", **env})
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=full, capture_output=True, text=True)


def test_marisa_language_sets_the_default_and_a_typo_stops_the_start() -> None:
    assert settings_value({}, "settings.LANGUAGE_CODE").stdout.strip() == "en"
    assert settings_value({"MARISA_LANGUAGE": "JA"}, "settings.LANGUAGE_CODE").stdout.strip() == "ja"
    refused = settings_value({"MARISA_LANGUAGE": "fr"}, "settings.LANGUAGE_CODE")
    assert refused.returncode != 0
    assert "MARISA_LANGUAGE='fr' is not supported: use one of ['en', 'ja']" in refused.stderr
