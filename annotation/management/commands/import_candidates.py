"""`manage.py import_candidates FILE.jsonl [--set NAME] [--json]`: candidates from another model."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation.review.candidates import CandidateImportError, import_candidates


class Command(BaseCommand):
    help = (
        "Import candidate replies made elsewhere: JSONL, one object per line with question, reply, "
        "model (optional question_set, context). All or nothing; duplicates are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--set", dest="set_name", help="question set for every line (default: per line, or 'imported')"
        )
        parser.add_argument("--json", action="store_true", help="print a JSON summary as the last line")

    def handle(self, *args, file: Path, set_name: str | None, json: bool = False, **options) -> None:
        if not file.is_file():
            raise CommandError(f"no such file: {file}")
        try:
            summary = import_candidates(file, set_name)
        except CandidateImportError as exc:
            raise CommandError(f"nothing imported: {exc}")
        if json:
            self.stdout.write(_dumps(summary))
        else:
            self.stdout.write(
                f"imported {summary['candidates']} candidates ({summary['questions']} new questions, "
                f"{summary['skipped_duplicates']} duplicates skipped) into {', '.join(summary['question_sets'])}"
            )


def _dumps(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False)
