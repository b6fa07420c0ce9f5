"""The inference engine's command line: `python -m marisa_site.engine_cmd` prints vLLM's api_server arguments
for the configured base model and every stored adapter, one per line (scripts/engine.sh runs vLLM with them).

It reads the settings and the database as manage.py does (the environment, then var/up.env); vLLM itself runs
in its own virtualenv and never imports the app.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

# The ranks vLLM accepts for --max-lora-rank; an adapter's r is rounded up to the next one.
VLLM_LORA_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)
MAX_LORAS = 4  # adapters in one batch: a generation job's version and the bot's can share the engine


def adapter_rank(adapter_dir: Path) -> int:
    try:
        return int(json.loads((adapter_dir / "adapter_config.json").read_text("utf-8")).get("r", 8))
    except (OSError, ValueError):
        return 8


def lora_rank(ranks: list[int]) -> int:
    """The smallest rank vLLM accepts that fits every adapter, stored and to come (the training default)."""
    need = max(ranks, default=8)
    return next((r for r in VLLM_LORA_RANKS if r >= need), VLLM_LORA_RANKS[-1])


def engine_arguments() -> list[str]:
    """--model, --served-model-name, --enable-lora and one --lora-modules entry per version on disk."""
    from django.conf import settings

    from training.core.engine import BASE_MODEL_NAME, adapter_name
    from training.train.models import ModelVersion
    from training.train.params import TRAIN_PARAM_DEFAULTS

    base = settings.MARISA_BASE_MODEL or str(settings.MARISA_DEMO_MODEL_DIR)
    if not settings.MARISA_BASE_MODEL and not Path(base).is_dir():
        raise SystemExit(f"engine: the demo model is not built yet ({base}); run `make up` once first")
    modules: list[str] = []
    ranks = [int(TRAIN_PARAM_DEFAULTS["lora_r"])]
    for version in ModelVersion.objects.exclude(adapter_dir="").order_by("pk"):
        path = Path(version.adapter_dir)
        if (path / "adapter_config.json").is_file():
            modules.append(f"{adapter_name(version.pk)}={path}")
            ranks.append(adapter_rank(path))
    args = ["--model", base, "--served-model-name", BASE_MODEL_NAME, "--enable-lora"]
    args += ["--max-lora-rank", str(lora_rank(ranks)), "--max-loras", str(MAX_LORAS)]
    if modules:
        args += ["--lora-modules", *modules]
    return args


def main(argv: list[str] | None = None) -> Any:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marisa_site.settings")
    import django

    from marisa_site.up import load_up_env

    load_up_env(os.environ)
    django.setup()
    print("\n".join(engine_arguments()))


if __name__ == "__main__":
    sys.exit(main())
