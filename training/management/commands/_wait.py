"""Following a job from a terminal: a tqdm bar on stderr fed by the job's row or by inline progress."""

from __future__ import annotations

import sys
import time
from typing import Any

from tqdm import tqdm

from training.jobs.models import Job


class JobBar:
    """A tqdm bar that shows step / total, loss and the job's phase."""

    def __init__(self, desc: str, unit: str = "step") -> None:
        self.bar = tqdm(total=None, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True)

    def update(self, step: int, total: int, **postfix: Any) -> None:
        if total and self.bar.total != total:
            self.bar.total = total
            self.bar.refresh()
        if step != self.bar.n:
            self.bar.update(step - self.bar.n)
        shown = {k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in postfix.items() if v is not None}
        if shown:
            self.bar.set_postfix(shown, refresh=False)

    def from_progress(self, progress: dict) -> None:
        self.update(
            int(progress.get("step") or 0),
            int(progress.get("total_steps") or 0),
            loss=progress.get("loss"),
            tok_s=progress.get("tokens_per_second"),
        )

    def close(self) -> None:
        self.bar.close()


def follow(job: Job, bar: JobBar, poll: float = 0.5) -> Job:
    """Poll the row until the job finishes (the worker writes it)."""
    while True:
        job.refresh_from_db()
        bar.update(
            job.step,
            job.total_steps,
            loss=getattr(job, "loss", None),
            phase=job.phase[:40] if job.phase else None,
        )
        if job.is_finished:
            return job
        time.sleep(poll)
