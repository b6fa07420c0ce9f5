"""Held-out metrics: character-token loss with and without the adapter, style-marker rate, prompts."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from training.core.textformat import CharacterSpec, Turn

pytestmark = pytest.mark.usefixtures("one_torch_thread")

MARISA = CharacterSpec("魔理沙", frozenset({"霧雨魔理沙"}))


EXCHANGES = [
    [Turn("霊夢", "また来たの"), Turn("魔理沙", "よう、遊びに来てやったぜ"), Turn("霊夢", "帰りなさい")],
    [Turn("アリス", "その本、返しなさいよ"), Turn("霧雨魔理沙", "死ぬまで借りるだけだろ")],
    [Turn("魔理沙", "いい天気だな"), Turn("霊夢", "そうね"), Turn("魔理沙", "昼寝日和なのか？")],
]


def test_style_marker_rate_is_the_share_of_replies_with_any_marker():
    from training.core.evaluation import style_marker_rate

    assert style_marker_rate(["行くぜ", "そうなのか？", "はい、そうです", "わかりました"]) == 0.5
    assert style_marker_rate(["ありがとうございます"]) == 0.0
    assert style_marker_rate([]) is None
    assert style_marker_rate(["ﾀﾞﾛ"], markers=("だろ",)) == 0.0  # NFKC folds width, not kana type
    assert style_marker_rate(["そうだろ"], markers=("だろ",)) == 1.0


def test_heldout_prompts_end_where_the_character_answers_someone():
    from training.core.evaluation import heldout_prompts

    prompts = heldout_prompts(EXCHANGES, MARISA, "\n")
    # Two answers of hers follow another speaker; the one that opens a conversation has nobody to answer.
    assert prompts == [
        "ユーザー: また来たの\n魔理沙: ",
        "ユーザー: その本、返しなさいよ\n魔理沙: ",
        "魔理沙: いい天気だな\nユーザー: そうね\n魔理沙: ",
    ]
    assert heldout_prompts(EXCHANGES, MARISA, "\n", max_prompts=1) == prompts[:1]


@pytest.mark.slow
def test_heldout_loss_counts_only_the_character_tokens(demo_model_dir: Path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from training.core.evaluation import heldout_loss

    tok = AutoTokenizer.from_pretrained(str(demo_model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(demo_model_dir)).eval()
    ids = tok("霊夢: また来たの\n魔理沙: よう、遊びに来てやったぜ\n")["input_ids"]
    cut = len(tok("霊夢: また来たの\n魔理沙: ")["input_ids"])
    short = tok("魔理沙: よう\n")["input_ids"]
    examples = [
        {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": [-100] * cut + ids[cut:]},
        {"input_ids": short, "attention_mask": [1] * len(short), "labels": [-100, -100] + short[2:]},
    ]
    result = heldout_loss(model, tok, examples, batch_size=2)

    # The model's own loss on each example, weighted by its number of predicted tokens, must agree.
    total, count = 0.0, 0
    with torch.no_grad():
        for e in examples:
            out = model(input_ids=torch.tensor([e["input_ids"]]), labels=torch.tensor([e["labels"]]))
            n = sum(1 for x in e["labels"][1:] if x != -100)
            total, count = total + float(out.loss) * n, count + n
    assert result["tokens"] == count == len(ids) - cut + len(short) - 2
    assert result["loss"] == pytest.approx(total / count, rel=1e-4)
    assert result["perplexity"] == pytest.approx(math.exp(total / count), rel=1e-4)
    assert heldout_loss(model, tok, [])["loss"] is None


@pytest.mark.slow
def test_evaluate_compares_the_adapter_with_the_base_model(demo_model_dir: Path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from training.core.evaluation import evaluate

    tok = AutoTokenizer.from_pretrained(str(demo_model_dir))
    base = AutoModelForCausalLM.from_pretrained(str(demo_model_dir))
    model = get_peft_model(base, LoraConfig(r=4, target_modules="all-linear", init_lora_weights=False))
    text = "霊夢: また来たの\n魔理沙: よう、遊びに来てやったぜ\n"
    ids = tok(text)["input_ids"]
    cut = len(tok("霊夢: また来たの\n魔理沙: ")["input_ids"])
    examples = [{"input_ids": ids, "attention_mask": [1] * len(ids), "labels": [-100] * cut + ids[cut:]}]
    model.train()

    metrics = evaluate(model, tok, examples, EXCHANGES, MARISA, "\n")
    assert metrics["loss"] != metrics["base_loss"]  # a random adapter changes the loss; disabling it restores
    assert metrics["eval_tokens"] == len(ids) - cut
    assert metrics["style_prompts"] == 3 and len(metrics["samples"]) == 3
    assert all("\n" not in s["reply"] and "\n" not in s["base_reply"] for s in metrics["samples"])
    assert metrics["style_marker_rate"] in {0.0, 1 / 3, 2 / 3, 1.0}
    assert model.training  # left as found: train() evaluates between training and saving

    # The base figures are those of the plain model, loaded fresh.
    fresh = AutoModelForCausalLM.from_pretrained(str(demo_model_dir))
    bare = evaluate(fresh, tok, examples, [], MARISA, "\n")
    assert bare["loss"] == pytest.approx(metrics["base_loss"], rel=1e-5)
    assert bare["style_marker_rate"] is None and bare["loss"] == bare["base_loss"]
