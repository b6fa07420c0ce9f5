"""Harvested questions on the Django side: held-out corrections never trained on, and question sets
seeded from the training conversations (command, button)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotation.datasets.snapshots import create_snapshot
from annotation.review.models import Candidate, Question
from tests.factories import (
    client_for,
    make_candidate,
    make_character,
    make_question,
    make_source,
    make_sparse_source,
    make_user,
    make_version,
)
from training.core.harvest import holds_out_correction
from training.train.data import split_snapshot
from training.train.eval_set import ensure_eval_set, grow
from training.train.harvested import eval_set_summary, scored_conversations, seed_questions
from training.train.models import EvalQuestion
from training.train.rescore import scoring_set

pytestmark = pytest.mark.django_db


def _corrections(n: int) -> list[Candidate]:
    """n accepted, corrected candidates, each answering its own question after one context turn."""
    return [
        make_candidate(
            make_question(
                f"好きな茸は{i}？", "tour", context=[{"speaker": "ユーザー", "text": "こんにちは"}]
            ),
            f"茸{i}です",
            status=Candidate.Status.EDITED,
            final_text=f"茸{i}に決まってるだろ",
        )
        for i in range(n)
    ]


def _texts(conversations: list[list]) -> set[str]:
    return {turn.text for turns in conversations for turn in turns}


def test_a_share_of_the_corrections_is_held_out_never_trained_on_until_the_set_grows() -> None:
    make_character()
    make_sparse_source(scenes=24, speaking_every=2)
    corrections = _corrections(100)
    picked = {f"cand-{c.pk}" for c in corrections if holds_out_correction(f"cand-{c.pk}")}
    assert picked, "100 corrections: the rule picks some"
    snapshot = create_snapshot()

    split = split_snapshot(snapshot)
    assert set(split.withheld_ids) == picked
    assert not picked & set(split.train_ids) and not picked & set(split.held_out_ids)
    held = EvalQuestion.objects.filter(in_set=False)
    assert {q.record_id for q in held} == picked
    one = held.first()
    assert one.question.startswith("好きな茸は") and one.reference.endswith("に決まってるだろ")
    assert one.context == [{"speaker": "ユーザー", "text": "こんにちは"}] and one.source == "tour"

    # Growing adds them to the set: measured from now on, still never trained on.
    assert grow(make_character()).questions == len(picked)
    again = split_snapshot(snapshot)
    assert set(again.held_out_ids) >= picked and not picked & set(again.train_ids)
    assert {r.reference for r in EvalQuestion.objects.all()} <= _texts(scored_conversations(make_character()))


def test_corrections_an_earlier_version_trained_on_are_never_held_out_later() -> None:
    make_character()
    make_source()
    old = {f"cand-{c.pk}" for c in _corrections(100)}
    assert any(holds_out_correction(i) for i in old), "the rule alone would pick some of them"
    make_version(name="v1", snapshot=create_snapshot())  # round one trained on all of them
    new = {f"cand-{c.pk}" for c in _corrections(100)}
    split = split_snapshot(create_snapshot())
    assert old <= set(split.train_ids)
    assert set(split.withheld_ids) == {i for i in new if holds_out_correction(i)}


def test_questions_seeded_from_the_corpus_leave_out_the_evaluation_set() -> None:
    character = make_character()
    make_sparse_source(scenes=24, speaking_every=2)
    ensure_eval_set(character)
    pinned = _texts(scored_conversations(character))
    result = seed_questions(character)
    questions = list(Question.objects.filter(question_set=result.question_set))
    assert result.created == len(questions) > 0 and result.question_set.name == "corpus"
    assert not {q.text for q in questions} & pinned
    assert all(q.text.endswith("何の用？") for q in questions)  # the line said to her, before each of hers
    # The same harvest again adds nothing; a limit caps a new set.
    assert seed_questions(character).created == 0
    assert seed_questions(character, set_name="few", limit=2).created == 2


def test_import_questions_from_corpus_command() -> None:
    make_character()
    make_sparse_source(scenes=24, speaking_every=2)
    out = StringIO()
    call_command("import_questions", "--from-corpus", "--set", "台本から", "--json", stdout=out)
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["question_set"] == "台本から" and summary["created"] > 0 and summary["format"] == "corpus"
    with pytest.raises(CommandError, match="not both"):
        call_command("import_questions", "q.txt", "--from-corpus")
    with pytest.raises(CommandError, match="--from-corpus"):
        call_command("import_questions")


def test_from_corpus_without_a_line_said_to_her_is_a_clear_error() -> None:
    make_character()
    make_source([[("霊夢", "誰もいないわね"), ("咲夜", "そうですね")]])
    with pytest.raises(CommandError, match="no questions found"):
        call_command("import_questions", "--from-corpus")


def test_the_generate_page_button_harvests_questions_for_staff_only() -> None:
    make_character()
    make_sparse_source(scenes=24, speaking_every=2)
    staff = client_for(make_user("boss", "staff"))
    page = staff.get(reverse("training:generation_launch")).content.decode()
    assert "Harvest questions from the corpus" in page
    response = staff.post(reverse("training:seed_questions"), {"set_name": "ボタン"}, follow=True)
    assert response.status_code == 200
    assert "harvested from the corpus" in response.content.decode()
    assert Question.objects.filter(question_set__name="ボタン").exists()
    reviewer = client_for(make_user("rev", "reviewer"))
    assert reviewer.post(reverse("training:seed_questions"), {"set_name": "x"}).status_code == 403
    assert staff.get(reverse("training:seed_questions")).status_code == 405


def test_the_eval_set_page_shows_the_held_out_corrections_and_the_question_count() -> None:
    character = make_character()
    make_sparse_source(scenes=24, speaking_every=2)
    _corrections(100)
    split_snapshot(create_snapshot())
    waiting = EvalQuestion.objects.count()
    staff = client_for(make_user("boss", "staff"))
    page = staff.get(reverse("training:eval_set")).content.decode()
    assert f"{waiting} held-out correction" in page and "waiting to join" in page
    grow(character)
    page = staff.get(reverse("training:eval_set")).content.decode()
    assert "waiting to join" not in page
    assert EvalQuestion.objects.first().reference in page
    assert f'id="eval-questions-count">{eval_set_summary(character)["questions"]}<' in page


def test_eval_set_grow_adds_the_waiting_corrections_and_says_the_versions_need_rescoring() -> None:
    make_character()
    make_sparse_source(scenes=24, speaking_every=2)
    _corrections(100)
    split_snapshot(create_snapshot())
    waiting = EvalQuestion.objects.filter(in_set=False).count()
    out, err = StringIO(), StringIO()
    call_command("eval_set", "--grow", "--no-rescore", "--json", stdout=out, stderr=err)
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["questions_added"] == summary["questions"] == waiting > 0
    assert summary["questions_waiting"] == 0 and summary["added"] == 0
    assert "every model version needs re-scoring" in err.getvalue()


def test_forbidden_markers_are_edited_with_the_guidelines_and_marisa_has_defaults() -> None:
    from rest_framework.test import APIClient

    character = make_character()
    assert "です" in character.forbidden_markers and "だぜ" in character.style_markers
    staff = make_user("boss", "superuser")
    page = client_for(staff).get(reverse("admin:annotation_character_change", args=[character.pk]))
    assert (
        'name="forbidden_markers"' in page.content.decode() and 'name="guidelines"' in page.content.decode()
    )
    api = APIClient()
    api.force_authenticate(staff)
    response = api.patch(f"/api/characters/{character.pk}/", {"forbidden_markers": ["ですわ"]}, format="json")
    assert response.status_code == 200 and response.json()["forbidden_markers"] == ["ですわ"]
    character.refresh_from_db()
    assert scoring_set(character, conversations=[]).forbidden_markers == ("ですわ",)
