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
    engine_model: str = ""  # its name on the inference engine (training.core.engine); "": read off the key

    def engine_name(self) -> str:
        from training.core.engine import BASE_MODEL_NAME, adapter_name

        if self.engine_model:
            return self.engine_model
        kind, _, pk = self.key.partition(":")
        return adapter_name(int(pk)) if kind == "version" and self.adapter_dir else BASE_MODEL_NAME


def active_model() -> ModelSpec:
    """The active ModelVersion, or the base model without adapter (the demo model out of the box)."""
    from training.train.models import ModelVersion

    return spec_for(ModelVersion.objects.filter(is_active=True).first())


def spec_for(version: Any) -> ModelSpec:
    """The ModelSpec of a ModelVersion; None is the base model without adapter (the playground's baseline too)."""
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
        from training.generate.run import model_generator

        started = time.monotonic()
        # In-process or on the inference engine (MARISA_INFERENCE_URL), as generation jobs and `chat` do.
        generator = model_generator(
            spec.base_model, spec.adapter_dir, spec.line_separator, engine_model=spec.engine_name()
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
