"""Candidate replies per second: batched generation (32 rows) vs one at a time, as the seed generated.

    .venv/bin/python bench/generation.py [--questions 96] [--n 4] [--batch-size 32] [--max-new-tokens 64]

All sides use the model and tokenizer of one training.generation.Generator (the demo model, built into
var/bench-demo-model if needed) with the seed's sampling settings, on the demo questions as `ユーザー: {q}\\n魔理沙: ` prompts. The baseline
is the seed's loop: HF generate() for one prompt and one candidate at a time. Ours asks for n candidates of
every prompt in batches of `batch_size` rows with left padding, each row leaving the batch when it reaches the
separator; ours one at a time is measured too, so the gain of batching alone is visible.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=96)
    parser.add_argument("--n", type=int, default=4, help="candidates per question")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--base-model", default=None, help="default: the demo model")
    add_threads_argument(parser)
    args = parser.parse_args()
    apply_threads(args.threads)

    import torch

    from training.core.generation import Generator
    from training.core.sampling import SamplingSettings

    if args.base_model:
        base = args.base_model
    else:
        from training.core.demo_model import ensure_demo_model

        base = str(
            ensure_demo_model(REPO / "var" / "bench-demo-model", REPO / "annotation" / "demo" / "corpus.txt")
        )
    gen = Generator.load(base, None, SEP)
    settings = SamplingSettings(max_new_tokens=args.max_new_tokens, seed=0)
    items = prompts(args.questions)
    gen.generate(items[:2], n=1, settings=settings)  # warm-up: first kernels and allocations

    # Interleaved chunk by chunk, so load from other processes hits all sides alike.
    per_batch = max(1, args.batch_size // args.n)
    wall = {"seed": 0.0, "single": 0.0, "batch": 0.0}
    cpu = dict(wall)
    replies: dict[str, list[str]] = {"seed": [], "single": [], "batch": []}
    sides = {
        "seed": lambda p: [seed_way(gen, p, settings) for _ in range(args.n)],
        "single": lambda p: [gen.generate([p], settings=settings, batch_size=1)[0][0] for _ in range(args.n)],
    }
    for start in range(0, len(items), per_batch):
        chunk = items[start : start + per_batch]
        t0, c0 = time.perf_counter(), time.process_time()
        replies["batch"] += [
            r for c in gen.generate(chunk, n=args.n, settings=settings, batch_size=args.batch_size) for r in c
        ]
        wall["batch"] += time.perf_counter() - t0
        cpu["batch"] += time.process_time() - c0
        for side, one in sides.items():
            t0, c0 = time.perf_counter(), time.process_time()
            replies[side] += [r for p in chunk for r in one(p)]
            wall[side] += time.perf_counter() - t0
            cpu[side] += time.process_time() - c0

    candidates = args.questions * args.n
    assert all(len(r) == candidates for r in replies.values())
    rate = {side: candidates / wall[side] for side in wall}
    ratio = rate["batch"] / rate["seed"]
    batching_ratio = rate["batch"] / rate["single"]
    cpu_ratio = cpu["seed"] / cpu["batch"]
    mean_chars = {side: sum(len(r) for r in rs) / candidates for side, rs in replies.items()}
    print(
        f"model {base} on {'cuda' if torch.cuda.is_available() else 'cpu'}; {candidates} candidates per side"
    )
    print(f"seed's way (HF generate, one at a time): {rate['seed']:8.1f} candidates/s ({wall['seed']:.1f} s)")
    print(
        f"ours, one at a time                    : {rate['single']:8.1f} candidates/s ({wall['single']:.1f} s)"
    )
    print(
        f"ours, batch of {args.batch_size:<3}                     : {rate['batch']:8.1f} candidates/s ({wall['batch']:.1f} s)"
    )
    print(f"batch vs seed's way: {ratio:.1f}x (target >= 5x); vs ours one at a time: {batching_ratio:.1f}x")
    print(f"batch vs seed's way per CPU-second of this process (insensitive to other load): {cpu_ratio:.1f}x")
    print("mean reply characters: " + ", ".join(f"{k} {v:.1f}" for k, v in mean_chars.items()))
    print(f"sample: {replies['batch'][0]!r}")
    print(
        json.dumps(
            {
                "bench": "generation",
                "candidates": candidates,
                "batch_size": args.batch_size,
                "n": args.n,
                "max_new_tokens": args.max_new_tokens,
                "seed_way_candidates_per_s": round(rate["seed"], 2),
                "single_candidates_per_s": round(rate["single"], 2),
                "batch_candidates_per_s": round(rate["batch"], 2),
                "ratio": round(ratio, 2),
                "batching_only_ratio": round(batching_ratio, 2),
                "cpu_time_ratio": round(cpu_ratio, 2),
                "mean_reply_chars": round(mean_chars["batch"], 1),
            },
            ensure_ascii=False,
        )
    )


def seed_way(gen: Any, prompt: str, settings: Any) -> str:
    """The seed's generate(): HF generate() for one prompt, stopping at the separator (as an EOS id)."""
    import torch

    enc = gen.tokenizer(prompt, return_tensors="pt").to(gen.device)
    with torch.no_grad():
        out = gen.model.generate(
            **enc,
            **settings.generate_kwargs(),
            eos_token_id=gen.stop_ids,
            pad_token_id=gen.tokenizer.pad_token_id,
            bad_words_ids=gen._bad_words([prompt]) or None,
        )
    text = gen.tokenizer.decode(out[0, enc["input_ids"].shape[1] :], skip_special_tokens=True)
    return gen._trim(text)


if __name__ == "__main__":
    main()
