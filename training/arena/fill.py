"""Filling the arena: two model versions answer the same questions, each pair of replies becomes a match.

Each version is loaded once (the same Generator the generation jobs use), answers every question with one
reply, and is freed before the next loads, so two versions never share the GPU. Which reply is A is drawn
at random per match. Questions both versions answer word for word make no match (the vote could only be a
tie): they are counted and reported instead.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from annotation.corpus.models import Character
from annotation.review.arena_models import ArenaMatch
from annotation.review.models import Question, QuestionSet, context_turns
from training.generate.run import load_generator, sampling_settings
from training.train.data import character_spec
from training.train.models import ModelVersion

Progress = Callable[[str, int, int], None]  # (version name, done, total)


@dataclass
class FillResult:
    created: int
    identical: int
    questions: int
    versions: tuple[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "identical": self.identical,
            "questions": self.questions,
            "versions": list(self.versions),
        }


def pick_questions(
    question_set: QuestionSet, limit: int | None = None, seed: int | None = None
) -> list[Question]:
    """The set's questions in order, or `limit` of them drawn at random (reproducibly with a seed)."""
    questions = list(question_set.questions.select_related("question_set").order_by("position", "id"))
    if limit is not None and limit < len(questions):
        questions = sorted(random.Random(seed).sample(questions, limit), key=lambda q: (q.position, q.pk))
    return questions


def check_versions(version_a: ModelVersion, version_b: ModelVersion) -> None:
    if version_a.pk == version_b.pk:
        raise ValueError("the arena compares two different versions: name two")


def _replies(
    version: ModelVersion,
    questions: Sequence[Question],
    sampling: dict[str, Any],
    progress: Progress | None,
    load_in_4bit: bool | None,
) -> list[str]:
    from training.core.sampling import SamplingSettings
    from training.core.textformat import Turn

    generator = load_generator(version, load_in_4bit)
    try:
        character = character_spec(version.snapshot.character if version.snapshot else None)
        prompts = [
            generator.prompt_for(
                [Turn(t["speaker"], t["text"]) for t in context_turns(q.context)], q.text, character
            )
            for q in questions
        ]

        def report(done: int, total: int) -> None:
            if progress is not None:
                progress(version.name, done, total)

        replies = generator.generate(
            prompts, n=1, settings=SamplingSettings.from_dict(sampling), progress=report
        )
        return [texts[0] for texts in replies]
    finally:
        del generator
        _free_memory()


def _free_memory() -> None:
    """Drop the model before the next one loads (the GPU holds one at a time)."""
    gc.collect()
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def fill_arena(
    version_a: ModelVersion,
    version_b: ModelVersion,
    questions: Sequence[Question],
    *,
    sampling: dict[str, Any] | None = None,
    progress: Progress | None = None,
    load_in_4bit: bool | None = None,
) -> FillResult:
    """One match per question on which the two versions' replies differ; sides drawn at random."""
    check_versions(version_a, version_b)
    settings = sampling_settings(sampling)
    answers = []
    for offset, version in enumerate((version_a, version_b)):
        # A seed of its own per version: two copies of one model would otherwise sample the same words.
        own = {**settings, "seed": None if settings["seed"] is None else settings["seed"] + offset}
        answers.append(_replies(version, questions, own, progress, load_in_4bit))
    character = version_a.snapshot.character if version_a.snapshot else Character.default()
    rng = random.Random(settings["seed"])
    matches, identical = [], 0
    for question, reply_1, reply_2 in zip(questions, answers[0], answers[1], strict=True):
        if reply_1 == reply_2:
            identical += 1
            continue
        sides = [(version_a, reply_1), (version_b, reply_2)]
        rng.shuffle(sides)
        (left, reply_left), (right, reply_right) = sides
        matches.append(
            ArenaMatch(
                character=character,
                question=question,
                question_text=question.text,
                context=context_turns(question.context),
                source=question.question_set.name,
                version_a=left,
                version_b=right,
                reply_a=reply_left,
                reply_b=reply_right,
                sampling=settings,
            )
        )
    with transaction.atomic():
        ArenaMatch.objects.bulk_create(matches)
    return FillResult(len(matches), identical, len(questions), (version_a.name, version_b.name))
