"""evaluate() on the demo model: every figure of a version and of its base, and the replies kept for pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.core.textformat import CharacterSpec, Turn

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]

MARISA = CharacterSpec("魔理沙", frozenset({"霧雨魔理沙"}))
EXCHANGES = [
    [Turn("霊夢", "また来たの"), Turn("魔理沙", "よう、遊びに来てやったぜ"), Turn("霊夢", "帰りなさい")],
    [Turn("アリス", "その本、返しなさいよ"), Turn("霧雨魔理沙", "死ぬまで借りるだけだろ")],
    [Turn("魔理沙", "いい天気だな"), Turn("霊夢", "そうね"), Turn("魔理沙", "昼寝日和なのか？")],
]


def _peft_model(demo_model_dir: Path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(demo_model_dir))
    base = AutoModelForCausalLM.from_pretrained(str(demo_model_dir))
    return get_peft_model(base, LoraConfig(r=4, target_modules="all-linear", init_lora_weights=False)), tok


def test_evaluate_scores_replies_of_the_version_and_of_the_base(demo_model_dir: Path):
    from training.core.evaluation import evaluate

    model, tok = _peft_model(demo_model_dir)
    seen: list[tuple[int, int]] = []
    metrics = evaluate(model, tok, [], EXCHANGES, MARISA, "\n", progress=lambda d, t: seen.append((d, t)))

    assert metrics["questions"] == 3
    for key in ("style_marker_rate", "forbidden_marker_rate", "reference_score", "distinct_2"):
        assert metrics[key] is not None and metrics[f"base_{key}"] is not None
    assert 0 <= metrics["reference_score"] <= 100 and 0 <= metrics["distinct_2"] <= 1
    # The replies kept for the comparison page: the question, its context, her real line, the reply.
    answers = metrics["answers"]
    assert [a["question"] for a in answers] == ["また来たの", "その本、返しなさいよ", "そうね"]
    assert answers[2]["context"] == [{"speaker": "魔理沙", "text": "いい天気だな"}]
    assert answers[1]["reference"] == "死ぬまで借りるだけだろ"
    assert all(isinstance(a["reply"], str) and "\n" not in a["reply"] for a in answers)
    assert [a["question"] for a in metrics["base_answers"]] == [a["question"] for a in answers]
    # Progress counts the replies of both models to the end.
    assert seen[-1] == (6, 6)


def test_a_bare_model_is_scored_once_as_its_own_base(demo_model_dir: Path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from training.core.evaluation import evaluate

    tok = AutoTokenizer.from_pretrained(str(demo_model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(demo_model_dir))
    seen: list[tuple[int, int]] = []
    metrics = evaluate(
        model, tok, [], EXCHANGES, MARISA, "\n", with_base=False, progress=lambda d, t: seen.append((d, t))
    )
    assert seen[-1] == (3, 3)  # answered once, not twice
    assert metrics["answers"] == metrics["base_answers"]
    assert metrics["reference_score"] == metrics["base_reference_score"]


def test_without_questions_the_reply_figures_are_missing_not_zero(demo_model_dir: Path):
    from training.core.evaluation import evaluate

    model, tok = _peft_model(demo_model_dir)
    metrics = evaluate(model, tok, [], [[Turn("霊夢", "誰もいないわね")]], MARISA, "\n")
    assert metrics["questions"] == 0
    assert metrics["reference_score"] is None and metrics["base_distinct_2"] is None
    assert metrics["answers"] == metrics["base_answers"] == []
