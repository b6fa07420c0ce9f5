"""Questions harvested from the data (training.core.harvest's rule), on the Django side.

- Evaluation: the pinned conversations and the accepted corrections held out of training (EvalQuestion rows
  in the set) are what every version is scored on; their harvested pairs are the evaluation questions.
- Held-out corrections: when a training job reads a snapshot, a fixed share of the corrections no earlier
  version was trained on is set aside (stored, never trained on); `eval_set --grow` adds them to the set.
- Seeding: the pairs of the training conversations (never the pinned ones) seed a question set, so the loop
  grows without questions written by hand (`import_questions --from-corpus`, the button on the generate page).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from annotation.corpus.models import Character, Line
from annotation.review.limits import CONTEXT_TURNS_MAX, QUESTION_MAX
from annotation.review.questions import (
    ParsedQuestion,
    QuestionImportError,
    QuestionImportResult,
    add_questions,
)
from training.train.eval_set import ensure_eval_set, held_out_keys, her_held_lines, pinned_turns
from training.train.models import EvalConversation, EvalQuestion, ModelVersion

DEFAULT_SEED_SET = "corpus"


def question_exchanges(character: Character) -> list[list[Any]]:
    """The held-out corrections in the set, each as its exchange: context turns, the question, her reply."""
    from training.core.textformat import Turn

    user = character.spec().user_name  # corrections answer the user, as the snapshot writes them
    out = []
    for row in EvalQuestion.objects.filter(character=character, in_set=True):
        turns = [Turn(str(t.get("speaker", "")), str(t.get("text", ""))) for t in row.context or []]
        turns += [Turn(user, row.question), Turn(character.prompt_name, row.reference)]
        out.append(turns)
    return out


def scored_conversations(character: Character) -> list[list[Any]]:
    """Everything a version is scored on: the pinned conversations, then the held-out corrections."""
    return pinned_turns(character) + question_exchanges(character)


def eval_set_summary(character: Character) -> dict[str, int]:
    """{"conversations", "character_lines", "questions"}: the size of what `evaluate` scores on."""
    from training.core.harvest import harvest_pairs

    questions = EvalQuestion.objects.filter(character=character, in_set=True).count()
    return {
        "conversations": EvalConversation.objects.filter(character=character).count(),
        "character_lines": her_held_lines(character) + questions,
        "questions": len(harvest_pairs(scored_conversations(character), character.spec())),
    }


def eval_questions_context(character: Character) -> dict[str, Any]:
    """What the evaluation set page shows of the questions: the held-out corrections, the counts."""
    rows = EvalQuestion.objects.filter(character=character)
    return {
        "eval_questions": list(rows.filter(in_set=True)),
        "questions_waiting": rows.filter(in_set=False).count(),
        "summary": eval_set_summary(character),
    }


# --- Held-out corrections ---------------------------------------------------------------------


def hold_out_corrections(character: Character, records: Iterable[dict[str, Any]]) -> int:
    """Set aside the share of the snapshot's corrections that the rule picks; returns how many were new.

    A correction already in the snapshot of the latest version was trained on: it is never picked later.
    """
    from training.core.harvest import holds_out_correction

    trained = _trained_correction_ids(character)
    if trained is None:
        return 0
    known = set(EvalQuestion.objects.filter(character=character).values_list("record_id", flat=True))
    new = [
        _eval_question(character, r)
        for r in records
        if r.get("kind") == "correction"
        and r["id"] not in known
        and r["id"] not in trained
        and holds_out_correction(r["id"])
        and len(r.get("lines") or []) >= 2
    ]
    EvalQuestion.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _eval_question(character: Character, record: dict[str, Any]) -> EvalQuestion:
    lines = record["lines"]
    return EvalQuestion(
        character=character,
        record_id=record["id"],
        question=record.get("question") or lines[-2]["text"],
        context=[{"speaker": t["speaker"], "text": t["text"]} for t in lines[:-2]],
        reference=lines[-1]["text"],
        source=str(record.get("source") or "")[:200],
    )


def _trained_correction_ids(character: Character) -> set[str] | None:
    """Correction ids in the snapshot of the character's latest version (earlier rounds' are in it too)."""
    from annotation.datasets.snapshots import iter_conversations

    latest = (
        ModelVersion.objects.filter(snapshot__character=character, snapshot__isnull=False)
        .select_related("snapshot")
        .order_by("-created_at", "-pk")
        .first()
    )
    if latest is None or latest.snapshot is None:
        return set()
    try:
        return {r["id"] for r in iter_conversations(latest.snapshot) if r.get("kind") == "correction"}
    except FileNotFoundError:
        return None  # its file is gone, so what it trained on is unknown: pick nothing rather than risk it


def withheld_ids(character: Character) -> dict[str, bool]:
    """record id -> in the set, for every held-out correction: none of them is trained on."""
    return dict(EvalQuestion.objects.filter(character=character).values_list("record_id", "in_set"))


# --- Seeding a question set -------------------------------------------------------------------


def seed_questions(
    character: Character | None = None, set_name: str = DEFAULT_SEED_SET, limit: int | None = None
) -> QuestionImportResult:
    """Add the questions harvested from the training conversations to a question set (new ones only).

    Pinned conversations are left out, and so is any question worded like an evaluation question: a model
    trained on corrections to it would be measured on what it was taught.
    """
    from training.core.harvest import harvest_pairs

    character = character or Character.default()
    ensure_eval_set(character)
    held, _ = held_out_keys(character)
    spec = character.spec()
    evaluated = {_key(p.question) for p in harvest_pairs(scored_conversations(character), spec)}
    parsed: list[ParsedQuestion] = []
    for pair in harvest_pairs(_training_turns(held), spec):
        if limit is not None and len(parsed) >= limit:
            break
        if _key(pair.question) in evaluated or len(pair.question) > QUESTION_MAX:
            continue
        context = [t for t in pair.context_dicts() if len(t["text"]) <= QUESTION_MAX][-CONTEXT_TURNS_MAX:]
        parsed.append(ParsedQuestion(pair.question, context))
    if not parsed:
        raise QuestionImportError(
            f"no questions found: no training conversation has a line said to {character.prompt_name}"
        )
    return add_questions(parsed, set_name, fmt="corpus")


def _training_turns(held_ids: set[str]) -> Iterable[list[Any]]:
    """Every imported conversation that is not pinned, as turns, streamed in (conversation, line) order."""
    from training.core.textformat import Turn

    rows = Line.objects.order_by("conversation_id", "position").values_list(
        "conversation_id", "speaker", "text"
    )
    current: int | None = None
    turns: list[Any] = []
    skip = {int(i.removeprefix("conv-")) for i in held_ids}
    for conv_id, speaker, text in rows.iterator(chunk_size=5000):
        if conv_id in skip:
            continue
        if conv_id != current:
            if turns:
                yield turns
            current, turns = conv_id, []
        turns.append(Turn(speaker, text))
    if turns:
        yield turns


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()
