"""Encodings, line ends and the structured formats give the same lines."""

import json

import pytest

from annotation.corpus.formats import detect_format
from annotation.corpus.importing import import_path
from annotation.corpus.models import Line

pytestmark = pytest.mark.django_db

SCRIPT = "魔理沙「よう、霊夢。今日も暇そうだな」\n霊夢「失礼ね、掃除中よ」\n\n魔理沙：本を借りに来たぜ\nパチュリー　　返しなさい\n"
NOVEL = (
    "題名\n作者\n\n-------------------------------------------------------\n【テキスト中に現れる記号について】\n"
    "-------------------------------------------------------\n\n"
    "　魔理沙は箒《ほうき》を置いて「よう、霊夢」と言った。\n「何よ」と霊夢が聞いた。\n\n底本：どこか\n"
)


def _lines() -> list[tuple[str, str, str]]:
    return list(
        Line.objects.order_by("conversation__position", "position").values_list(
            "speaker", "text", "speaker_by"
        )
    )


@pytest.mark.parametrize("text", [SCRIPT, NOVEL], ids=["script", "aozora"])
def test_every_encoding_and_line_end_gives_identical_lines(tmp_path, text):
    variants = {
        "utf-8": text.encode("utf-8"),
        "utf-8-sig": text.encode("utf-8-sig"),
        "cp932": text.encode("cp932"),
        "euc_jp": text.encode("euc_jp"),
        "crlf-sjis": text.replace("\n", "\r\n").encode("shift_jis"),
        "cr": text.replace("\n", "\r").encode("utf-8"),
    }
    seen = {}
    for name, data in variants.items():
        path = tmp_path / f"{name}.txt"
        path.write_bytes(data)
        result = import_path(path)
        seen[name] = [
            (line.speaker, line.text)
            for line in result.source.conversations.all()
            for line in line.lines.all()
        ]
        assert result.source.encoding == {"crlf-sjis": "cp932", "cr": "utf-8"}.get(name, name)
    first = seen["utf-8"]
    assert first and all(lines == first for lines in seen.values()), seen


def test_novel_speakers_from_narration_and_ruby_stripped(tmp_path):
    path = tmp_path / "novel.txt"
    path.write_text(NOVEL, "utf-8")
    result = import_path(path)
    assert result.source.title == "題名"
    assert _lines() == [("魔理沙", "よう、霊夢", "narration"), ("霊夢", "何よ", "narration")]


def test_quote_over_two_paragraphs_and_unclosed_quote(tmp_path):
    path = tmp_path / "novel.txt"
    path.write_text(
        "　彼は言った。「長い話の\n続きだ」と魔理沙が言った。\n「閉じない台詞\n「次の台詞」\n", "utf-8"
    )
    import_path(path, fmt="aozora")
    assert [(s, t) for s, t, _ in _lines()] == [
        ("魔理沙", "長い話の続きだ"),
        ("", "閉じない台詞"),
        ("", "次の台詞"),
    ]


def test_jsonl_with_conversation_key(tmp_path):
    rows = [
        {"conversation": "a", "speaker": "魔理沙", "text": "よう"},
        {"conversation": "a", "speaker": "霊夢", "text": "何よ"},
        {"conversation": "b", "speaker": "", "text": "誰かの声"},
    ]
    path = tmp_path / "lines.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    result = import_path(path)
    assert (result.conversations, result.lines, result.unknown_speaker_lines) == (2, 3, 1)
    assert result.speakers == {"魔理沙": 1, "霊夢": 1}
    assert _lines()[2] == ("", "誰かの声", "unknown")


def test_csv_with_quoted_multiline_field(tmp_path):
    path = tmp_path / "lines.csv"
    path.write_text(
        'conversation,speaker,text\n1,魔理沙,"よう, 霊夢"\n1,霊夢,何よ\n2,魔理沙,次だぜ\n', "utf-8"
    )
    result = import_path(path)
    assert (result.conversations, result.lines) == (2, 3)
    assert _lines()[0] == ("魔理沙", "よう, 霊夢", "prefix")


def test_format_detection_by_extension_and_content():
    assert detect_format("x.jsonl", []) == "jsonl"
    assert detect_format("x.csv", []) == "csv"
    assert detect_format("x.txt", ['{"speaker": "a", "text": "b"}']) == "jsonl"
    assert detect_format("x.txt", ["speaker,text", "a,b"]) == "csv"
    assert detect_format("x.txt", SCRIPT.split("\n")) == "script"
    assert detect_format("x.txt", NOVEL.split("\n")) == "aozora"


def test_shift_jis_after_a_long_ascii_header_is_still_detected(tmp_path):
    header = "".join(f"# note {i}: written in plain ASCII before any Japanese\n" for i in range(3000))
    path = tmp_path / "late.txt"
    path.write_bytes((header + SCRIPT).encode("cp932"))
    assert len(header) > 64 * 1024
    result = import_path(path, fmt="script")
    assert result.source.encoding == "cp932"
    assert ("魔理沙", "本を借りに来たぜ", "prefix") in _lines()
