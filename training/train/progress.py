"""Training progress written to the TrainingJob row at a bounded rate, and cancel checks."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from training.train.models import TrainingJob

ProgressListener = Callable[[dict], None]


class JobHooks:
    """training.core.trainer_parts.TrainingHooks writing progress to the TrainingJob row at a bounded rate."""

    def __init__(
        self,
        job: TrainingJob,
        min_interval: float = 1.0,
        listener: ProgressListener | None = None,
        history_limit: int = 2000,
    ) -> None:
        self.job = job
        self.min_interval = min_interval
        self.listener = listener
        self.history_limit = history_limit
        self.history: list[list[float]] = [list(p) for p in job.loss_history]
        self.pending: dict | None = None
        self._last_write = float("-inf")  # the first progress is written at once
        self._last_cancel_check = float("-inf")
        self._stop = False

    def on_progress(self, progress: dict) -> None:
        step = int(progress.get("step") or 0)
        loss = progress.get("loss")
        if loss is not None and loss == loss:  # NaN != NaN: a NaN loss is not plotted
            # A resumed run replays steps after its checkpoint: drop the abandoned tail first.
            while self.history and self.history[-1][0] >= step:
                self.history.pop()
            self.history.append([step, round(float(loss), 5)])
            self._thin()
        if self.listener:
            self.listener(progress)
        self.pending = progress
        total = int(progress.get("total_steps") or 0)
        now = time.monotonic()
        if now - self._last_write >= self.min_interval or (total and step >= total):
            self.flush()

    def _thin(self) -> None:
        # Keep the curve's shape with bounded storage: halve the resolution when over the limit.
        if len(self.history) > self.history_limit:
            last = self.history[-1]
            self.history = self.history[::2]
            if self.history[-1] != last:
                self.history.append(last)

    def flush(self) -> None:
        progress, self.pending = self.pending, None
        if progress is None:
            return
        self._last_write = time.monotonic()
        fields: dict[str, Any] = {
            "step": int(progress.get("step") or 0),
            "total_steps": int(progress.get("total_steps") or 0),
            "eta_seconds": _num(progress.get("eta_seconds")),
            "tokens_per_second": _num(progress.get("tokens_per_second")),
            "learning_rate": _num(progress.get("learning_rate")),
            "loss_history": self.history,
        }
        loss = _num(progress.get("loss"))
        if loss is not None:
            fields["loss"] = loss
        self.job.set_phase(str(progress.get("phase") or "training"), **fields)

    def should_stop(self) -> bool:
        now = time.monotonic()
        if not self._stop and now - self._last_cancel_check >= min(self.min_interval, 0.5):
            self._last_cancel_check = now
            self._stop = self.job.should_stop()
        return self._stop


def _num(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None
