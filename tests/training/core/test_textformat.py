"""The seed text format and the inference prompt that ends exactly where trained text begins."""

from __future__ import annotations

from training.core.textformat import CharacterSpec, Turn, chat_prompt, render

MARISA = CharacterSpec("魔理沙", frozenset({"霧雨魔理沙", "まりさ"}))


def test_render_writes_aliases_as_the_prompt_name_and_marks_utterance_plus_separator() -> None:
    turns = [Turn("霊夢", "魔理沙: って誰？"), Turn("霧雨魔理沙", "　私だぜ"), Turn("まりさ", "")]
    rendered = render(turns, MARISA, "[SEP]")
    assert rendered.text == "霊夢: 魔理沙: って誰？[SEP]魔理沙: 　私だぜ[SEP]魔理沙: [SEP]"
    assert [rendered.text[s:e] for s, e in rendered.target_spans] == ["　私だぜ[SEP]", "[SEP]"]


def test_is_character_matches_aliases_with_nfkc_but_not_other_names() -> None:
    assert (
        MARISA.is_character("魔理沙")
        and MARISA.is_character("まりさ")
        and MARISA.is_character(" 霧雨魔理沙 ")
    )
    assert not MARISA.is_character("魔理沙の友達") and not MARISA.is_character("霊夢")
    assert CharacterSpec("ﾏﾘｻ").is_character("マリサ")


def test_chat_prompt_ends_exactly_where_the_trained_reply_begins() -> None:
    history = [Turn("ユーザー", "よう"), Turn("まりさ", "おう")]
    prompt = chat_prompt(history, "元気？", MARISA, "\n")
    assert prompt == "ユーザー: よう\n魔理沙: おう\nユーザー: 元気？\n魔理沙: "
    full = render([*history, Turn("ユーザー", "元気？"), Turn("魔理沙", "元気だぜ")], MARISA, "\n")
    assert full.text.startswith(prompt) and full.target_spans[-1][0] == len(prompt)


def test_rendered_line_starts_mark_each_line() -> None:
    turns = [Turn("霊夢", "あ"), Turn("まりさ", "いい"), Turn("アリス", "")]
    rendered = render(turns, MARISA, "<NL>")
    bounds = rendered.line_starts
    assert bounds[-1] == len(rendered.text) and rendered.span_lines == (1,)
    lines = [rendered.text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    assert lines == ["霊夢: あ<NL>", "魔理沙: いい<NL>", "アリス: <NL>"]


def test_a_separator_inside_an_utterance_becomes_a_space_in_the_rendered_copy() -> None:
    turns = [Turn("ユーザー", "一行目\n二行目"), Turn("魔理沙", "改行\nしたぜ")]
    rendered = render(turns, MARISA, "\n")
    assert rendered.text == "ユーザー: 一行目 二行目\n魔理沙: 改行 したぜ\n"
    assert [rendered.text[s:e] for s, e in rendered.target_spans] == ["改行 したぜ\n"]
    assert chat_prompt([], "a\nb", MARISA, "\n") == "ユーザー: a b\n魔理沙: "
    assert turns[1].text == "改行\nしたぜ"  # the data itself is untouched


def test_a_line_without_a_known_speaker_is_written_with_a_question_mark() -> None:
    assert render([Turn("", "誰？")], MARISA, "\n").text == "？: 誰？\n"
