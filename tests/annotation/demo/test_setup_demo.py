"""setup_demo: everything the demo needs, and a second run changes nothing."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from annotation.corpus.models import Character, Conversation, Line, Source
from annotation.review.models import Question, QuestionSet

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_dir(settings, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


def run_demo() -> tuple[list[str], dict]:
    out = StringIO()
    call_command("setup_demo", stdout=out)
    text_lines = out.getvalue().splitlines()
    out = StringIO()
    call_command("setup_demo", "--json", stdout=out)
    return text_lines, json.loads(out.getvalue().strip().splitlines()[-1])


def counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "characters": Character.objects.count(),
        "sources": Source.objects.count(),
        "conversations": Conversation.objects.count(),
        "lines": Line.objects.count(),
        "question_sets": QuestionSet.objects.count(),
        "questions": Question.objects.count(),
    }


def printed_password(lines: list[str], role: str) -> str:
    line = next(line.strip() for line in lines if line.strip().startswith(f"{role}: "))
    return line.split(" / ", 1)[1]


def test_setup_demo_loads_data_and_accounts(data_dir: Path) -> None:
    lines, summary = run_demo()
    assert Character.default().prompt_name == "魔理沙"
    source = Source.objects.get()
    assert summary["corpus"]["source_id"] == source.pk
    # One conversation per scene: the stage directions inside a scene are pauses, not scene changes.
    assert Conversation.objects.filter(source=source).count() == 14
    assert Line.objects.filter(conversation__source=source).count() >= 300
    assert Line.objects.filter(speaker="魔理沙").count() >= 100
    assert QuestionSet.objects.get(name="demo").questions.count() == 100

    reviewer = get_user_model().objects.get(username="reviewer")
    admin = get_user_model().objects.get(username="admin")
    assert reviewer.groups.filter(name="Reviewers").exists()
    assert admin.is_superuser and not reviewer.is_superuser
    password = printed_password(lines, "reviewer")
    assert Client().login(username="reviewer", password=password)
    assert Client().login(username="admin", password=printed_password(lines, "admin"))
    creds = (data_dir / "demo_credentials.txt").read_text(encoding="utf-8")
    assert f"reviewer: reviewer / {password}" in creds


def test_second_run_adds_nothing_and_keeps_passwords(data_dir: Path) -> None:
    first_lines, _ = run_demo()
    before = counts()
    creds = (data_dir / "demo_credentials.txt").read_text(encoding="utf-8")
    second_lines, summary = run_demo()
    assert counts() == before
    assert (data_dir / "demo_credentials.txt").read_text(encoding="utf-8") == creds
    for role in ("admin", "reviewer"):
        assert printed_password(second_lines, role) == printed_password(first_lines, role)
    assert summary["corpus"]["status"] == "already loaded"
    assert summary["questions"]["created"] == 0
    assert summary["created"] == []
    assert Client().login(username="reviewer", password=printed_password(second_lines, "reviewer"))


def test_existing_data_and_changed_passwords_are_kept(data_dir: Path) -> None:
    run_demo()
    reviewer = get_user_model().objects.get(username="reviewer")
    reviewer.set_password("my-own-secret-1")
    reviewer.save()
    extra = QuestionSet.objects.get(name="demo").questions.create(text="自分で足した質問", position=999)
    lines, summary = run_demo()
    assert Client().login(username="reviewer", password="my-own-secret-1")
    assert Question.objects.filter(pk=extra.pk).exists()
    account = next(a for a in summary["accounts"] if a["role"] == "reviewer")
    assert account["password"] is None and "changed" in account["status"]


def test_lost_database_recreates_accounts_with_the_stored_passwords(data_dir: Path) -> None:
    lines, _ = run_demo()
    get_user_model().objects.filter(username="reviewer").delete()
    again, _ = run_demo()
    assert printed_password(again, "reviewer") == printed_password(lines, "reviewer")
    assert Client().login(username="reviewer", password=printed_password(lines, "reviewer"))


@pytest.mark.postgres
@pytest.mark.slow
def test_setup_demo_command_twice_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    """What `make up` runs, as separate processes against PostgreSQL: the second run adds nothing."""
    from tests import servers

    env = servers.django_env(postgres_url, "redis://127.0.0.1:1/0", MARISA_DATA_DIR=str(tmp_path))
    servers.manage(env, "migrate", "-v0")
    first = servers.manage(env, "setup_demo", "--json")
    second = servers.manage(env, "setup_demo", "--json")
    one, two = (json.loads(run.stdout.strip().splitlines()[-1]) for run in (first, second))
    assert one["corpus"]["status"] == "imported" and one["corpus"]["lines"] == two["corpus"]["lines"] >= 300
    assert two["corpus"]["status"] == "already loaded"
    assert (one["questions"]["created"], two["questions"]["created"]) == (100, 0)
    assert two["questions"]["total"] == 100
    assert [a["password"] for a in one["accounts"]] == [a["password"] for a in two["accounts"]]
    assert all(a["password"] for a in two["accounts"])
    failed = servers.manage(env, "import_questions", str(tmp_path / "missing.txt"), check=False)
    assert failed.returncode != 0 and "no such file" in failed.stderr
