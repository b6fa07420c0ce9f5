"""Sampling options shared by `chat` and `generate` (defaults: the seed's settings)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from training.generate.run import SAMPLING_DEFAULTS


def add_sampling_arguments(parser: CommandParser) -> None:
    d = SAMPLING_DEFAULTS
    parser.add_argument("--temperature", type=float, default=d["temperature"])
    parser.add_argument("--top-p", type=float, default=d["top_p"])
    parser.add_argument("--top-k", type=int, default=d["top_k"])
    parser.add_argument("--no-repeat-ngram-size", type=int, default=d["no_repeat_ngram_size"])
    parser.add_argument("--repetition-penalty", type=float, default=d["repetition_penalty"])
    parser.add_argument("--max-new-tokens", type=int, default=d["max_new_tokens"])
    parser.add_argument("--greedy", action="store_true", help="no sampling: the most likely tokens")
    parser.add_argument("--seed", type=int, default=None, help="seed for reproducible sampling")


def sampling_from_options(options: dict[str, Any]) -> dict[str, Any]:
    return {
        "temperature": options["temperature"],
        "top_p": options["top_p"],
        "top_k": options["top_k"],
        "no_repeat_ngram_size": options["no_repeat_ngram_size"],
        "repetition_penalty": options["repetition_penalty"],
        "max_new_tokens": options["max_new_tokens"],
        "do_sample": not options["greedy"],
        "seed": options["seed"],
    }
