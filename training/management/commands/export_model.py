"""`manage.py export_model --version N --format adapter|merged|gguf [--out DIR]`: a version that runs elsewhere.

adapter: the LoRA adapter as trained. merged: the base loaded unquantised with the adapter merged in
(transformers-ready, generation_config.json with the seed's sampling and the separator as stop). gguf: the
merged model through llama.cpp's converter, with an Ollama Modelfile. Each writes EXPORT.md and
marisa_export.json (prompt format, sampling, and for merged/gguf the measured drift from base + adapter).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from training.core.export import DTYPES, ExportError
from training.train.export import FORMATS, export_version, get_version

# The stages each format reports (the bar's total).
STAGES = {"adapter": 1, "merged": 4, "gguf": 6}


class Command(BaseCommand):
    help = "Export a model version: the adapter, a merged model, or GGUF with an Ollama Modelfile."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # `--version ID` names a model version here, in place of Django's own --version flag.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--version", type=int, required=True, help="model version id")
        parser.add_argument("--format", choices=FORMATS, required=True)
        parser.add_argument("--out", help="output folder (default: MARISA_DATA_DIR/exports/v{id}-{format})")
        parser.add_argument(
            "--dtype", choices=DTYPES, default="fp16", help="merged/gguf weights (default fp16)"
        )
        parser.add_argument("--json", action="store_true", help="last line: the export's notes as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = options["format"]
        bar = tqdm(total=STAGES[fmt], desc=f"export {fmt}", unit="stage", file=sys.stderr, dynamic_ncols=True)

        def progress(stage: str) -> None:
            bar.set_postfix_str(stage)
            bar.update(1)

        try:
            version = get_version(options["version"])
            progress(f"{version.name}")
            out, notes = export_version(version, fmt, options["out"], options["dtype"], progress)
        except ExportError as exc:
            raise CommandError(str(exc))
        finally:
            bar.close()
        self.stdout.write(f"{version.name}: {fmt} export in {out}")
        for key, d in (notes.get("drift") or {}).items():
            self.stdout.write(
                f"  drift {key}: greedy equal {d['greedy_equal']}/{d['prompts']}, "
                f"max logit difference {d['max_logit_diff']:.4g}, top-1 agreement {100 * d['top1_agreement']:.1f}%"
            )
        if options["json"]:
            self.stdout.write(json.dumps({"out": str(out), **notes}, ensure_ascii=False))
