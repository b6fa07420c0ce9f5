"""Question sets from text and JSONL files: idempotent, atomic, clear errors."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotation.review.models import Question, QuestionSet
from annotation.review.questions import QuestionImportError, import_questions

pytestmark = pytest.mark.django_db


def write(tmp_path: Path, name: str, content: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding))
    return path


def test_text_file_skips_blank_lines_and_comments(tmp_path: Path) -> None:
    path = write(
        tmp_path, "qs.txt", "# 挨拶\n好きな食べ物は？\n\n今日は何してた？\r\n　全角スペースで始まる質問\n"
    )
    qset, created = import_questions(path)
    assert qset.name == "qs"
    assert created == 3
    texts = list(qset.questions.values_list("text", flat=True))
    # Full-width spaces are data and stay; CRLF does not leak into the text.
    assert texts == ["好きな食べ物は？", "今日は何してた？", "　全角スペースで始まる質問"]


def test_jsonl_with_question_context_and_text_keys(tmp_path: Path) -> None:
    rows = [
        {
            "question": "それで、どうなったの？",
            "context": [{"speaker": "ユーザー", "text": "昨日キノコ食べた"}],
        },
        {"text": "魔法教えて"},
    ]
    path = write(tmp_path, "qs.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    qset, created = import_questions(path, "api")
    assert created == 2
    first = qset.questions.get(text="それで、どうなったの？")
    assert first.context == [{"speaker": "ユーザー", "text": "昨日キノコ食べた"}]
    assert qset.questions.get(text="魔法教えて").context == []


def test_json_array_of_strings_and_objects(tmp_path: Path) -> None:
    path = write(tmp_path, "qs.json", '[\n  "おすすめのキノコは？",\n  {"question": "魔法教えて"}\n]\n')
    qset, created = import_questions(path)
    assert created == 2
    assert list(qset.questions.values_list("text", flat=True)) == ["おすすめのキノコは？", "魔法教えて"]
    bad = write(tmp_path, "bad.json", '["ok", 3]')
    with pytest.raises(QuestionImportError, match="item 2"):
        import_questions(bad)


def test_importing_twice_adds_nothing_and_a_grown_file_adds_only_new(tmp_path: Path) -> None:
    path = write(tmp_path, "qs.txt", "好きな食べ物は？\n好きな食べ物は?\n今日は何してた？\n")
    qset, created = import_questions(path, "s")
    # The half-width ? variant is the same question (matched after NFKC).
    assert created == 2
    _, again = import_questions(path, "s")
    assert again == 0
    path.write_text("好きな食べ物は？\n今日は何してた？\n霊夢のことどう思う？\n", encoding="utf-8")
    _, grown = import_questions(path, "s")
    assert grown == 1
    assert list(qset.questions.order_by("position").values_list("text", flat=True)) == [
        "好きな食べ物は？",
        "今日は何してた？",
        "霊夢のことどう思う？",
    ]


def test_shift_jis_file_is_decoded(tmp_path: Path) -> None:
    path = write(tmp_path, "sjis.txt", "おすすめのキノコは？\n霊夢のことどう思う？\n", encoding="cp932")
    qset, created = import_questions(path)
    assert created == 2
    assert qset.questions.filter(text="おすすめのキノコは？").exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "empty"),
        ("comments.txt", "# だけ\n\n".encode(), "no questions"),
        ("binary.txt", b"\x00\x01\x02PK", "binary"),
        ("bad.jsonl", b'{"question": "ok"}\n{broken\n', "line 2"),
        ("nokey.jsonl", b'{"speaker": "x"}\n', '"question"'),
        ("ctx.jsonl", b'{"question": "q", "context": "x"}\n', "context"),
    ],
)
def test_bad_file_gives_a_clear_error_and_no_rows(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(QuestionImportError, match=message):
        import_questions(path, "bad")
    assert not QuestionSet.objects.filter(name="bad").exists()
    assert Question.objects.count() == 0


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(QuestionImportError, match="no such file"):
        import_questions(tmp_path / "nope.txt")


def test_command_json_summary_and_failure(tmp_path: Path) -> None:
    path = write(tmp_path, "qs.txt", "好きな食べ物は？\n今日は何してた？\n")
    out = StringIO()
    call_command("import_questions", str(path), "--set", "cmd", "--json", stdout=out)
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["question_set"] == "cmd"
    assert (summary["created"], summary["skipped"], summary["total"]) == (2, 0, 2)
    out = StringIO()
    call_command("import_questions", str(path), "--set", "cmd", stdout=out)
    assert "0 new" in out.getvalue()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('"just a string"\n', encoding="utf-8")
    with pytest.raises(CommandError, match="line 1"):
        call_command("import_questions", str(bad), stdout=StringIO())
