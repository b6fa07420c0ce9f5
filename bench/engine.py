"""Candidates per second for a 400-candidate generation job: through the inference engine (vLLM) vs in-process.

    .venv/bin/python bench/engine.py [--questions 200] [--n 2] [--batch-size 32] [--max-new-tokens 64]
                                     [--url http://127.0.0.1:8100/v1]

Both sides answer the same prompts (the demo questions as `ユーザー: {q}\\n魔理沙: `) with the seed's sampling
settings, for one version: the demo model (built into var/bench-demo-model if needed) with a LoRA adapter
(r=8 on every linear layer, small random weights, so replies are as long as the base model's). In-process is the
job's batched Generator (the adapter merged, `batch_size` rows at a time); the engine side is the job's
EngineGenerator (the adapter applied by vLLM per request, batch_size // n requests in flight). Without --url the
engine is started here by `scripts/engine.sh run` (its virtualenv built first if missing) after the in-process
side has run, so neither side competes with the other for the CPU; its start-up time is reported apart.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _torch_threads import add_threads_argument, apply_threads  # noqa: E402

from training.core.textformat import CharacterSpec, chat_prompt  # noqa: E402

MARISA = CharacterSpec("魔理沙", frozenset({"霧雨魔理沙", "まりさ"}))
SEP = "\n"


def prompts(count: int) -> list[str]:
    lines = (REPO / "annotation" / "demo" / "questions.txt").read_text("utf-8").splitlines()
    questions = [q.strip() for q in lines if q.strip()]
    return [chat_prompt([], questions[i % len(questions)], MARISA, SEP) for i in range(count)]


def make_adapter(base: str, out: Path) -> str:
    """A real peft adapter with small non-zero weights: LoRA's compute, the base model's reply lengths."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(base),
        LoraConfig(
            r=8, lora_alpha=16, target_modules="all-linear", init_lora_weights=False, task_type="CAUSAL_LM"
        ),
    )
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.mul_(0.05)
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(base).save_pretrained(out)
    return str(out)


def timed(
    generate: Any, items: list[str], n: int, settings: Any, batch_size: int
) -> tuple[float, list[list[str]]]:
    generate(items[:2], n=1, settings=settings, batch_size=batch_size)  # warm-up
    start = time.perf_counter()
    replies = generate(items, n=n, settings=settings, batch_size=batch_size)
    return time.perf_counter() - start, replies


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_engine(base: str, port: int) -> tuple[subprocess.Popen, float, str]:
    """scripts/engine.sh run on a loopback port; (process, seconds until /health answered, its URL)."""
    from training.core.engine import EngineClient

    env = {**os.environ, "ENGINE_HOST": "127.0.0.1", "ENGINE_PORT": str(port)}
    args = ["--model", base, "--served-model-name", "base", "--enable-lora", "--max-lora-rank", "8"]
    log = open(Path(tempfile.gettempdir()) / "bench-engine.log", "wb")  # noqa: SIM115 (lives with the process)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(REPO / "scripts" / "engine.sh"), "run", *args, "--max-num-seqs", "64"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    client = EngineClient(f"http://127.0.0.1:{port}")
    while not client.health():
        if proc.poll() is not None:
            sys.exit(f"the engine exited; its log is {log.name}")
        time.sleep(1)
    return proc, time.perf_counter() - started, f"http://127.0.0.1:{port}/v1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--n", type=int, default=2, help="candidates per question")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--url", default="", help="a running engine serving the demo model as `base`")
    add_threads_argument(parser)
    args = parser.parse_args()
    apply_threads(args.threads)

    from training.core.demo_model import ensure_demo_model
    from training.core.engine import EngineGenerator
    from training.core.generation import Generator
    from training.core.sampling import SamplingSettings

    base = str(
        ensure_demo_model(REPO / "var" / "bench-demo-model", REPO / "annotation" / "demo" / "corpus.txt")
    )
    adapter = make_adapter(base, Path(tempfile.mkdtemp(prefix="bench-adapter-")))
    settings = SamplingSettings(max_new_tokens=args.max_new_tokens, seed=0)
    items = prompts(args.questions)
    total = args.questions * args.n

    local = Generator.load(base, adapter, SEP)
    local_s, local_replies = timed(local.generate, items, args.n, settings, args.batch_size)
    del local

    proc, startup_s, url = (None, 0.0, args.url) if args.url else start_engine(base, free_port())
    try:
        remote = EngineGenerator.connect(url, "bench-version", base, adapter, SEP)
        engine_s, engine_replies = timed(remote.generate, items, args.n, settings, args.batch_size)
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(60)
    rates = {"in_process": total / local_s, "engine": total / engine_s}
    chars = {
        "in_process": sum(len(r) for rs in local_replies for r in rs) / total,
        "engine": sum(len(r) for rs in engine_replies for r in rs) / total,
    }
    print(f"{total} candidates ({args.questions} questions x {args.n}), max {args.max_new_tokens} new tokens")
    print(
        f"in-process batched ({args.batch_size} rows): {local_s:7.1f} s  {rates['in_process']:7.1f} candidates/s"
    )
    print(
        f"engine ({args.batch_size // args.n} requests in flight): {engine_s:7.1f} s  {rates['engine']:7.1f} candidates/s"
    )
    if proc is not None:
        print(f"engine start-up (not counted): {startup_s:.0f} s")
    print(
        json.dumps(
            {
                "candidates": total,
                "in_process_candidates_per_s": round(rates["in_process"], 2),
                "engine_candidates_per_s": round(rates["engine"], 2),
                "ratio": round(rates["engine"] / rates["in_process"], 2),
                "engine_startup_s": round(startup_s, 1),
                "mean_reply_chars": {k: round(v, 1) for k, v in chars.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
