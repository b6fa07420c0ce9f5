"""The demo model builder leaves out the demo corpus's evaluation scenes, chosen as the database chooses them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import servers
from training.core.demo_model import (
    BUILD_VERSION,
    MARKER,
    corpus_scenes,
    evaluation_scenes,
    is_complete,
    training_text,
)

CORPUS = servers.REPO / "annotation" / "demo" / "corpus.txt"


@pytest.mark.django_db
def test_the_builder_skips_the_scenes_the_evaluation_set_pins() -> None:
    from annotation.demo.setup import load_demo_corpus
    from tests.factories import make_character
    from training.train.eval_set import ensure_eval_set
    from training.train.models import EvalConversation

    character = make_character()
    load_demo_corpus()
    ensure_eval_set(character)
    pinned = sorted(EvalConversation.objects.values_list("position", flat=True))
    assert pinned and pinned == evaluation_scenes(CORPUS)
    assert sum(EvalConversation.objects.values_list("her_lines", flat=True)) >= 20  # the demo can measure
    trained = set(training_text(CORPUS))
    scenes = corpus_scenes(CORPUS)
    for position in pinned:
        assert not {f"{name}: {text}" for name, text in scenes[position]} & trained
    kept = [i for i in range(len(scenes)) if i not in pinned]
    assert all(f"{name}: {text}" in trained for i in kept for name, text in scenes[i])


def test_a_build_from_an_older_builder_is_not_complete(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / MARKER).write_text(json.dumps({"line_separator": "\n"}))
    assert not is_complete(tmp_path)  # built before the evaluation scenes were left out: rebuild
    (tmp_path / MARKER).write_text(json.dumps({"build_version": BUILD_VERSION}))
    assert is_complete(tmp_path)
