"""The evaluation set: chosen where she speaks, pinned across rounds and re-imports, grown only on request."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from annotation.corpus.models import Character, Source
from annotation.datasets.snapshots import create_snapshot
from tests.factories import SCENES, make_character, make_source, make_sparse_source
from training.core.eval_choice import choose_positions
from training.train.data import split_snapshot
from training.train.eval_set import ensure_eval_set, grow, measure_warning, uncovered_sources
from training.train.models import EvalConversation

pytestmark = pytest.mark.django_db


def _texts(conversations: list[list]) -> set[str]:
    return {turn.text for turns in conversations for turn in turns}


def _her(conversations: list[list]) -> int:
    names = make_character().names()
    return sum(turn.speaker in names for turns in conversations for turn in turns)


def test_the_set_holds_her_lines_even_when_most_scenes_lack_her() -> None:
    make_character()
    make_sparse_source(scenes=40, speaking_every=8)  # she speaks in 5 of 40 scenes
    split = split_snapshot(create_snapshot())
    assert split.held_out, "something is held out"
    assert all(_her([turns]) > 0 for turns in split.held_out)
    assert _her(split.held_out) >= 0.1 * (_her(split.held_out) + _her(split.train))
    assert _her(split.train) > 0, "training keeps some of her lines"
    pinned = EvalConversation.objects.all()
    assert pinned.count() == len(split.held_out) and all(row.her_lines == 3 for row in pinned)


def test_the_rule_is_deterministic_and_grows_by_prefix() -> None:
    counts = [(i, (i * 7) % 5) for i in range(50)]
    small = choose_positions("a" * 64, counts, 0.1)
    assert small == choose_positions("a" * 64, list(reversed(counts)), 0.1)
    assert set(small) < set(choose_positions("a" * 64, counts, 0.3))
    assert choose_positions("a" * 64, [(0, 5)], 0.5) == []  # her only scene stays in training
    assert choose_positions("a" * 64, [(0, 5), (1, 0)], 0.5) == []


def test_two_rounds_never_train_on_the_pinned_set_even_after_a_reimport() -> None:
    make_character()
    source = make_sparse_source(scenes=24, speaking_every=2)
    first = create_snapshot()
    round_one = split_snapshot(first)
    pinned = _texts(round_one.held_out)
    assert pinned and not pinned & _texts(round_one.train)
    # Round two: the same file re-imported (new rows, same sha256) and a new source beside it.
    sha = source.sha256
    source.delete()
    again = make_sparse_source(scenes=24, speaking_every=2)
    Source.objects.filter(pk=again.pk).update(sha256=sha)
    make_source(SCENES, title="後から来た台本")
    round_two = split_snapshot(create_snapshot())
    assert _texts(round_two.held_out) == pinned
    assert not pinned & _texts(round_two.train)
    # The first snapshot names rows that are gone now; its words still find the pinned set.
    assert _texts(split_snapshot(first).held_out) == pinned
    assert [s.title for s in uncovered_sources(Character.default())] == ["後から来た台本"]


def test_the_set_grows_only_on_request() -> None:
    character = make_character()
    make_sparse_source(scenes=24, speaking_every=2)
    ensure_eval_set(character)
    before = set(EvalConversation.objects.values_list("source_sha256", "position"))
    make_source(SCENES, title="後から来た台本")
    ensure_eval_set(character)
    assert set(EvalConversation.objects.values_list("source_sha256", "position")) == before
    out, err = StringIO(), StringIO()
    call_command("eval_set", "--grow", "--no-rescore", "--json", stdout=out, stderr=err)
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["added"] >= 1 and summary["uncovered_sources"] == []
    after = set(EvalConversation.objects.values_list("source_sha256", "position"))
    assert before < after
    assert "re-scoring" in err.getvalue()
    assert grow(character, 0.5).added and before < set(
        EvalConversation.objects.values_list("source_sha256", "position")
    )


def test_the_warning_says_how_many_of_her_lines_the_set_holds() -> None:
    character = make_character()
    make_sparse_source(scenes=40, speaking_every=8)
    assert measure_warning(character) == (
        "the evaluation set holds 3 of 魔理沙's lines; at least 20 are needed to measure"
    )
    ensure_eval_set(character)
    assert "holds 3 of" in str(measure_warning(character))
