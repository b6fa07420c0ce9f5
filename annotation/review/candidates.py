"""Candidates from elsewhere (another model, a person, ChatGPT as in ChatHaruhi) from JSONL.

One object per line: {"question": ..., "reply": ..., "model": ...} with optional "question_set"
and "context" ([{"speaker", "text"}, ...]). The whole file is parsed and checked before anything is
written, and the writes are one transaction: a bad line means nothing is imported. Questions are
matched within their set after NFKC (stored as written); a candidate with the same question, reply
and model as one already stored is skipped, so importing a file twice adds nothing.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Max

from annotation.review.models import Candidate, Question, QuestionSet

DEFAULT_SET = "imported"


class CandidateImportError(Exception):
    """A file that cannot be imported; str(exc) names the line and the fix."""


@dataclass(frozen=True)
class Row:
    question: str
    reply: str
    model: str
    question_set: str
    context: tuple[tuple[str, str], ...]


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _context(value: object, lineno: int) -> tuple[tuple[str, str], ...]:
    if value in (None, ""):
        return ()
    if not isinstance(value, list) or not all(
        isinstance(t, dict) and isinstance(t.get("speaker"), str) and isinstance(t.get("text"), str)
        for t in value
    ):
        raise CandidateImportError(f"line {lineno}: context must be a list of {{speaker, text}} objects")
    return tuple((t["speaker"], t["text"]) for t in value)


def _field(obj: dict, name: str, lineno: int, required: bool = True) -> str:
    value = obj.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise CandidateImportError(f'line {lineno}: "{name}" must be a non-empty string')
    return value


def parse(path: Path, set_name: str | None = None) -> list[Row]:
    """Every row of the file, or CandidateImportError naming the first bad line."""
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CandidateImportError(f"{path.name} is not UTF-8 JSONL ({exc.reason} at byte {exc.start})")
    rows = []
    for lineno, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CandidateImportError(f"line {lineno}: not JSON ({exc.msg})")
        if not isinstance(obj, dict):
            raise CandidateImportError(f"line {lineno}: expected an object with question, reply, model")
        reply = _field(obj, "reply", lineno)
        if "\n" in reply or "\r" in reply:
            raise CandidateImportError(f"line {lineno}: a reply is one line (it contains a line break)")
        rows.append(
            Row(
                question=_field(obj, "question", lineno),
                reply=reply,
                model=_field(obj, "model", lineno, required=False),
                question_set=set_name or _field(obj, "question_set", lineno, required=False) or DEFAULT_SET,
                context=_context(obj.get("context"), lineno),
            )
        )
    if not rows:
        raise CandidateImportError(f"{path.name} has no candidates (one JSON object per line)")
    return rows


def _question_index(qset: QuestionSet) -> dict[str, Question]:
    return {_key(q.text): q for q in Question.objects.filter(question_set=qset)}


def import_candidates(path: Path, set_name: str | None = None) -> dict:
    """Import a JSONL file of candidates atomically; returns the summary the command prints."""
    rows = parse(Path(path), set_name)
    made = skipped = new_questions = 0
    sets: set[str] = set()
    with transaction.atomic():
        indexes: dict[str, dict[str, Question]] = {}
        seen: set[tuple[int, str, str]] = set()
        for row in rows:
            qset, _ = QuestionSet.objects.get_or_create(name=row.question_set)
            sets.add(qset.name)
            if qset.name not in indexes:
                indexes[qset.name] = _question_index(qset)
                seen |= set(
                    Candidate.objects.filter(question__question_set=qset).values_list(
                        "question_id", "text", "model_name"
                    )
                )
            question = indexes[qset.name].get(_key(row.question))
            if question is None:
                top = Question.objects.filter(question_set=qset).aggregate(m=Max("position"))["m"]
                question = Question.objects.create(
                    question_set=qset,
                    position=0 if top is None else top + 1,
                    text=row.question,
                    context=[{"speaker": s, "text": t} for s, t in row.context],
                )
                indexes[qset.name][_key(row.question)] = question
                new_questions += 1
            key = (question.pk, row.reply, row.model)
            if key in seen:
                skipped += 1
                continue
            seen.add(key)
            Candidate.objects.create(question=question, text=row.reply, model_name=row.model)
            made += 1
    return {
        "candidates": made,
        "questions": new_questions,
        "skipped_duplicates": skipped,
        "question_sets": sorted(sets),
        "file": str(path),
    }


def stored_texts(question_ids: Iterable[int]) -> dict[int, set[str]]:
    """The candidate texts already stored for each question (any job, any model, any status)."""
    found: dict[int, set[str]] = {}
    rows = Candidate.objects.filter(question_id__in=list(question_ids)).values_list("question_id", "text")
    for question_id, text in rows:
        found.setdefault(question_id, set()).add(text)
    return found


def new_distinct(texts: Sequence[str], seen: set[str]) -> tuple[list[str], int]:
    """(the texts not in `seen` and not repeated, in order; how many were dropped as exact duplicates).

    Exact means the stored text, not a normalised one: two replies a reviewer would see as different are
    kept. `seen` grows by the kept texts, so a later call for the same question sees them too.
    """
    kept: list[str] = []
    for text in texts:
        if text not in seen:
            seen.add(text)
            kept.append(text)
    return kept, len(texts) - len(kept)
