"""How far a merged model drifts from base + adapter: greedy tokens and the largest logit difference.

Plain Python (no Django); torch, transformers and peft are imported inside the functions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DRIFT_NEW_TOKENS = 24


def measure_drift(
    base_model: str, adapter_dir: str, merged_dir: Path, prompts: Sequence[str]
) -> dict[str, Any]:
    """The merged model (read back as users will) against base + adapter, in fp32 arithmetic.

    Two references: the unquantised base with the adapter unmerged (what merging should equal), and, for an
    adapter trained in 4-bit, the NF4 base + adapter it was trained and is served on a GPU with (QLoRA's
    drift: the merged weights are the unquantised base's, not the ones the adapter learnt against).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(adapter_dir)
    merged = AutoModelForCausalLM.from_pretrained(str(merged_dir), dtype=torch.float32).eval()
    result: dict[str, Any] = {}
    result["vs_unquantised_base_plus_adapter"] = compare(
        _reference(base_model, adapter_dir, False), merged, tokenizer, prompts
    )
    if _trained_in_4bit(adapter_dir) and _bitsandbytes_works():
        result["vs_4bit_base_plus_adapter"] = compare(
            _reference(base_model, adapter_dir, True), merged, tokenizer, prompts
        )
    return result


def _reference(base_model: str, adapter_dir: str, four_bit: bool) -> Any:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"dtype": torch.float32}
    if four_bit:
        from training.core.loader import quantization_config

        kwargs.update(quantization_config=quantization_config(), device_map={"": "cpu"})
    base = AutoModelForCausalLM.from_pretrained(base_model, **kwargs)
    return PeftModel.from_pretrained(base, adapter_dir).eval()


def _trained_in_4bit(adapter_dir: str) -> bool:
    config = Path(adapter_dir) / "training_config.json"
    if not config.is_file():
        return False
    return bool(json.loads(config.read_text("utf-8")).get("load_in_4bit"))


def _bitsandbytes_works() -> bool:
    import importlib.util

    return importlib.util.find_spec("bitsandbytes") is not None


def compare(reference: Any, merged: Any, tokenizer: Any, prompts: Sequence[str]) -> dict[str, Any]:
    """Greedy tokens (plain argmax, no stop) and logits over the reference's greedy text, prompt by prompt."""
    import torch
    from transformers import GenerationConfig

    greedy = GenerationConfig(
        do_sample=False,
        max_new_tokens=DRIFT_NEW_TOKENS,
        min_new_tokens=DRIFT_NEW_TOKENS,
        pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
    )
    # Plain argmax on both sides: the exported sampling and stop strings are not part of the comparison.
    reference.generation_config = merged.generation_config = greedy
    equal, max_diff, ranges, agree, positions = 0, 0.0, 0.0, 0, 0
    with torch.no_grad():
        for prompt in prompts:
            ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
            ref_out = reference.generate(input_ids=ids)
            new_out = merged.generate(input_ids=ids)
            equal += int(torch.equal(ref_out, new_out))
            ref_logits = reference(input_ids=ref_out).logits.float()
            new_logits = merged(input_ids=ref_out).logits.float()
            max_diff = max(max_diff, float((ref_logits - new_logits).abs().max()))
            ranges = max(ranges, float(ref_logits.max() - ref_logits.min()))
            agree += int((ref_logits.argmax(-1) == new_logits.argmax(-1)).sum())
            positions += ref_logits.shape[1]
    return {
        "prompts": len(prompts),
        "new_tokens": DRIFT_NEW_TOKENS,
        "greedy_equal": equal,
        "max_logit_diff": round(max_diff, 6),
        "logit_range": round(ranges, 3),
        "top1_agreement": round(agree / max(1, positions), 4),
    }


def readme_drift(drift: dict[str, Any]) -> str:
    lines = ["\n## Drift from base + adapter (measured when exported)\n"]
    names = {
        "vs_unquantised_base_plus_adapter": "the unquantised base with the adapter unmerged",
        "vs_4bit_base_plus_adapter": "the 4-bit (NF4) base with the adapter, as it was trained",
    }
    for key, d in drift.items():
        lines.append(
            f"- Against {names.get(key, key)}: greedy continuations equal for {d['greedy_equal']} of "
            f"{d['prompts']} prompts ({d['new_tokens']} tokens each); largest logit difference "
            f"{d['max_logit_diff']:.4g} (logits span {d['logit_range']:.4g}); top token agrees at "
            f"{100 * d['top1_agreement']:.1f}% of positions."
        )
    if "vs_4bit_base_plus_adapter" in drift:
        lines.append(
            "\nA QLoRA adapter learnt against the 4-bit weights; merged into the unquantised base it answers "
            "slightly differently. Judge the merged model by its replies, not by the adapter's figures."
        )
    return "\n".join(lines) + "\n"
