"""The model side of a reply: which model answers, loaded once per worker process, and the prompt history.

Runs only in the Celery worker: torch and transformers are imported inside functions, never when
the web process imports this app.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from line_bot.history import history_turns
from line_bot.models import Message

log = logging.getLogger(__name__)
_lock = threading.Lock()
_cache: dict[
    str, Any
] = {}  # key of the model spec -> Generator; one entry, replaced when the active version changes


@dataclass(frozen=True)
class ModelSpec:
    key: str
    name: str
    base_model: str
    adapter_dir: str | None
    line_separator: str


def active_model() -> ModelSpec:
    """The active ModelVersion, or the base model without adapter (the demo model out of the box)."""
    from training.train.models import ModelVersion

    version = ModelVersion.objects.filter(is_active=True).first()
    if version is not None:
        return ModelSpec(
            f"version:{version.pk}",
            version.name,
            version.base_model,
            version.adapter_dir or None,
            version.line_separator,
        )
    base = settings.MARISA_BASE_MODEL or str(settings.MARISA_DEMO_MODEL_DIR)
    return ModelSpec(
        f"base:{base}", f"{base} (no adapter)", base, None, settings.MARISA_LINE_SEPARATOR or "\n"
    )


def generator_for(spec: ModelSpec) -> Any:
    with _lock:
        found = _cache.get(spec.key)
        if found is not None:
            return found
        import torch

        from training.core.generation import Generator

        started = time.monotonic()
        use_4bit = bool(settings.MARISA_LOAD_IN_4BIT and torch.cuda.is_available())
        generator = Generator.load(
            spec.base_model, spec.adapter_dir, spec.line_separator, load_in_4bit=use_4bit
        )
        _cache.clear()  # keep one model in memory: the previous active version is dropped
        _cache[spec.key] = generator
        log.info("loaded %s for LINE replies in %.1fs", spec.name, time.monotonic() - started)
        return generator


def answer(inbound: Message) -> tuple[str, str, float]:
    """Generate the character's reply to `inbound`: (text, model name, seconds)."""
    from training.core.sampling import SamplingSettings

    spec = active_model()
    generator = generator_for(spec)
    from annotation.corpus.models import Character

    character = Character.default().spec()
    started = time.monotonic()
    text = generator.reply(
        history_turns(inbound, character),
        inbound.text,
        character,
        SamplingSettings(),
        history_token_budget=settings.LINE_HISTORY_TOKEN_BUDGET,
    )
    return text.strip(), spec.name, time.monotonic() - started
