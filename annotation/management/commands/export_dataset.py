"""`python manage.py export_dataset --format FMT [--snapshot ID] [--output FILE]`: stream a data set out.

Without --snapshot the latest snapshot is exported; when there is none, the current data (what a snapshot
made now would hold) is exported without creating one. The output defaults to stdout; a tqdm progress bar
(lines) goes to stderr. `--format hf` writes a directory (README.md + data/train.jsonl) when --output names
a directory or a path without .zip, else a zip. With --json a summary object is the last line of stdout when the
data went to a file, and of stderr when the data itself is on stdout (so the data stays clean).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from annotation.datasets.exports import FORMATS, PIECES, ExportContext, chunked, dataset_card, export_bytes
from annotation.datasets.models import DatasetSnapshot
from annotation.datasets.snapshots import export_context, latest_snapshot


class Command(BaseCommand):
    help = "Export a dataset snapshot (default: the latest; none: the current data) in a training format."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", required=True, choices=FORMATS, dest="fmt")
        parser.add_argument("--snapshot", type=int, help="snapshot id (default: the latest snapshot)")
        parser.add_argument("--output", "-o", help="file (or directory for hf); default stdout")
        parser.add_argument("--separator", help="line separator, e.g. '[SEP]' (default: the base model's)")
        parser.add_argument(
            "--system", action="store_true", help="sft-chat: add the guidelines as system prompt"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--json", action="store_true", help="print a summary JSON object as the last line"
        )

    def handle(self, *args: Any, fmt: str, **opts: Any) -> None:
        snapshot = self._snapshot(opts.get("snapshot"))
        records, ctx, total = export_context(snapshot, sep=opts.get("separator"), system=opts["system"])
        bar = tqdm(
            total=total, unit="line", file=sys.stderr, disable=opts["no_progress"], desc=f"export {fmt}"
        )
        counted = _counting(records, bar)
        output = opts.get("output")
        try:
            if fmt == "hf" and output and not output.endswith(".zip"):
                written = _write_hf_dir(Path(output), counted, ctx)
            elif output:
                with open(output, "wb") as f:
                    written = _write(f, export_bytes(fmt, counted, ctx))
            else:
                try:
                    written = _write(sys.stdout.buffer, export_bytes(fmt, counted, ctx))
                    sys.stdout.buffer.flush()
                except BrokenPipeError:
                    # The reader stopped (`| head`): end quietly, as Unix tools do.
                    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                    return
        finally:
            bar.close()
        if opts["json"]:
            summary = {
                "format": fmt,
                "snapshot": snapshot.pk if snapshot else None,
                "sha256": snapshot.sha256 if snapshot else None,
                "lines": bar.n,
                "bytes": written,
                "output": output or "-",
            }
            # On stdout after the data only when the data went to a file: stdout stays pure data otherwise.
            (self.stdout if output else self.stderr).write(json.dumps(summary, ensure_ascii=False))

    def _snapshot(self, snapshot_id: int | None) -> DatasetSnapshot | None:
        if snapshot_id is None:
            return latest_snapshot()
        try:
            return DatasetSnapshot.objects.select_related("character").get(pk=snapshot_id)
        except DatasetSnapshot.DoesNotExist:
            raise CommandError(f"no snapshot with id {snapshot_id}") from None


def _counting(records: Iterator[dict], bar: tqdm) -> Iterator[dict]:
    for record in records:
        bar.update(len(record["lines"]))
        yield record


def _write(f: BinaryIO, chunks: Iterator[bytes]) -> int:
    n = 0
    for chunk in chunks:
        f.write(chunk)
        n += len(chunk)
    return n


def _write_hf_dir(out: Path, records: Iterator[dict], ctx: ExportContext) -> int:
    (out / "data").mkdir(parents=True, exist_ok=True)
    (out / "README.md").write_text(dataset_card(ctx), encoding="utf-8")
    with open(out / "data" / "train.jsonl", "wb") as f:
        return _write(f, chunked(PIECES["hf"](records, ctx)))
