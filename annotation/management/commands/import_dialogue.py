"""`python manage.py import_dialogue PATH [--format ...] [--title T] [--json]`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from annotation.corpus.formats import FORMATS
from annotation.corpus.importing import ImportFailed, import_path


class Command(BaseCommand):
    help = "Import a novel, a script or a JSONL/CSV file of dialogue lines into the corpus (atomic)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", default="auto", choices=["auto", *FORMATS])
        parser.add_argument(
            "--title", default=None, help="the source's title (default: the work's title or file name)"
        )
        parser.add_argument("--json", action="store_true", help="print the result as one JSON object, last")

    def handle(self, *args, **options) -> None:
        path: Path = options["path"]
        bar = tqdm(
            total=path.stat().st_size if path.is_file() else 0,
            unit="B",
            unit_scale=True,
            desc=path.name[:30],
            file=sys.stderr,
            disable=None,  # off when stderr is not a terminal, so logs stay clean
        )

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        try:
            result = import_path(path, fmt=options["format"], title=options["title"], progress=progress)
        except ImportFailed as exc:
            raise CommandError(f"import failed: {exc}") from None
        finally:
            bar.close()
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
            return
        top = ", ".join(f"{name} {count}" for name, count in list(result.speakers.items())[:8])
        self.stdout.write(
            self.style.SUCCESS(
                f"imported 「{result.source.title}」 ({result.source.get_kind_display()}, {result.source.encoding}): "
                f"{result.conversations} conversations, {result.lines} lines, "
                f"{result.unknown_speaker_lines} with an unknown speaker"
            )
        )
        if top:
            self.stdout.write(f"speakers: {top}")
