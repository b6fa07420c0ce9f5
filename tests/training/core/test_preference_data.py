"""Preference pairs and KTO rows from snapshot records: the generation prompt, the separator, identical pairs
dropped and counted, a stable held-out split, and token ids whose prompt ends where generation's does."""

from __future__ import annotations

import pytest

from tests.training.core import tokenizer_kit
from training.core.preference_data import (
    PreferenceRow,
    check_enough,
    encode,
    pairs_from_records,
    rows_from_records,
    split_items,
)
from training.core.textformat import CharacterSpec, chat_prompt

MARISA = CharacterSpec("魔理沙", frozenset({"霧雨魔理沙", "まりさ"}))


def correction(rid: str, question: str, reply: str, model_text: str, rejected: list[str]) -> dict:
    lines = [{"speaker": "霊夢", "text": "また来たの？"}, {"speaker": "ユーザー", "text": question}]
    lines.append({"speaker": "魔理沙", "text": reply})
    return {"id": rid, "kind": "correction", "model_text": model_text, "rejected": rejected, "lines": lines}


RECORDS = [
    {"id": "conv-1", "kind": "corpus", "lines": [{"speaker": "魔理沙", "text": "よう"}]},
    correction("cand-1", "好きなものは？", "キノコだぜ", "キノコです", ["わかりません", "キノコだぜ"]),
    correction("cand-2", "今日は？", "魔法の研究だぜ", "魔法の研究だぜ", []),  # accepted as is: no pair
    {"id": "arena-7", "context": [], "question": "夜は？", "chosen": "星を見るぜ", "rejected": "寝ます"},
]


def test_pairs_use_the_generation_prompt_end_with_the_separator_and_count_identical_ones() -> None:
    pairs, counts = pairs_from_records(RECORDS, MARISA, "\n")
    assert [(p.origin, p.rejected) for p in pairs] == [
        ("edit", "キノコです\n"),
        ("rejected", "わかりません\n"),
        ("arena", "寝ます\n"),
    ]
    assert counts["identical_dropped"] == 1 and counts["from_arena"] == 1
    first = pairs[0]
    assert first.prompt == "霊夢: また来たの？\nユーザー: 好きなものは？\n魔理沙: "
    assert first.chosen == "キノコだぜ\n"
    assert pairs[2].prompt == "ユーザー: 夜は？\n魔理沙: "


def test_kto_rows_are_accepted_desirable_and_rejected_undesirable_with_conflicts_dropped() -> None:
    rows, counts = rows_from_records(RECORDS, MARISA, "[SEP]")
    labels = {(r.completion, r.desirable) for r in rows}
    # "キノコだぜ" was both accepted and rejected: it says nothing and is dropped and counted.
    assert labels == {("キノコです[SEP]", False), ("わかりません[SEP]", False), ("魔法の研究だぜ[SEP]", True)}
    assert counts["identical_dropped"] == 1 and counts["desirable"] == 1 and counts["undesirable"] == 2


def test_the_held_out_split_is_stable_keeps_a_prompt_on_one_side_and_holds_pinned_records() -> None:
    rows = [
        PreferenceRow(f"cand-{i}#r{j}", f"質問{i}", f"答え{j}", j == 0, "x")
        for i in range(40)
        for j in range(2)
    ]
    train, held = split_items(rows, pinned_ids={"cand-3"})
    again_train, again_held = split_items(list(reversed(rows)), pinned_ids={"cand-3"})
    assert {r.id for r in held} == {r.id for r in again_held} and held
    assert not {r.prompt for r in train} & {r.prompt for r in held}
    assert {"cand-3#r0", "cand-3#r1"} <= {r.id for r in held}
    assert len(train) > len(held)


def test_too_little_data_names_the_count_and_what_is_needed() -> None:
    with pytest.raises(ValueError, match="12 preference pairs to train on; DPO needs at least 32"):
        check_enough("dpo", 12, 32)
    good = [PreferenceRow(str(i), "q", "a", True, "accepted") for i in range(40)]
    with pytest.raises(ValueError, match="40 accepted, 0 rejected"):
        check_enough("kto", 40, 32, good)


@pytest.mark.parametrize("make", [tokenizer_kit.sentencepiece_style, tokenizer_kit.byte_level_bpe])
def test_prompt_ids_are_what_generation_encodes_and_the_completion_ends_with_the_separator_ids(make) -> None:
    from training.core.fragments import separator_ids

    tokenizer = make()
    prompt = chat_prompt([], "好きなものは？", MARISA, "\n")
    prompt_ids, (chosen,) = encode(tokenizer, prompt, ["いいだろ、キノコだぜ\n"], "\n")
    assert prompt_ids == tokenizer(prompt)["input_ids"][: len(prompt_ids)]
    assert tokenizer.decode(prompt_ids, skip_special_tokens=True) == prompt
    assert chosen[-len(separator_ids(tokenizer, "\n")) :] == separator_ids(tokenizer, "\n")
    assert (
        tokenizer.decode(prompt_ids + chosen, skip_special_tokens=True) == prompt + "いいだろ、キノコだぜ\n"
    )
