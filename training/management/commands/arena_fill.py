"""`manage.py arena_fill --versions A B [--questions N]`: two versions answer questions; matches for the arena.

Runs here with a progress bar (one model loaded at a time), or with --queue on the gpu queue's worker.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from annotation.review.models import QuestionSet
from training.arena.fill import fill_arena, pick_questions
from training.arena.queueing import NotQueued, queue_fill
from training.management.commands._sampling import add_sampling_arguments, sampling_from_options
from training.train.models import ModelVersion


class Command(BaseCommand):
    help = "Fill the blind A/B arena: two model versions answer the same questions, one match per question."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--versions", nargs=2, required=True, metavar=("A", "B"), help="version ids or names"
        )
        parser.add_argument(
            "--questions", type=int, help="how many questions, drawn at random (default: all)"
        )
        parser.add_argument(
            "--question-set", help="question set name (default: the first set with questions)"
        )
        parser.add_argument(
            "--queue", action="store_true", help="send it to the gpu queue instead of running here"
        )
        parser.add_argument("--json", action="store_true", help="last line: one JSON object")
        add_sampling_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        version_a, version_b = (_version(v) for v in options["versions"])
        if version_a.pk == version_b.pk:
            raise CommandError("the arena compares two different versions: name two")
        if options["questions"] is not None and options["questions"] < 1:
            raise CommandError("--questions must be at least 1")
        question_set = _question_set(options.get("question_set"))
        sampling = sampling_from_options(options)
        if options["queue"]:
            self._queue(version_a, version_b, question_set, options, sampling)
            return
        questions = pick_questions(question_set, options["questions"], options["seed"])
        bars: dict[str, tqdm] = {}

        def progress(name: str, done: int, total: int) -> None:
            bar = bars.get(name) or bars.setdefault(name, tqdm(total=total, desc=name, unit="question"))
            bar.update(done - bar.n)

        try:
            result = fill_arena(version_a, version_b, questions, sampling=sampling, progress=progress)
        finally:
            for bar in bars.values():
                bar.close()
        self.stdout.write(
            f"{result.created} matches between {version_a.name} and {version_b.name} on {question_set.name}; "
            f"{result.identical} question(s) got the same reply from both (no match)"
        )
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))

    def _queue(
        self,
        version_a: ModelVersion,
        version_b: ModelVersion,
        question_set: QuestionSet,
        options: dict,
        sampling: dict,
    ) -> None:
        try:
            task_id = queue_fill(
                version_a, version_b, question_set.pk, options["questions"], options["seed"], sampling
            )
        except NotQueued as exc:
            raise CommandError(str(exc))
        self.stdout.write(f"queued on the gpu queue: task {task_id}")
        if options["json"]:
            self.stdout.write(json.dumps({"queued": task_id}))


def _version(ref: str) -> ModelVersion:
    found = (
        ModelVersion.objects.filter(pk=int(ref)) if ref.isdigit() else ModelVersion.objects.filter(name=ref)
    )
    versions = list(found[:2])
    if len(versions) != 1:
        names = ", ".join(f"{v.pk}: {v.name}" for v in ModelVersion.objects.order_by("pk")) or "none"
        how = "no" if not versions else "more than one"
        raise CommandError(f"{how} model version {ref!r} (there are: {names}); name versions by id")
    return versions[0]


def _question_set(name: str | None) -> QuestionSet:
    if name:
        found = QuestionSet.objects.filter(name=name).first()
    else:
        found = QuestionSet.objects.filter(questions__isnull=False).order_by("id").first()
    if found is None:
        names = ", ".join(QuestionSet.objects.values_list("name", flat=True)) or "none"
        raise CommandError(f"no question set {repr(name) if name else 'with questions'} (there are: {names})")
    return found
