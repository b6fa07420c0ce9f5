"""Sampling settings for replies: the seed's defaults, read from and written to a job's JSON, and the
matching `generate()` keyword arguments. Plain Python: no Django, no torch.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass
class SamplingSettings:
    """The seed's sampling settings by default; do_sample=False gives greedy, reproducible replies."""

    temperature: float = 0.1
    top_p: float = 0.9
    top_k: int = 20
    no_repeat_ngram_size: int = 2
    repetition_penalty: float = 1.05
    max_new_tokens: int = 64
    do_sample: bool = True
    seed: int | None = None  # set for reproducible sampling

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SamplingSettings:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in names})

    def generate_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "max_new_tokens": self.max_new_tokens,
            "do_sample": self.do_sample,
            "repetition_penalty": self.repetition_penalty,
            "no_repeat_ngram_size": self.no_repeat_ngram_size,
        }
        if self.do_sample:
            kwargs.update(temperature=self.temperature, top_p=self.top_p, top_k=self.top_k)
        else:
            # Say so explicitly: a model's generation_config may carry sampling values of its own.
            kwargs.update(temperature=None, top_p=None, top_k=None)
        return kwargs
