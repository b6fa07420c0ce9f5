"""`manage.py eval_set [--grow [--share S] [--no-rescore]] [--json]`: show, pin or grow the evaluation set.

Growing adds the sources imported since, more of every source with a larger --share, and the accepted
corrections held out of training that wait outside the set.

Growing re-scores every model version whose adapter is on disk, here in this process (a worker's GPU is
not needed for the demo model; for a 7B base run it where the GPU is).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Show the evaluation set (pinning it the first time); --grow adds sources imported since, "
        "and with --share above the set's share more of every source."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--grow", action="store_true", help="add to the set (it never shrinks)")
        parser.add_argument(
            "--share", type=float, default=None, help="share of her lines (MARISA_HELD_OUT_SHARE)"
        )
        parser.add_argument(
            "--no-rescore", action="store_true", help="grow without re-scoring the versions (say so later)"
        )
        parser.add_argument("--json", action="store_true", help="print a JSON summary as the last line")

    def handle(self, *args: Any, **options: Any) -> None:
        from annotation.corpus.models import Character
        from training.train.eval_set import (
            ensure_eval_set,
            grow,
            her_held_lines,
            measure_warning,
            uncovered_sources,
        )
        from training.train.models import EvalConversation, EvalQuestion

        character = Character.default()
        added = questions = 0
        if options["grow"]:
            result = grow(character, options["share"])
            added, questions = len(result.added), result.questions
        else:
            ensure_eval_set(character)
        grew = bool(added or questions)
        rescored = self._rescore(character) if grew and not options["no_rescore"] else []
        summary = {
            "conversations": EvalConversation.objects.filter(character=character).count(),
            "her_lines": her_held_lines(character),
            "added": added,
            "questions_added": questions,
            "questions": EvalQuestion.objects.filter(character=character, in_set=True).count(),
            "questions_waiting": EvalQuestion.objects.filter(character=character, in_set=False).count(),
            "uncovered_sources": [s.title for s in uncovered_sources(character)],
            "warning": measure_warning(character),
            "rescored": rescored,
        }
        self.stderr.write(
            f"evaluation set: {summary['conversations']} conversations, {summary['her_lines']} of "
            f"{character.prompt_name}'s lines, {summary['questions']} held-out corrections "
            f"({added} conversations and {questions} corrections added)"
        )
        if grew and options["no_rescore"]:
            # Every version's held-out figures were measured on the smaller set: they are not comparable.
            self.stderr.write("the set grew: every model version needs re-scoring on it")
        if summary["warning"]:
            self.stderr.write(self.style.WARNING(str(summary["warning"])))
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))

    def _rescore(self, character: Any) -> list[dict[str, Any]]:
        from training.train.rescore import rescore_versions

        self.stderr.write("the set grew: re-scoring every model version on it")
        report = rescore_versions(character)
        for row in report:
            self.stderr.write(f"  {row['version']}: {'re-scored' if row['rescored'] else row['why']}")
        return report
