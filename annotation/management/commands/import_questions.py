"""`manage.py import_questions FILE [--set NAME] [--json]`: add questions to a question set;
`manage.py import_questions --from-corpus [--set NAME] [--limit N] [--json]`: harvest them from the corpus.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation.review.questions import QuestionImportError, QuestionImportResult, import_questions_file


class Command(BaseCommand):
    help = (
        "Import questions into a question set from a text file (one question per line; blank lines and "
        '# comments skipped) or JSONL ({"question": ..., "context": [...]} or {"text": ...} per line), '
        "or with --from-corpus harvest them from the training conversations: the line said to the "
        "character before each of hers, with the turns before it as context. "
        "Questions already in the set are not added again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, nargs="?", help="a .txt or .jsonl file")
        parser.add_argument(
            "--set", dest="set_name", default=None, help="question set name (default: file name, or corpus)"
        )
        parser.add_argument(
            "--from-corpus",
            action="store_true",
            help="harvest questions from the imported conversations (never the evaluation set's)",
        )
        parser.add_argument("--limit", type=int, default=None, help="with --from-corpus: at most N questions")
        parser.add_argument("--json", action="store_true", help="print a JSON summary as the last line")

    def handle(self, *args: object, **options: object) -> None:
        try:
            result = self._import(options)
        except QuestionImportError as exc:
            raise CommandError(str(exc))
        summary = result.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        where = (
            "harvested from the corpus"
            if result.format == "corpus"
            else f"{result.format}, {result.encoding}"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Question set {result.question_set.name!r}: {result.created} new, "
                f"{result.skipped} already there; {result.total} questions in all ({where})."
            )
        )

    def _import(self, options: dict) -> QuestionImportResult:
        file, limit = options["file"], options["limit"]
        if not options["from_corpus"]:
            if file is None:
                raise CommandError("give a question file, or --from-corpus to harvest questions")
            return import_questions_file(file, options["set_name"])
        if file is not None:
            raise CommandError("give a question file or --from-corpus, not both")
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1")
        # The command sits above the layers: the training stage knows which conversations are held out.
        from training.train.harvested import DEFAULT_SEED_SET, seed_questions

        return seed_questions(set_name=options["set_name"] or DEFAULT_SEED_SET, limit=limit)
