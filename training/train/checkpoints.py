"""The HF Trainer checkpoints of a training job: the newest complete one, and the cut-short ones."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

log = logging.getLogger(__name__)


def _checkpoints(output_dir: str | Path | None) -> list[Path]:
    if not output_dir or not Path(output_dir).is_dir():
        return []
    found = [p for p in Path(output_dir).rglob("checkpoint-*") if p.is_dir() and p.name[11:].isdigit()]
    return sorted(found, key=lambda p: int(p.name[11:]))


def checkpoint_complete(path: Path) -> bool:
    """HF Trainer writes trainer_state.json last: a checkpoint without a readable one was cut short."""
    try:
        json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return True


def find_checkpoint(output_dir: str | Path | None) -> Path | None:
    """The newest complete HF Trainer checkpoint (checkpoint-<step>) under the job's directory, if any."""
    complete = [p for p in _checkpoints(output_dir) if checkpoint_complete(p)]
    return complete[-1] if complete else None


def discard_incomplete_checkpoints(output_dir: str | Path | None) -> list[Path]:
    """Remove checkpoints a killed worker left half-written, so a resume starts from a whole one.

    (The Trainer resumes from the highest-numbered directory and fails on a partial one.)
    """
    removed = [p for p in _checkpoints(output_dir) if not checkpoint_complete(p)]
    for path in removed:
        log.warning("removing incomplete checkpoint %s", path)
        shutil.rmtree(path, ignore_errors=True)
    return removed
