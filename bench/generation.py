"""Candidate replies per second: batched generation (32 rows) vs one at a time, as the seed generated.

    .venv/bin/python bench/generation.py [--questions 32] [--n 4] [--batch-size 32] [--max-new-tokens 64]

Both sides use training.generation.Generator on the demo model (built into var/bench-demo-model if needed)
with the seed's sampling settings, on the demo questions as `ユーザー: {q}\\n魔理沙: ` prompts. The baseline
calls generate() for one prompt and one candidate at a time (the seed's loop); ours asks for n candidates of
every prompt in batches of `batch_size` rows with left padding, each row stopping at the separator.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from training.textformat import CharacterSpec, chat_prompt  # noqa: E402

MARISA = CharacterSpec("魔理沙", frozenset({"霧雨魔理沙", "まりさ"}))
SEP = "\n"


def prompts(count: int) -> list[str]:
    lines = (REPO / "annotation" / "demo" / "questions.txt").read_text("utf-8").splitlines()
    questions = [q.strip() for q in lines if q.strip()]
    return [chat_prompt([], questions[i % len(questions)], MARISA, SEP) for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=32)
    parser.add_argument("--n", type=int, default=4, help="candidates per question")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--base-model", default=None, help="default: the demo model")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads (0: torch's default). The demo model's ops are too small for threads to pay, "
        "and on a shared machine idle threads spin: 1 gives steady figures. Both sides run with the same setting.",
    )
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)

    from training.generation import Generator, SamplingSettings

    if args.base_model:
        base = args.base_model
    else:
        from training.demo_model import ensure_demo_model

        base = str(
            ensure_demo_model(REPO / "var" / "bench-demo-model", REPO / "annotation" / "demo" / "corpus.txt")
        )
    gen = Generator.load(base, None, SEP)
    settings = SamplingSettings(max_new_tokens=args.max_new_tokens, seed=0)
    items = prompts(args.questions)
    gen.generate(items[:2], n=1, settings=settings)  # warm-up: first kernels and allocations

    # Interleaved chunk by chunk, so load from other processes hits both sides alike.
    per_batch = max(1, args.batch_size // args.n)
    single_s = batch_s = single_cpu = batch_cpu = 0.0
    one_by_one: list[list[str]] = []
    batched: list[list[str]] = []
    for start in range(0, len(items), per_batch):
        chunk = items[start : start + per_batch]
        t0, c0 = time.perf_counter(), time.process_time()
        batched += gen.generate(chunk, n=args.n, settings=settings, batch_size=args.batch_size)
        t1, c1 = time.perf_counter(), time.process_time()
        one_by_one += [
            [gen.generate([p], settings=settings, batch_size=1)[0][0] for _ in range(args.n)] for p in chunk
        ]
        t2, c2 = time.perf_counter(), time.process_time()
        batch_s, single_s = batch_s + t1 - t0, single_s + t2 - t1
        batch_cpu, single_cpu = batch_cpu + c1 - c0, single_cpu + c2 - c1

    candidates = args.questions * args.n
    assert sum(len(c) for c in batched) == candidates == sum(len(c) for c in one_by_one)
    empty = sum(1 for c in batched for r in c if not r) / candidates
    single_rate, batch_rate = candidates / single_s, candidates / batch_s
    ratio = batch_rate / single_rate
    mean_chars = sum(len(r) for c in batched for r in c) / candidates
    print(f"model {base} on {'cuda' if torch.cuda.is_available() else 'cpu'}; {candidates} candidates")
    print(f"one at a time : {single_rate:8.1f} candidates/s ({single_s:.1f} s)")
    print(f"batch of {args.batch_size:<4} : {batch_rate:8.1f} candidates/s ({batch_s:.1f} s)")
    print(
        f"speedup {ratio:.1f}x (target >= 5x); mean reply {mean_chars:.1f} characters; empty share {empty:.2f}"
    )
    cpu_ratio = single_cpu / batch_cpu
    print(f"same per CPU-second of this process (insensitive to other load): {cpu_ratio:.1f}x")
    print(f"sample: {batched[0][0]!r}")
    print(
        json.dumps(
            {
                "bench": "generation",
                "candidates": candidates,
                "batch_size": args.batch_size,
                "n": args.n,
                "max_new_tokens": args.max_new_tokens,
                "single_candidates_per_s": round(single_rate, 2),
                "batch_candidates_per_s": round(batch_rate, 2),
                "ratio": round(ratio, 2),
                "cpu_time_ratio": round(cpu_ratio, 2),
                "mean_reply_chars": round(mean_chars, 1),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
