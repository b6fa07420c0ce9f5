"""Filling the arena with the real tiny demo model: `arena_fill` here, and the staff button on a real worker."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotation.review.arena_models import ArenaMatch
from tests import servers
from tests.factories import client_for, make_character, make_questions, make_staff, make_version

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
QUESTIONS = ("好きなものは？", "今日は何をする？", "霊夢をどう思う？", "魔法は得意？")


def two_versions(demo_model_dir: Path):
    # The bare demo base model (no adapter) stands in for trained versions: the same code path, faster.
    make_character()
    return (
        make_version(name="round-1", base_model=str(demo_model_dir), adapter_dir=""),
        make_version(name="round-2", base_model=str(demo_model_dir), adapter_dir=""),
    )


def test_arena_fill_makes_one_blind_match_per_question_with_different_replies(
    demo_model_dir: Path, one_torch_thread: None
) -> None:
    one, two = two_versions(demo_model_dir)
    make_questions("arena", QUESTIONS)
    out = StringIO()
    call_command(
        "arena_fill",
        "--versions",
        str(one.pk),
        "round-2",
        "--questions",
        "3",
        "--question-set",
        "arena",
        "--temperature",
        "1.0",
        "--max-new-tokens",
        "12",
        "--seed",
        "3",
        "--json",
        stdout=out,
        stderr=StringIO(),
    )
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert result["questions"] == 3 and result["created"] + result["identical"] == 3
    assert result["versions"] == ["round-1", "round-2"]
    matches = list(ArenaMatch.objects.all())
    assert len(matches) == result["created"] >= 1
    for match in matches:
        assert {match.version_a_id, match.version_b_id} == {one.pk, two.pk}
        assert match.reply_a != match.reply_b and match.status == "open"
        assert match.question_text in QUESTIONS and match.sampling["max_new_tokens"] == 12


def test_arena_fill_refuses_one_version_twice_and_unknown_ones(demo_model_dir: Path) -> None:
    one, _ = two_versions(demo_model_dir)
    make_questions("arena", QUESTIONS)
    with pytest.raises(CommandError, match="two different versions"):
        call_command("arena_fill", "--versions", str(one.pk), "round-1")
    with pytest.raises(CommandError, match=r"no model version 'round-9' \(there are: "):
        call_command("arena_fill", "--versions", "round-9", "round-1")
    with pytest.raises(CommandError, match="no question set 'nope'"):
        call_command("arena_fill", "--versions", "round-1", "round-2", "--question-set", "nope")


def test_the_staff_button_queues_the_fill_on_the_gpu_queue_and_a_worker_fills(
    demo_model_dir: Path, worker_env: dict[str, str]
) -> None:
    one, two = two_versions(demo_model_dir)
    questions = make_questions("arena", QUESTIONS)
    worker = servers.start_celery_worker(worker_env, queues="gpu")
    try:
        staff = client_for(make_staff("boss"))
        form = {
            "version_a": one.pk,
            "version_b": two.pk,
            "question_set": questions.pk,
            "seed": 5,
        }
        response = staff.post("/arena/fill/", form, follow=True)
        assert "Queued on the gpu queue" in response.content.decode()
        servers.wait_for(lambda: ArenaMatch.objects.exists(), 300, "the worker's arena matches")
    finally:
        worker.stop()
    assert ArenaMatch.objects.count() <= len(QUESTIONS)


def test_the_fill_form_refuses_the_same_version_twice(demo_model_dir: Path) -> None:
    one, _ = two_versions(demo_model_dir)
    questions = make_questions("arena", QUESTIONS)
    staff = client_for(make_staff("boss"))
    form = {"version_a": one.pk, "version_b": one.pk, "question_set": questions.pk}
    response = staff.post("/arena/fill/", form)
    assert response.status_code == 400 and "Choose two different versions." in response.content.decode()
    assert not ArenaMatch.objects.exists()
