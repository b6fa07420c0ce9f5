"""Script formats: the play 紙風船 (the Aozora play layout) and SS-style scripts written here."""

import re
from collections import Counter

import pytest

from annotation.corpus.formats import parse
from annotation.corpus.formats.script import parse_script
from annotation.corpus.importing import import_path
from annotation.corpus.models import Line

pytestmark = pytest.mark.django_db


def _lines(text: str) -> list[list[tuple[str, str]]]:
    return [[(line.speaker, line.text) for line in conv.lines] for conv in parse_script(text.split("\n"))]


def test_kamifusen_gives_husband_and_wife_lines_without_setting_or_directions(corpora):
    result = import_path(corpora / "aozora" / "kishida_kamifusen.txt")
    assert result.source.kind == "script"
    assert result.source.title == "紙風船（一幕）"
    speakers = result.speakers
    assert set(speakers) == {"夫", "妻"}  # no 時 / 所, no cast list, no typo speaker 奏
    # 131 and 128 prefixed speeches; those that are only a stage direction carry no words.
    assert 120 <= speakers["夫"] <= 131
    assert 120 <= speakers["妻"] <= 128
    texts = list(Line.objects.values_list("text", flat=True))
    assert not [t for t in texts if re.search(r"[（）［］＃]", t)]
    assert not [t for t in texts if t.startswith(("晴れた日曜", "庭に面した"))]


def test_kamifusen_speech_continues_on_unprefixed_lines(corpora):
    import_path(corpora / "aozora" / "kishida_kamifusen.txt")
    first = Line.objects.order_by("conversation__position", "position").first()
    assert first.speaker == "夫"
    assert first.text.startswith("「米国フラー建材会社")  # the newspaper he reads aloud, on the next line
    cont = Line.objects.get(text__startswith="かういふ場合の処置")
    assert cont.speaker == "夫"


def test_kamifusen_typo_speaker_is_reassigned_and_marked_as_a_guess(corpora):
    import_path(corpora / "aozora" / "kishida_kamifusen.txt")
    line = Line.objects.get(text="それがもう、すつかりなの。")
    assert line.speaker == "妻"
    assert line.speaker_by == Line.SpeakerBy.NARRATION
    assert "奏" in line.context


def test_ss_brackets_colons_and_play_layout_are_all_speech():
    text = "魔理沙「よう、霊夢」\n霊夢：何よ\nアリス: こんにちは\nパチュリー　　本を返して\n魔理沙「借りてるだけだぜ」と笑った"
    assert _lines(text) == [
        [
            ("魔理沙", "よう、霊夢"),
            ("霊夢", "何よ"),
            ("アリス", "こんにちは"),
            ("パチュリー", "本を返して"),
            ("魔理沙", "借りてるだけだぜ"),
        ]
    ]


def test_blank_lines_and_scene_headings_split_conversations_but_pauses_do_not():
    text = (
        "第一場\n魔理沙「よう」\n霊夢「あら」\n\n魔理沙「次の日だぜ」\n\n（間）\n\n霊夢「で？」\n"
        "［＃改ページ］\n魔理沙「新しい場面だ」"
    )
    assert [len(c) for c in _lines(text)] == [2, 2, 1]


def test_stage_directions_and_offstage_voices():
    text = "魔理沙　　（箒を持って）行くぜ。（飛び去る）\n霊夢の声　　待ちなさい！\n霊夢　　（溜息）\nアリス（小声で）「まったく」"
    assert _lines(text) == [[("魔理沙", "行くぜ。"), ("霊夢", "待ちなさい！"), ("アリス", "まったく")]]


def test_multiline_bracket_speech_and_narration_between():
    text = "魔理沙「今日は\nいい天気だぜ」\n二人は空を見上げた。\n霊夢「そうね」"
    assert _lines(text) == [[("魔理沙", "今日はいい天気だぜ"), ("霊夢", "そうね")]]


def test_cast_list_and_setting_lines_are_not_speech():
    text = "登場人物\n魔理沙　魔法使い\n霊夢　巫女\n\n時　　夏の夜\n所　　博麗神社\n\n魔理沙　　よう。\n霊夢　　あら。"
    convs = _lines(text)
    assert convs == [[("魔理沙", "よう。"), ("霊夢", "あら。")]]


def test_speakers_are_stored_as_written_with_whitespace_trimmed():
    convs = list(parse(["まりさ 「よう」", "　霧雨魔理沙：おう"], "script"))
    assert [(line.speaker, line.text) for line in convs[0].lines] == [("まりさ", "よう")]
    assert Counter(line.speaker for c in convs for line in c.lines) == Counter({"まりさ": 1})


def test_scene_headings_title_their_conversations_and_are_never_speakers():
    text = "■ 第一話　博麗神社\n魔理沙「よう」\n\n■第二話　魔法の森\n（森の中）\nアリス「あら」\n第三場\nアリス　　またね"
    convs = list(parse_script(text.split("\n")))
    assert [(c.title, [line.speaker for line in c.lines]) for c in convs] == [
        ("第一話　博麗神社", ["魔理沙"]),
        ("第二話　魔法の森", ["アリス"]),
        ("第三場", ["アリス"]),
    ]
