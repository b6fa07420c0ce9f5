"""Harvested questions: the line said to her before each of hers is a question, her real line its reference."""

from __future__ import annotations

from training.core.harvest import CORRECTION_SHARE, harvest_pairs, holds_out_correction, pair_prompt
from training.core.textformat import CharacterSpec, Turn

MARISA = CharacterSpec("魔理沙", frozenset({"霧雨魔理沙", "まりさ"}))

SCENE = [
    Turn("霊夢", "また来たの"),
    Turn("魔理沙", "よう、遊びに来てやったぜ"),
    Turn("魔理沙", "お茶はまだか？"),  # follows her own line: answers nobody
    Turn("霊夢", "自分で淹れなさい"),
    Turn("アリス", "私の分もね"),
    Turn("霧雨魔理沙", "仕方ないな、淹れてやるぜ"),
]


def test_each_of_her_lines_after_another_speaker_is_a_question_with_her_line_as_reference():
    pairs = harvest_pairs([SCENE], MARISA)
    assert [(p.asker, p.question, p.reference) for p in pairs] == [
        ("霊夢", "また来たの", "よう、遊びに来てやったぜ"),
        ("アリス", "私の分もね", "仕方ないな、淹れてやるぜ"),
    ]
    # The turns before the question are its context, the question itself is not.
    assert pairs[0].context == ()
    assert [t.text for t in pairs[1].context] == [
        "また来たの",
        "よう、遊びに来てやったぜ",
        "お茶はまだか？",
        "自分で淹れなさい",
    ]


def test_context_keeps_only_the_last_turns_before_the_question():
    pair = harvest_pairs([SCENE], MARISA, history_turns=2)[1]
    assert [t.text for t in pair.context] == ["お茶はまだか？", "自分で淹れなさい"]
    assert pair.as_dict() == {
        "question": "私の分もね",
        "context": [
            {"speaker": "魔理沙", "text": "お茶はまだか？"},
            {"speaker": "霊夢", "text": "自分で淹れなさい"},
        ],
        "reference": "仕方ないな、淹れてやるぜ",
    }


def test_her_opening_line_and_empty_lines_make_no_question():
    scenes = [
        [Turn("魔理沙", "いい天気だな"), Turn("霊夢", "そうね")],
        [Turn("霊夢", ""), Turn("まりさ", "なんだよ")],
        [Turn("霊夢", "何？"), Turn("魔理沙", "　")],
    ]
    assert harvest_pairs(scenes, MARISA) == []


def test_limit_stops_at_that_many_questions():
    assert len(harvest_pairs([SCENE, SCENE], MARISA)) == 4
    assert len(harvest_pairs([SCENE, SCENE], MARISA, limit=3)) == 3


def test_the_prompt_asks_the_question_as_the_user_and_ends_where_her_reply_starts():
    pair = harvest_pairs([SCENE], MARISA, history_turns=1)[1]
    assert pair_prompt(pair, MARISA, "\n") == "霊夢: 自分で淹れなさい\nユーザー: 私の分もね\n魔理沙: "


def test_held_out_corrections_are_a_stable_share_of_them():
    ids = [f"cand-{i}" for i in range(4000)]
    held = [i for i in ids if holds_out_correction(i)]
    assert abs(len(held) / len(ids) - CORRECTION_SHARE) < 0.02
    assert held == [i for i in ids if holds_out_correction(i)]  # the same decision every time
    assert not any(holds_out_correction(i, share=0.0) for i in ids)
