"""`manage.py import_dialogue`: the summary, --json as the last line, a one-line failure."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from annotation.corpus.models import Source

pytestmark = pytest.mark.django_db


def _run(*args: str) -> list[str]:
    out = StringIO()
    call_command("import_dialogue", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip().splitlines()


def test_json_output_is_the_last_line(corpora):
    lines = _run(str(corpora / "aozora" / "kishida_kamifusen.txt"), "--json", "--title", "紙風船")
    result = json.loads(lines[-1])
    assert result["title"] == "紙風船"
    assert result["encoding"] == "cp932"
    assert result["conversations"] >= 1
    assert result["lines"] == sum(result["speakers"].values()) + result["unknown_speaker_lines"]
    assert set(result["speakers"]) == {"夫", "妻"}
    assert result["source_id"] == Source.objects.get().pk


def test_plain_output_summarises(tmp_path):
    path = tmp_path / "scene.txt"
    path.write_text("魔理沙「よう」\n霊夢「何よ」\n", "utf-8")
    lines = _run(str(path), "--format", "script")
    assert "2 lines" in lines[0]
    assert "魔理沙 1" in lines[-1]


def test_failure_is_a_command_error_with_one_line(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(CommandError) as info:
        _run(str(path))
    assert str(info.value) == "import failed: the file is empty"
    assert Source.objects.count() == 0


def test_import_on_postgresql_and_exit_status_on_failure(postgres_url, tmp_path, corpora):
    """The raw multi-row INSERT path (RETURNING ids) on PostgreSQL, through the real command line."""
    from tests import servers

    env = servers.django_env(postgres_url, "redis://127.0.0.1:1/0", MARISA_DATA_DIR=str(tmp_path))
    servers.manage(env, "migrate", "-v0")
    done = servers.manage(env, "import_dialogue", str(corpora / "aozora" / "botchan.txt"), "--json")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert (result["lines"], result["title"]) == (340, "坊っちゃん")
    again = servers.manage(env, "import_dialogue", str(corpora / "aozora" / "botchan.txt"), check=False)
    assert again.returncode != 0
    assert "already imported as 「坊っちゃん」" in again.stderr.strip().splitlines()[-1]
