"""Scene changes in scripts: which stage directions start a new conversation (幕 as a word, not a letter)."""

import pytest

from annotation.corpus.formats.script import parse_script


def _sizes(text: str) -> list[int]:
    return [len(conv.lines) for conv in parse_script(text.split("\n"))]


def _with_direction(direction: str) -> str:
    return f"魔理沙「よう」\n霊夢「あら」\n{direction}\n魔理沙「それで？」\n霊夢「知らないわ」"


@pytest.mark.parametrize(
    "direction",
    [
        "（幕）",
        "（幕が下りる）",
        "（静かに幕）",
        "（幕間）",
        "（第二幕）",
        "（一幕）",
        "（終幕）",
        "（序幕）",
        "（暗転）",
        "（翌朝）",
    ],
)
def test_a_curtain_or_an_act_starts_a_new_scene(direction):
    assert _sizes(_with_direction(direction)) == [2, 2]


@pytest.mark.parametrize(
    "direction",
    [
        "（弾幕を張る）",
        "（字幕が出る）",
        "（天幕の中で）",
        "（黒幕の影）",
        "（煙幕が立ちこめる）",
        "（幕府の使者が来る）",
        "（間）",
    ],
)
def test_a_word_that_merely_contains_maku_keeps_the_scene(direction):
    assert _sizes(_with_direction(direction)) == [4]


def test_danmaku_inside_a_speech_line_changes_nothing():
    text = "魔理沙　　（弾幕を張りながら）行くぜ！\n霊夢　　（字幕を読む）負けないわよ。\n魔理沙　　へへっ。"
    convs = list(parse_script(text.split("\n")))
    assert [[(line.speaker, line.text) for line in c.lines] for c in convs] == [
        [("魔理沙", "行くぜ！"), ("霊夢", "負けないわよ。"), ("魔理沙", "へへっ。")]
    ]
