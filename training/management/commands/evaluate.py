"""`manage.py evaluate [--version N ...] [--no-base] [--json]`: score model versions on the evaluation set.

Each version (every one of the default character whose adapter is on disk, or those named) is loaded with
its adapter and scored on the pinned evaluation set: her-token perplexity with the adapter and for the base,
style- and forbidden-marker rates, chrF against her real lines and distinct-2 of greedy replies. The figures
are stored on the version (metrics["eval"], with the first replies under "answers" / "base_answers"), so the
pages show them; the bare base model gets a row of its own. Runs here, in this process (the demo model needs
no GPU; for a 7B base run it where the GPU is). With --json the last line is one JSON object.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Re-score model versions (and the base model) on the pinned evaluation set; store the figures."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # --version N names a model version here; it replaces Django's own --version (its release).
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--version",
            type=int,
            action="append",
            dest="versions",
            metavar="N",
            help="version id (repeatable)",
        )
        parser.add_argument("--no-base", action="store_true", help="skip the row of the bare base model")
        parser.add_argument("--batch-size", type=int, default=8, help="rows per forward pass (default 8)")
        parser.add_argument("--json", action="store_true", help="print a JSON summary as the last line")

    def handle(self, *args: Any, **options: Any) -> None:
        from annotation.corpus.models import Character
        from training.train.eval_set import ensure_eval_set, measure_warning
        from training.train.harvested import eval_set_summary
        from training.train.rescore import scoring_set

        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        character = Character.default()
        ensure_eval_set(character)
        versions = self._versions(character, options["versions"])
        summary = eval_set_summary(character)
        self.stderr.write(
            f"evaluation set: {summary['conversations']} conversations, {summary['character_lines']} of "
            f"{character.prompt_name}'s lines, {summary['questions']} questions"
        )
        if warning := measure_warning(character):
            self.stderr.write(self.style.WARNING(warning))
        eval_set = scoring_set(character, batch_size=options["batch_size"])
        rows = self._score(versions, eval_set, summary, with_base=not options["no_base"])
        for row in rows:
            self.stderr.write(_describe(row))
        if options["json"]:
            self.stdout.write(json.dumps({"eval_set": summary, "versions": rows}, ensure_ascii=False))

    def _versions(self, character: Any, ids: list[int] | None) -> list[Any]:
        from training.train.models import ModelVersion

        if not ids:
            return list(ModelVersion.objects.filter(snapshot__character=character).order_by("pk"))
        found = {v.pk: v for v in ModelVersion.objects.filter(pk__in=ids)}
        missing = sorted(set(ids) - set(found))
        if missing:
            raise CommandError(f"no model version with id {', '.join(map(str, missing))}")
        return [found[i] for i in dict.fromkeys(ids)]

    def _score(
        self, versions: list[Any], eval_set: Any, summary: dict, with_base: bool
    ) -> list[dict[str, Any]]:
        from tqdm import tqdm

        from training.train.rescore import base_of, has_adapter, report_row, rescore_version, score_base

        rows: list[dict[str, Any]] = []
        bar = tqdm(total=len(versions) + with_base, desc="evaluating", unit="model", file=sys.stderr)
        with bar:

            def replies(done: int, total: int) -> None:
                bar.set_postfix_str(f"{done}/{total} replies", refresh=True)

            if with_base:
                bar.set_description("base model")
                base, sep = base_of(versions)
                rows.append(score_base(base, sep, eval_set, replies))
                bar.update()
            for version in versions:
                bar.set_description(version.name)
                if has_adapter(version):
                    rows.append(rescore_version(version, eval_set, summary, replies))
                else:
                    rows.append(
                        {**report_row(version.pk, version.name, None), "error": "adapter not on disk"}
                    )
                bar.update()
        return rows


def _describe(row: dict[str, Any]) -> str:
    if row.get("error"):
        return f"  {row['name']}: {row['error']}"

    def fmt(value: Any, digits: int = 2) -> str:
        return "—" if value is None else f"{value:.{digits}f}"

    return (
        f"  {row['name']}: perplexity {fmt(row['character_ppl'])} (base {fmt(row['base_character_ppl'])}), "
        f"style {fmt(row['style_marker_rate'])}, forbidden {fmt(row['forbidden_marker_rate'])}, "
        f"chrF {fmt(row['reference_score'], 1)}, distinct-2 {fmt(row['distinct_2'])}"
    )
