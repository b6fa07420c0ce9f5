"""`manage.py build_demo_model [--out DIR] [--if-missing] [--json]`: the tiny demo base model."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

DEFAULT_CORPUS = Path(settings.BASE_DIR) / "annotation" / "demo" / "corpus.txt"


class Command(BaseCommand):
    help = "Train the tiny demo tokenizer and Llama model on the bundled corpus (under two minutes on a CPU)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out", type=Path, default=None, help="output directory (default: MARISA_DEMO_MODEL_DIR)"
        )
        parser.add_argument(
            "--corpus", type=Path, default=DEFAULT_CORPUS, help="script-format corpus to train on"
        )
        parser.add_argument(
            "--if-missing", action="store_true", help="do nothing when a complete build exists"
        )
        parser.add_argument("--json", action="store_true", help="print a JSON summary as the last line")

    def handle(self, *args: Any, **options: Any) -> None:
        from tqdm import tqdm

        from training.core.demo_model import MARKER, build_demo_model, is_complete

        out = Path(options["out"] or settings.MARISA_DEMO_MODEL_DIR)
        started = time.monotonic()
        built = False
        if options["if_missing"] and is_complete(out):
            self.stderr.write(f"demo model already built in {out}")
        else:
            bars: dict[str, tqdm] = {}

            def progress(stage: str, done: int, total: int) -> None:
                bar = bars.get(stage)
                if bar is None:
                    bar = bars[stage] = tqdm(total=total, desc=stage, unit="step", leave=True)
                bar.n = done
                bar.refresh()
                if done >= total:
                    bar.close()

            build_demo_model(out, options["corpus"], progress=progress)
            built = True
            self.stderr.write(self.style.SUCCESS(f"demo model written to {out}"))
        summary = json.loads((out / MARKER).read_text(encoding="utf-8"))
        summary.update(path=str(out), built=built, seconds=round(time.monotonic() - started, 1))
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
