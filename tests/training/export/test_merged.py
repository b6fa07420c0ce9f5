"""The merged export: plain transformers loads it, and it answers as base + adapter does."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.training.export.conftest import MARISA, assert_same_greedy

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]

PROMPTS = ["よう、元気か？", "魔法を見せてくれよ", "今日は何をするんだ？"]


def _greedy(model, tokenizer, prompt: str) -> list[int]:
    enc = tokenizer(prompt, return_tensors="pt")
    # Plain greedy (no repetition penalty, no n-gram ban) with the exported stops: the two models' logits then
    # decide alone, and a different token can only be a float tie, which assert_same_greedy checks.
    out = model.generate(
        **enc, do_sample=False, repetition_penalty=1.0, no_repeat_ngram_size=0, tokenizer=tokenizer
    )
    return out[0, enc["input_ids"].shape[1] :].tolist()


def test_merged_model_loads_with_plain_transformers_and_replies_as_base_plus_adapter(spec, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from training.core.export import export_merged
    from training.core.textformat import chat_prompt

    notes = export_merged(spec, tmp_path / "merged")

    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "merged")
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "merged", dtype=torch.float32)
    base = AutoModelForCausalLM.from_pretrained(spec.base_model, dtype=torch.float32)
    reference = PeftModel.from_pretrained(base, spec.adapter_dir)
    reference.generation_config = merged.generation_config  # the same sampling and stops on both sides
    for question in PROMPTS:
        prompt = chat_prompt([], question, MARISA, "\n")
        tokens = _greedy(merged, tokenizer, prompt)
        assert_same_greedy(merged, tokenizer, prompt, tokens, _greedy(reference, tokenizer, prompt))
        reply = tokenizer.decode(tokens, skip_special_tokens=True)
        assert "\n" not in reply.rstrip("\n")  # it stops at the line separator
    drift = notes["drift"]["vs_unquantised_base_plus_adapter"]
    assert drift["greedy_equal"] == drift["prompts"] and drift["max_logit_diff"] < 0.05


def test_the_apps_greedy_reply_is_the_same_from_the_merged_folder(spec, tmp_path):
    from training.core.export import export_merged
    from training.core.generation import Generator
    from training.core.sampling import SamplingSettings

    export_merged(spec, tmp_path / "merged")
    greedy = SamplingSettings(do_sample=False, repetition_penalty=1.0, no_repeat_ngram_size=0)
    served = Generator.load(spec.base_model, spec.adapter_dir, "\n")
    exported = Generator.load(str(tmp_path / "merged"), None, "\n")
    for question in PROMPTS:
        prompt = exported.prompt_for([], question, MARISA)
        ours, theirs = (
            g.tokenizer(g.reply([], question, MARISA, greedy), add_special_tokens=False)["input_ids"]
            for g in (exported, served)
        )
        if ours != theirs:  # the text differs: only a float tie at the first different token may explain it
            assert_same_greedy(exported.model, exported.tokenizer, prompt, ours, theirs)


def test_generation_config_has_the_seeds_sampling_and_the_separator_as_stop(spec, tmp_path):
    from transformers import AutoTokenizer, GenerationConfig

    from training.core.base_models import resolve_base_model
    from training.core.export import export_merged

    export_merged(spec, tmp_path / "merged")
    config = GenerationConfig.from_pretrained(tmp_path / "merged")
    assert (config.temperature, config.top_p, config.top_k) == (0.1, 0.9, 20)
    assert (config.no_repeat_ngram_size, config.repetition_penalty, config.do_sample) == (2, 1.05, True)
    assert config.stop_strings == ["\n"]
    newline = AutoTokenizer.from_pretrained(tmp_path / "merged").convert_tokens_to_ids("\n")
    assert newline in config.eos_token_id
    # The folder can be a base model itself: it says its separator.
    assert resolve_base_model(str(tmp_path / "merged")).line_separator == "\n"
    readme = (tmp_path / "merged" / "EXPORT.md").read_text("utf-8")
    assert "魔理沙: " in readme and "Drift" in readme


def test_four_bit_trained_adapter_reports_its_drift_from_the_quantised_base(spec, tmp_path):
    from training.core.export import export_merged

    drift = export_merged(spec, tmp_path / "merged")["drift"]
    qlora = drift["vs_4bit_base_plus_adapter"]
    exact = drift["vs_unquantised_base_plus_adapter"]
    # Merging into the unquantised base is not what the adapter was trained on: the 4-bit gap dominates.
    assert qlora["max_logit_diff"] > 10 * exact["max_logit_diff"]
    assert 0 <= qlora["greedy_equal"] <= qlora["prompts"] and 0 < qlora["top1_agreement"] <= 1


def test_adapter_zip_holds_the_adapter_with_its_notes_and_loads_with_peft(spec, tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from training.core.export import adapter_zip

    data = b"".join(adapter_zip(spec))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(tmp_path)
    folder = next(tmp_path.glob("*-adapter"))
    notes = json.loads((folder / "marisa_export.json").read_text("utf-8"))
    assert notes["prompt"]["stop"] == ["\n"] and notes["sampling"]["temperature"] == 0.1
    PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(spec.base_model), str(folder))


def test_a_missing_base_model_is_a_one_line_error(spec, tmp_path):
    from training.core.export import ExportError, export_merged

    spec.base_model = str(tmp_path / "gone")
    with pytest.raises(ExportError) as caught:
        export_merged(spec, tmp_path / "out")
    assert "\n" not in str(caught.value) and "gone" in str(caught.value)
