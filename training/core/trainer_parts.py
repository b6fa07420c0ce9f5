"""Pieces the QLoRA Trainer is assembled from: the dataset wrapper, a token-counting collator wrapper and the
progress/stop callback that talks to a job's TrainingHooks. Plain Python; transformers loads lazily.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

# How often progress may reach the hooks: a job writes it to the database, so bound the rate.
PROGRESS_INTERVAL_S = 1.0


class ListDataset:
    """A list of tokenized examples as a map-style dataset (the length sampler reads `input_ids`)."""

    def __init__(self, examples: Sequence[dict]) -> None:
        # Only the model's inputs: the collators pad every key they are given.
        self.examples = [
            {k: e[k] for k in ("input_ids", "attention_mask", "labels") if k in e} for e in examples
        ]

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> dict:
        return self.examples[index]


class TokenCounter:
    """Wraps a collator and counts real, trained and padded token slots of every batch it builds."""

    def __init__(
        self,
        collator: Any,
        pad_token_id: int | None,
        measure: Callable[[list[dict]], tuple[int, int]] | None = None,
    ) -> None:
        self.collator = collator
        self.pad_token_id = pad_token_id
        # (real, trained) tokens of a batch's features; preference stages' features have no input_ids / labels.
        self.measure = measure or _measure_labelled
        self.real_tokens = 0
        self.trained_tokens = 0
        self.slots = 0
        self.batches: list[tuple[int, int, int]] = []  # (real, trained, slots) in the order batches are built

    def __call__(self, features: list[dict]) -> dict:
        batch = self.collator(features)
        real, trained = self.measure(features)
        slots = int(batch["input_ids"].numel())
        self.real_tokens += real
        self.trained_tokens += trained
        self.slots += slots
        self.batches.append((real, trained, slots))
        return batch

    @property
    def padding_share(self) -> float:
        return 1.0 - self.real_tokens / self.slots if self.slots else 0.0


def _measure_labelled(features: list[dict]) -> tuple[int, int]:
    real = sum(len(f["input_ids"]) for f in features)
    trained = sum(sum(1 for x in f["labels"] if x != -100) for f in features)
    return real, trained


def make_progress_callback(hooks: TrainingHooks | None, counter: TokenCounter) -> Any:
    """A TrainerCallback that reports to the hooks and stops when they ask."""
    return _progress_callback_class()(hooks, counter)


@functools.cache
def _progress_callback_class() -> type:
    """ProgressReporter as a TrainerCallback, made on first use so transformers loads only when training."""
    from transformers import TrainerCallback

    class ProgressCallback(ProgressReporter, TrainerCallback):
        pass

    return ProgressCallback


class ProgressReporter:
    """The progress callback's behaviour: reports to the hooks at most once a second, stops when they ask.

    A plain class, so this module loads without transformers; _progress_callback_class adds the
    TrainerCallback base.
    """

    def __init__(self, hooks: TrainingHooks | None, counter: TokenCounter) -> None:
        self.hooks = hooks
        self.counter = counter
        self.stopped = False
        self.last: dict[str, Any] = {}
        self.loss: float | None = None
        self.learning_rate: float | None = None
        self._sent_at = 0.0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._start = time.monotonic()
        self._start_step = state.global_step
        self._start_tokens = (self.counter.real_tokens, self.counter.trained_tokens)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any) -> None:
        logs = logs or {}
        if "loss" in logs:
            self.loss = float(logs["loss"])
        if "learning_rate" in logs:
            self.learning_rate = float(logs["learning_rate"])
        self._report(state, force=state.global_step >= state.max_steps)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        if self.hooks is not None and self.hooks.should_stop():
            # Save at this step so a resume continues from here, then leave the loop.
            self.stopped = True
            control.should_save = True
            control.should_training_stop = True
        if state.global_step % max(1, args.logging_steps) != 0:  # on_log reports logging steps
            self._report(state)
        return control

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._report(state, force=True)

    def trained_tokens_per_second(self) -> float:
        elapsed = max(time.monotonic() - self._start, 1e-9)
        return (self.counter.trained_tokens - self._start_tokens[1]) / elapsed

    def _report(self, state: Any, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._sent_at < PROGRESS_INTERVAL_S:
            return
        elapsed = max(now - self._start, 1e-9)
        done = state.global_step - self._start_step
        remaining = max(state.max_steps - state.global_step, 0)
        self.last = {
            "step": state.global_step,
            "total_steps": state.max_steps,
            "loss": self.loss,
            "learning_rate": self.learning_rate,
            "tokens_per_second": (self.counter.real_tokens - self._start_tokens[0]) / elapsed,
            "trained_tokens_per_second": self.trained_tokens_per_second(),
            "eta_seconds": elapsed / done * remaining if done else None,
            "epoch": state.epoch,
        }
        self._sent_at = now
        if self.hooks is not None:
            self.hooks.on_progress(dict(self.last))


class TrainingHooks(Protocol):
    def on_progress(self, progress: dict) -> None: ...

    def should_stop(self) -> bool: ...
