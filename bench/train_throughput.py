"""Trained tokens per second: dynamic padding (grouped by length) vs padding every row to max length; DPO pairs/s.

    .venv/bin/python bench/train_throughput.py [--steps 30] [--batch-size 8] [--max-length 512] [--no-4bit]
                                               [--gpu-only] [--gpu-shapes 1b,7b]

CPU part: the demo model (built into var/bench-demo-model if needed) through training.qlora's own Trainer set-up,
on demo-corpus conversations with a realistic length mix (mostly short exchanges, a long tail of whole scenes).
The baseline is the seed's way: every row padded to max_length, random order. Same run, same model, same data.
DPO part: pairs per second of the DPO stage (training.core.preference, TRL's DPOTrainer continuing an adapter)
beside SFT examples per second on the same chosen replies.
GPU part (only when CUDA is available): QLoRA tokens/s and peak memory on 1B- and 7B-shaped Llama models with
random weights (speed does not depend on the weights), through the same load_peft_model + make_trainer.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import atexit
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _torch_threads import add_threads_argument, apply_threads  # noqa: E402

from training.core.textformat import CharacterSpec, Turn  # noqa: E402

MARISA = CharacterSpec("魔理沙", frozenset({"霧雨魔理沙", "まりさ"}))
SEP = "\n"

# name -> LlamaConfig fields (TinyLlama-1.1B and Llama-2-7B shapes)
GPU_SHAPES: dict[str, dict[str, int]] = {
    "1b": {
        "hidden_size": 2048,
        "intermediate_size": 5632,
        "num_hidden_layers": 22,
        "num_attention_heads": 32,
        "num_key_value_heads": 4,
    },
    "7b": {
        "hidden_size": 4096,
        "intermediate_size": 11008,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 32,
    },
}


def demo_model_dir() -> Path:
    from training.core.demo_model import ensure_demo_model

    return ensure_demo_model(REPO / "var" / "bench-demo-model", REPO / "annotation" / "demo" / "corpus.txt")


def length_mix(n: int, seed: int = 0) -> list[list[Turn]]:
    """Conversations of the demo corpus, lines per conversation log-normal (median ~5, tail to whole scenes)."""
    from training.core.demo_model import corpus_lines

    turns = [Turn(s, t) for s, t in corpus_lines(REPO / "annotation" / "demo" / "corpus.txt")]
    rng = random.Random(seed)
    conversations = []
    for _ in range(n):
        size = max(2, min(len(turns), int(rng.lognormvariate(1.6, 0.9))))
        start = rng.randrange(0, len(turns) - size + 1)
        conversations.append(turns[start : start + size])
    return conversations


class StepClock:
    """Times each optimiser step (a TrainerCallback made lazily so torch loads inside main)."""

    @staticmethod
    def make() -> Any:
        from transformers import TrainerCallback

        class _Clock(TrainerCallback):
            def __init__(self) -> None:
                self.times: list[float] = []
                self.cpu: list[float] = []  # process CPU time: steadier than wall time on a shared machine

            def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
                self.times.append(time.perf_counter())
                self.cpu.append(time.process_time())

        return _Clock()


def run_mode(
    base: str,
    examples: list[dict],
    tokenizer: Any,
    steps: int,
    batch: int,
    max_length: int,
    four_bit: bool,
    dynamic: bool,
) -> dict[str, float]:
    from transformers import DataCollatorForSeq2Seq

    from training.core.qlora import TrainConfig, load_peft_model, make_trainer

    out = tempfile.mkdtemp(prefix="bench-train-")
    atexit.register(shutil.rmtree, out, True)
    config = TrainConfig(
        base_model=base,
        output_dir=out,
        max_seq_length=max_length,
        load_in_4bit=four_bit,
        max_steps=steps,
        per_device_batch_size=batch,
        group_by_length=dynamic,
        save_steps=10**9,
        save_total_limit=1,
        logging_steps=10**9,
    )
    collator = None
    if not dynamic:  # the seed: every row padded to max_length
        collator = DataCollatorForSeq2Seq(
            tokenizer, padding="max_length", max_length=max_length, label_pad_token_id=-100
        )
    model = load_peft_model(config)
    trainer, callback = make_trainer(model, tokenizer, examples, config, collator=collator, quiet=True)
    clock = StepClock.make()
    trainer.add_callback(clock)
    trainer.train()
    batches = callback.counter.batches[: len(clock.times)]
    # Step 1 warms up (allocations, first kernels): measure steps 2..N against their own batches.
    elapsed = clock.times[-1] - clock.times[0]
    measured = batches[1:]
    real = sum(b[0] for b in measured)
    trained = sum(b[1] for b in measured)
    slots = sum(b[2] for b in measured)
    cpu = clock.cpu[-1] - clock.cpu[0]
    return {
        "trained_tokens_per_cpu_s": trained / cpu,
        "trained_tokens_per_s": trained / elapsed,
        "real_tokens_per_s": real / elapsed,
        "slots_per_s": slots / elapsed,
        "padding_share": 1 - real / slots,
        "steps_measured": len(measured),
        "seconds": elapsed,
    }


def cpu_section(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from training.core.labels import build_examples
    from training.core.loader import load_tokenizer

    torch.manual_seed(0)
    base = str(demo_model_dir())
    tokenizer = load_tokenizer(base, padding_side="right")
    examples, stats = build_examples(length_mix(args.conversations), tokenizer, MARISA, SEP, args.max_length)
    lengths = sorted(len(e["input_ids"]) for e in examples)
    print(
        f"{len(examples)} examples: tokens min {lengths[0]}, median {lengths[len(lengths) // 2]}, "
        f"mean {sum(lengths) / len(lengths):.0f}, max {lengths[-1]} (max_length {args.max_length}); "
        f"trained share {stats['trained_tokens'] / stats['tokens']:.2f}"
    )
    results = {}
    for name, dynamic in (("max_length", False), ("dynamic", True)):
        r = run_mode(
            base, examples, tokenizer, args.steps, args.batch_size, args.max_length, not args.no_4bit, dynamic
        )
        results[name] = r
        print(
            f"{name:>10}: {r['trained_tokens_per_s']:8.0f} trained tok/s, {r['real_tokens_per_s']:8.0f} real tok/s, "
            f"padding share {r['padding_share']:.2f} ({r['steps_measured']} steps, {r['seconds']:.1f} s)"
        )
    ratio = results["dynamic"]["trained_tokens_per_s"] / results["max_length"]["trained_tokens_per_s"]
    cpu_ratio = (
        results["dynamic"]["trained_tokens_per_cpu_s"] / results["max_length"]["trained_tokens_per_cpu_s"]
    )
    print(f"dynamic / max_length trained tokens per second: {ratio:.2f}x (target >= 2x)")
    print(f"same per CPU-second of this process (insensitive to other load): {cpu_ratio:.2f}x")
    return {
        "four_bit": not args.no_4bit,
        "batch_size": args.batch_size,
        "max_length": args.max_length,
        "examples": len(examples),
        "mean_tokens": sum(lengths) / len(lengths),
        "dynamic_trained_tokens_per_s": round(results["dynamic"]["trained_tokens_per_s"], 1),
        "max_length_trained_tokens_per_s": round(results["max_length"]["trained_tokens_per_s"], 1),
        "dynamic_padding_share": round(results["dynamic"]["padding_share"], 3),
        "max_length_padding_share": round(results["max_length"]["padding_share"], 3),
        "ratio": round(ratio, 2),
        "cpu_time_ratio": round(cpu_ratio, 2),
    }


def style_pairs(n: int) -> list[Any]:
    """DPO pairs from the demo corpus: the line said to her is the question; her real line is chosen, and a line
    of hers from elsewhere in the corpus is rejected."""
    from training.core.demo_model import corpus_lines
    from training.core.preference_data import PreferencePair
    from training.core.textformat import chat_prompt

    turns = list(corpus_lines(REPO / "annotation" / "demo" / "corpus.txt"))
    hers = [
        i
        for i in range(1, len(turns))
        if MARISA.is_character(turns[i][0]) and not MARISA.is_character(turns[i - 1][0])
    ]
    pairs = []
    for k in range(n):
        i, j = hers[k % len(hers)], hers[(k * 7 + 3) % len(hers)]
        prompt = chat_prompt([], turns[i - 1][1], MARISA, SEP)
        pairs.append(PreferencePair(f"p{k}", prompt, turns[i][1] + SEP, turns[j][1] + SEP, "edit"))
    return pairs


def dpo_section(args: argparse.Namespace) -> dict[str, Any]:
    """DPO pairs per second through training.core.preference's TRL trainer, beside SFT on the chosen replies
    (examples per second) in the same run, on the same model and rows."""
    from training.core.loader import load_tokenizer
    from training.core.preference import make_preference_trainer
    from training.core.preference_data import pair_features
    from training.core.qlora import TrainConfig, load_peft_model, make_trainer

    base = str(demo_model_dir())
    out = Path(tempfile.mkdtemp(prefix="bench-dpo-"))
    atexit.register(shutil.rmtree, str(out), True)
    tokenizer = load_tokenizer(base, padding_side="right")
    common = {"base_model": base, "max_seq_length": args.max_length, "load_in_4bit": not args.no_4bit}
    common.update(
        max_steps=args.steps, per_device_batch_size=args.batch_size, save_steps=10**9, logging_steps=10**9
    )
    load_peft_model(TrainConfig(output_dir=str(out / "parent"), **common)).save_pretrained(out / "parent")
    pairs = pair_features(tokenizer, style_pairs(args.steps * args.batch_size), SEP)
    sft_rows = [
        {"input_ids": f["prompt_ids"] + f["chosen_ids"], "attention_mask": [1] * (len(f["prompt_ids"]) + len(f["chosen_ids"])),
         "labels": [-100] * len(f["prompt_ids"]) + f["chosen_ids"]}
        for f in pairs
    ]  # fmt: skip
    rates = {}
    for name in ("sft", "dpo"):
        config = TrainConfig(
            output_dir=str(out / name), stage=name, from_adapter=str(out / "parent"), **common
        )
        model = load_peft_model(config)
        if name == "dpo":
            trainer, _ = make_preference_trainer(model, tokenizer, pairs, config, None)
        else:
            trainer, _ = make_trainer(model, tokenizer, sft_rows, config, quiet=True)
        clock = StepClock.make()
        trainer.add_callback(clock)
        trainer.train()
        rates[name] = (len(clock.times) - 1) * args.batch_size / (clock.times[-1] - clock.times[0])
        print(f"{name:>10}: {rates[name]:8.1f} {'pairs' if name == 'dpo' else 'examples'}/s")
    ratio = rates["dpo"] / rates["sft"]
    print(
        f"DPO pairs/s / SFT examples/s: {ratio:.2f}x (a pair is two sequences plus the reference's forward)"
    )
    return {
        "dpo_pairs_per_s": round(rates["dpo"], 2),
        "sft_examples_per_s": round(rates["sft"], 2),
        "dpo_ratio": round(ratio, 2),
    }


def random_llama(shape: dict[str, int], tokenizer_dir: Path, out: Path) -> Path:
    """A random-weight Llama of the given shape saved in bf16, with the demo tokenizer beside it."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=32000, max_position_embeddings=4096, **shape)
    with torch.device("cuda"):
        torch.set_default_dtype(torch.bfloat16)
        try:
            model = LlamaForCausalLM(config)
        finally:
            torch.set_default_dtype(torch.float32)
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(str(tokenizer_dir)).save_pretrained(out)
    del model
    torch.cuda.empty_cache()
    return out


def synthetic_examples(n: int, max_length: int, seed: int = 0) -> list[dict]:
    """Random ids with a chat-like length mix; half of each row's tokens are the character's (trained)."""
    rng = random.Random(seed)
    examples = []
    for _ in range(n):
        length = max(16, min(max_length, int(rng.lognormvariate(5.6, 0.6))))
        ids = [rng.randrange(3, 2000) for _ in range(length)]
        labels = [x if (i // 24) % 2 else -100 for i, x in enumerate(ids)]
        examples.append({"input_ids": ids, "attention_mask": [1] * length, "labels": labels})
    return examples


def gpu_section(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from training.core.loader import load_tokenizer
    from training.core.qlora import TrainConfig, load_peft_model, make_trainer

    tokenizer_dir = demo_model_dir()
    results: dict[str, Any] = {"device": torch.cuda.get_device_name(0)}
    for name in args.gpu_shapes.split(","):
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
            base = random_llama(GPU_SHAPES[name], tokenizer_dir, Path(tmp) / "model")
            tokenizer = load_tokenizer(str(base), padding_side="right")
            examples = synthetic_examples(args.gpu_steps * args.gpu_batch_size * 2, args.gpu_max_length)
            for packing in (False, True):
                config = TrainConfig(
                    base_model=str(base),
                    output_dir=str(Path(tmp) / "run"),
                    max_seq_length=args.gpu_max_length,
                    max_steps=args.gpu_steps,
                    per_device_batch_size=args.gpu_batch_size,
                    gradient_checkpointing=True,
                    packing=packing,
                    save_steps=10**9,
                    logging_steps=10**9,
                )
                torch.cuda.reset_peak_memory_stats()
                model = load_peft_model(config, packing=packing)
                trainer, callback = make_trainer(
                    model, tokenizer, examples, config, packing=packing, quiet=True
                )
                clock = StepClock.make()
                trainer.add_callback(clock)
                trainer.train()
                measured = callback.counter.batches[1 : len(clock.times)]
                elapsed = clock.times[-1] - clock.times[0]
                key = f"{name}{'_packed' if packing else ''}"
                results[key] = {
                    "tokens_per_s": round(sum(b[0] for b in measured) / elapsed, 1),
                    "trained_tokens_per_s": round(sum(b[1] for b in measured) / elapsed, 1),
                    "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2),
                    "attention": model.config._attn_implementation,
                }
                print(f"GPU {key}: {results[key]}")
                del trainer, model
                torch.cuda.empty_cache()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--conversations", type=int, default=400)
    parser.add_argument("--no-4bit", action="store_true", help="plain LoRA instead of QLoRA on the CPU")
    parser.add_argument("--gpu-only", action="store_true")
    parser.add_argument("--gpu-shapes", default="1b,7b")
    parser.add_argument("--gpu-steps", type=int, default=20)
    parser.add_argument("--gpu-batch-size", type=int, default=4)
    parser.add_argument("--gpu-max-length", type=int, default=1024)
    add_threads_argument(parser)
    args = parser.parse_args()
    apply_threads(args.threads)

    import torch

    summary: dict[str, Any] = {"bench": "train_throughput"}
    if not args.gpu_only:
        summary.update(cpu_section(args))
        summary["dpo"] = dpo_section(args)
    if torch.cuda.is_available():
        summary["gpu"] = gpu_section(args)
    else:
        summary["gpu"] = None
        print("no CUDA device: GPU section skipped")
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
