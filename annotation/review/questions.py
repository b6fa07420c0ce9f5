"""Question sets from files (plain text, one question per line, or JSONL) or harvested from the corpus.

A question set is what a model version answers to produce candidates for review. Importing is
idempotent per question text (matched after NFKC, stored as written), so the same file loaded twice,
or a file that grew by a few lines, adds only what is new. The whole file is parsed before anything is
written, and the writes are one transaction: a bad line means no rows at all.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Max

from annotation.corpus.encoding import ImportFailed, detect_encoding
from annotation.corpus.limits import SPEAKER_MAX, SPEAKER_TOO_LONG
from annotation.review.limits import (
    CONTEXT_TOO_LONG,
    CONTEXT_TOO_MANY,
    CONTEXT_TURNS_MAX,
    QUESTION_MAX,
    QUESTION_TOO_LONG,
)
from annotation.review.models import Question, QuestionSet

# Question files are small; a larger file is almost certainly the wrong file (a corpus, a binary).
MAX_BYTES = 20 * 1024 * 1024
# ASCII whitespace only: a full-width space is data, never trimmed.
_TRIM = " \t\r\n\ufeff"
_JSON_SUFFIXES = {".jsonl", ".json", ".ndjson"}


class QuestionImportError(Exception):
    """A question file that cannot be imported; str(exc) is a one-line reason naming the line."""


@dataclass(frozen=True)
class ParsedQuestion:
    text: str
    context: list[dict] = field(default_factory=list)


@dataclass
class QuestionImportResult:
    question_set: QuestionSet
    created: int
    skipped: int  # already in the set, or repeated within the file
    total: int  # questions in the set afterwards
    encoding: str
    format: str

    def as_dict(self) -> dict:
        return {
            "question_set": self.question_set.name,
            "question_set_id": self.question_set.pk,
            "created": self.created,
            "skipped": self.skipped,
            "total": self.total,
            "encoding": self.encoding,
            "format": self.format,
        }


def import_questions(path: Path, set_name: str | None = None) -> tuple[QuestionSet, int]:
    """Add the questions of `path` to the set `set_name` (default: the file's stem).

    Returns the set and how many questions were new. Raises QuestionImportError.
    """
    result = import_questions_file(path, set_name)
    return result.question_set, result.created


def import_questions_file(path: Path, set_name: str | None = None) -> QuestionImportResult:
    path = Path(path)
    text, encoding = read_text(path)
    fmt = "jsonl" if _looks_like_jsonl(path, text) else "text"
    parsed = parse_jsonl(text) if fmt == "jsonl" else parse_text(text)
    if not parsed:
        raise QuestionImportError(f"{path.name}: no questions found (blank lines and # comments only)")
    return add_questions(parsed, set_name or path.stem, fmt, encoding)


def add_questions(
    parsed: list[ParsedQuestion], set_name: str, fmt: str = "corpus", encoding: str = ""
) -> QuestionImportResult:
    """Add parsed questions (from a file, or harvested from the corpus) to the set, creating it if new.

    Questions already in the set (after NFKC) are skipped, so adding the same questions twice adds nothing.
    """
    name = set_name.strip()
    if not name:
        raise QuestionImportError("the question set needs a name (--set NAME)")
    with transaction.atomic():
        qset, _ = QuestionSet.objects.get_or_create(name=name)
        created = _add_new(qset, parsed)
        total = qset.questions.count()
    return QuestionImportResult(qset, created, len(parsed) - created, total, encoding, fmt)


def read_text(path: Path) -> tuple[str, str]:
    """Decode a question file, detecting its encoding. Returns (text, encoding name)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise QuestionImportError(f"{path}: no such file")
    except IsADirectoryError:
        raise QuestionImportError(f"{path}: is a directory, not a question file")
    except OSError as exc:
        raise QuestionImportError(f"{path}: cannot be read ({exc.strerror or exc})")
    if not data.strip():
        raise QuestionImportError(f"{path.name}: the file is empty")
    if len(data) > MAX_BYTES:
        raise QuestionImportError(
            f"{path.name}: {len(data):,} bytes is over the {MAX_BYTES:,}-byte limit for a question file"
        )
    return decode_bytes(data, path.name)


def decode_bytes(data: bytes, name: str) -> tuple[str, str]:
    """Decode with the corpus importers' detector (UTF-8 with or without BOM, CP932, EUC-JP)."""
    try:
        encoding = detect_encoding(data)
        text = data.decode(encoding)
    except ImportFailed as exc:
        raise QuestionImportError(f"{name}: {exc}")
    except UnicodeDecodeError as exc:
        raise QuestionImportError(
            f"{name}: invalid {encoding} byte sequence at byte {exc.start}: the file mixes encodings or is damaged"
        )
    return text.lstrip("\ufeff"), encoding


def _looks_like_jsonl(path: Path, text: str) -> bool:
    if path.suffix.lower() in _JSON_SUFFIXES:
        return True
    for line in text.splitlines():
        stripped = line.strip(_TRIM)
        if stripped and not stripped.startswith("#"):
            return stripped.startswith("{")
    return False


def parse_text(text: str) -> list[ParsedQuestion]:
    """One question per line; blank lines and lines starting with # are skipped."""
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip(_TRIM)
        if not line.strip() or line.startswith("#"):
            continue
        out.append(ParsedQuestion(_checked(line, f"line {number}")))
    return out


def _checked(text: str, where: str) -> str:
    if len(text) > QUESTION_MAX:
        raise QuestionImportError(f"{where}: {QUESTION_TOO_LONG}")
    if "\x00" in text:
        raise QuestionImportError(f"{where}: a question must not contain NUL characters")
    return text


def _loads(text: str, number: int | None = None) -> object:
    """json.loads; a failure names the line (`number`, else the line the error is on)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise QuestionImportError(f"line {number or exc.lineno}: not valid JSON ({exc.msg})")
    except (RecursionError, ValueError):  # nested thousands deep, or a number of thousands of digits
        raise QuestionImportError(
            f"line {number or 1}: not valid JSON (nested too deeply, or a number too long)"
        )


def parse_jsonl(text: str) -> list[ParsedQuestion]:
    """{"question": ..., "context": [{"speaker", "text"}, ...]} or {"text": ...} per line.

    A .json file holding one array of such objects (or of plain strings) is read too.
    """
    if text.lstrip(_TRIM).startswith("["):
        return _parse_json_array(text)
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip(_TRIM)
        if not line or line.startswith("#"):
            continue
        out.append(_question_from_object(_loads(line, number), number))
    return out


def _parse_json_array(text: str) -> list[ParsedQuestion]:
    items = _loads(text)
    if not isinstance(items, list):
        raise QuestionImportError("expected a JSON array of questions")
    out = []
    for index, item in enumerate(items, start=1):
        if isinstance(item, str):
            item = {"question": item}
        out.append(_question_from_object(item, index, where="item"))
    return out


def _question_from_object(obj: object, number: int, where: str = "line") -> ParsedQuestion:
    if not isinstance(obj, dict):
        raise QuestionImportError(f"{where} {number}: expected a JSON object, got {type(obj).__name__}")
    text = obj.get("question", obj.get("text"))
    if not isinstance(text, str) or not text.strip():
        raise QuestionImportError(f'{where} {number}: needs a non-empty "question" (or "text") string')
    return ParsedQuestion(
        _checked(text.strip(_TRIM), f"{where} {number}"), _context(obj.get("context"), f"{where} {number}")
    )


def _context(value: object, where: str) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise QuestionImportError(f'{where}: "context" must be a list of {{"speaker", "text"}} objects')
    if len(value) > CONTEXT_TURNS_MAX:
        raise QuestionImportError(f"{where}: {CONTEXT_TOO_MANY}")
    turns = []
    for turn in value:
        if (
            not isinstance(turn, dict)
            or not isinstance(turn.get("speaker"), str)
            or not isinstance(turn.get("text"), str)
        ):
            raise QuestionImportError(
                f'{where}: each "context" turn must be an object with "speaker" and "text" strings'
            )
        if len(turn["text"]) > QUESTION_MAX:
            raise QuestionImportError(f"{where}: {CONTEXT_TOO_LONG}")
        if len(turn["speaker"]) > SPEAKER_MAX:
            raise QuestionImportError(f"{where}: {SPEAKER_TOO_LONG}")
        turns.append({"speaker": turn["speaker"], "text": turn["text"]})
    return turns


def match_key(text: str) -> str:
    """Two questions are the same when they differ only in width or compatibility forms (？ vs ?)."""
    return unicodedata.normalize("NFKC", text).strip()


def _add_new(qset: QuestionSet, parsed: list[ParsedQuestion]) -> int:
    seen = {match_key(t) for t in qset.questions.values_list("text", flat=True)}
    top = qset.questions.aggregate(m=Max("position"))["m"]
    position = 0 if top is None else top + 1
    new = []
    for item in parsed:
        key = match_key(item.text)
        if key in seen:
            continue
        seen.add(key)
        new.append(Question(question_set=qset, position=position, text=item.text, context=item.context))
        position += 1
    Question.objects.bulk_create(new, batch_size=500)
    return len(new)
