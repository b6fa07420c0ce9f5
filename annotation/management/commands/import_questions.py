"""`manage.py import_questions FILE [--set NAME] [--json]`: add questions to a question set."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation.review.questions import QuestionImportError, import_questions_file


class Command(BaseCommand):
    help = (
        "Import questions into a question set from a text file (one question per line; blank lines and "
        '# comments skipped) or JSONL ({"question": ..., "context": [...]} or {"text": ...} per line). '
        "Questions already in the set are not added again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .txt or .jsonl file")
        parser.add_argument(
            "--set", dest="set_name", default=None, help="question set name (default: file name)"
        )
        parser.add_argument("--json", action="store_true", help="print a JSON summary as the last line")

    def handle(self, *args: object, **options: object) -> None:
        try:
            result = import_questions_file(options["file"], options["set_name"])
        except QuestionImportError as exc:
            raise CommandError(str(exc))
        summary = result.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Question set {result.question_set.name!r}: {result.created} new, "
                f"{result.skipped} already there; {result.total} questions in all "
                f"({result.format}, {result.encoding})."
            )
        )
