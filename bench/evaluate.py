"""Time to score one model version on a 200-question evaluation set: batched vs one at a time.

    .venv/bin/python bench/evaluate.py [--questions 200] [--batch-size 8] [--threads 1]

Scoring is what `manage.py evaluate` runs per version (training.core.rescoring.score_model): her-token
perplexity with the adapter and without it, then greedy replies of both to every question (style and
forbidden markers, chrF, distinct-2). The set is the demo corpus's scenes, repeated until they hold the
questions asked (the line said to her before each of hers, harvested as `evaluate` harvests them); the
version is the demo model with a random LoRA adapter. Batched: `--batch-size` rows per forward pass for the
perplexity, four times that per generation batch (as `evaluate` runs); one at a time: one row each. Both sides
run in this process, one after the other, and must agree on the perplexity. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _torch_threads import add_threads_argument, apply_threads  # noqa: E402

from training.core.harvest import harvest_pairs  # noqa: E402
from training.core.textformat import CharacterSpec, Turn  # noqa: E402

MARISA = CharacterSpec("魔理沙", frozenset({"霧雨魔理沙", "まりさ"}))
SEP = "\n"
LINE = re.compile(r"^(?P<speaker>[^「」（）■\s]+)「(?P<text>.*)」$")


def demo_scenes() -> list[list[Turn]]:
    """The demo corpus's scenes as turns (a `■` heading starts a scene; stage directions are skipped)."""
    scenes: list[list[Turn]] = []
    for raw in (REPO / "annotation" / "demo" / "corpus.txt").read_text("utf-8").splitlines():
        if raw.startswith("■"):
            scenes.append([])
        elif (m := LINE.match(raw.strip())) and scenes:
            scenes[-1].append(Turn(m["speaker"], m["text"]))
    return [s for s in scenes if s]


def question_set(count: int) -> list[list[Turn]]:
    """Scenes, repeated in order, until they hold `count` harvested questions."""
    scenes, out = demo_scenes(), []
    while len(harvest_pairs(out, MARISA)) < count:
        out.append(scenes[len(out) % len(scenes)])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument(
        "--batch-size", type=int, default=8, help="rows per perplexity pass (x4 per generation)"
    )
    parser.add_argument("--base-model", default=None, help="default: the demo model")
    add_threads_argument(parser)
    args = parser.parse_args()
    apply_threads(args.threads)

    import torch

    from training.core.rescoring import EvalSet

    model, tokenizer, base = load_version(args.base_model)
    conversations = question_set(args.questions)
    sides = {
        "batched": {"batch_size": args.batch_size},
        "single": {"batch_size": 1, "generation_batch_size": 1},
    }
    figures: dict[str, dict[str, Any]] = {}
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    score(model, tokenizer, EvalSet(conversations[:2], MARISA, max_questions=4))  # warm-up
    for side, options in sides.items():
        eval_set = EvalSet(conversations, MARISA, max_questions=args.questions, options=options)
        t0, c0 = time.perf_counter(), time.process_time()
        figures[side] = score(model, tokenizer, eval_set)
        wall[side], cpu[side] = time.perf_counter() - t0, time.process_time() - c0

    batched, single = figures["batched"], figures["single"]
    assert batched["questions"] == single["questions"] == args.questions
    ppl_agree = abs(batched["perplexity"] - single["perplexity"]) <= 1e-3 * single["perplexity"]
    same_replies = sum(
        a["reply"] == b["reply"] for a, b in zip(batched["answers"], single["answers"], strict=True)
    ) / max(1, len(single["answers"]))
    ratio = wall["single"] / wall["batched"]
    print(f"model {base} (+ random LoRA) on {'cuda' if torch.cuda.is_available() else 'cpu'}")
    print(
        f"evaluation set: {len(conversations)} scenes, {args.questions} questions, "
        f"{batched['eval_tokens']} of her tokens"
    )
    for side in sides:
        print(
            f"{side:8}: {wall[side]:7.1f} s wall, {cpu[side]:7.1f} s CPU, {args.questions / wall[side]:6.1f} q/s"
        )
    print(f"batched vs one at a time: {ratio:.1f}x (CPU time {cpu['single'] / cpu['batched']:.1f}x)")
    print(
        f"perplexity batched {batched['perplexity']:.3f} / single {single['perplexity']:.3f}"
        f" ({'agree' if ppl_agree else 'DIFFER'}); first replies identical: {same_replies:.0%}"
    )
    print(
        json.dumps(
            {
                "bench": "evaluate",
                "questions": args.questions,
                "batch_size": args.batch_size,
                "batched_s": round(wall["batched"], 2),
                "single_s": round(wall["single"], 2),
                "ratio": round(ratio, 2),
                "cpu_time_ratio": round(cpu["single"] / cpu["batched"], 2),
                "perplexity_agrees": ppl_agree,
                "perplexity": round(batched["perplexity"], 3),
                "reference_score": round(batched["reference_score"], 2),
            }
        )
    )


def load_version(base_model: str | None) -> tuple[Any, Any, str]:
    """The base model with a random (not zero) LoRA adapter: a version whose replies differ from the base."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from training.core.loader import load_tokenizer

    if base_model:
        base = base_model
    else:
        from training.core.demo_model import ensure_demo_model

        base = str(
            ensure_demo_model(REPO / "var" / "bench-demo-model", REPO / "annotation" / "demo" / "corpus.txt")
        )
    torch.manual_seed(0)
    lora = LoraConfig(r=8, target_modules="all-linear", task_type="CAUSAL_LM", init_lora_weights=False)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(base), lora)
    if torch.cuda.is_available():
        model = model.cuda()
    return model, load_tokenizer(base, "right"), base


def score(model: Any, tokenizer: Any, eval_set: Any) -> dict[str, Any]:
    from training.core.rescoring import score_model

    return score_model(model, tokenizer, eval_set, SEP)


if __name__ == "__main__":
    main()
