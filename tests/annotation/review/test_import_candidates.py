"""`import_candidates`: JSONL of replies from another model, atomic, duplicates skipped."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotation.review.models import Candidate, Question

pytestmark = pytest.mark.django_db


def write(tmp_path: Path, rows: list) -> Path:
    path = tmp_path / "cands.jsonl"
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n"
    )
    return path


def run(*args: str) -> dict:
    out = StringIO()
    call_command("import_candidates", *args, "--json", stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_imports_candidates_and_skips_duplicates(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            {"question": "好きな食べ物は？", "reply": "キノコだぜ", "model": "gpt-x"},
            {"question": "好きな食べ物は？", "reply": "キノコ鍋だな", "model": "gpt-x"},
            {
                "question": "趣味は？",
                "reply": "魔法の研究だぜ",
                "model": "gpt-x",
                "context": [{"speaker": "ユーザー", "text": "やあ"}],
            },
        ],
    )
    assert run(str(path)) == {
        "candidates": 3,
        "questions": 2,
        "skipped_duplicates": 0,
        "question_sets": ["imported"],
        "file": str(path),
    }
    again = run(str(path))
    assert (again["candidates"], again["skipped_duplicates"]) == (0, 3)
    assert Candidate.objects.filter(model_name="gpt-x", status="pending").count() == 3
    assert Question.objects.get(text="趣味は？").context == [{"speaker": "ユーザー", "text": "やあ"}]


def test_bad_line_imports_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, [{"question": "q", "reply": "r", "model": "m"}, '{"question": "q2"'])
    with pytest.raises(CommandError, match="line 2"):
        call_command("import_candidates", str(path))
    assert not Candidate.objects.exists() and not Question.objects.exists()


def test_set_option_and_per_line_set(tmp_path: Path) -> None:
    path = write(tmp_path, [{"question": "q", "reply": "r", "model": "m", "question_set": "外部"}])
    assert run(str(path))["question_sets"] == ["外部"]
    assert run(str(path), "--set", "other")["question_sets"] == ["other"]
