"""Dataset snapshots: immutable, content-hashed JSONL files of what a model trains on.

A snapshot is the imported conversations plus every accepted candidate as a
`ユーザー: question / 魔理沙: reply` exchange (the question's context turns before it).
The content is written once, as canonical JSONL (sorted keys, no spaces, UTF-8), to
$MARISA_DATA_DIR/snapshots/<sha256>.jsonl; the sha256 is taken over exactly those bytes,
so a model version that names a snapshot names exactly what it was trained on.

Records (one per line):
    {"id": "conv-12", "kind": "corpus", "source": "title", "lines": [{"speaker", "text"}, ...]}
    {"id": "cand-7", "kind": "correction", "source": "question set", "lines": [...],
     "question": str, "model_text": str, "rejected": [str, ...]}
`model_text` (the model's reply before correction) and `rejected` (rejected replies to the same
question, attached to its first accepted candidate) let the DPO export be rebuilt from the
snapshot alone. Consumers that only train read `lines` and may ignore the rest.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from annotation.corpus.models import Character, Conversation, Line, Source, line_separator
from annotation.datasets.exports import ExportContext
from annotation.datasets.models import DatasetSnapshot
from annotation.review.arena_stats import iter_preference_records
from annotation.review.models import Candidate, context_turns

ACCEPTED = (Candidate.Status.ACCEPTED, Candidate.Status.EDITED)
DIFF_SAMPLE = 50  # conversations listed per change kind on the snapshot page
_CHUNK = 5000


def snapshot_dir() -> Path:
    path = Path(settings.DATA_DIR) / "snapshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def canonical_line(record: dict[str, Any]) -> bytes:
    """The one byte form of a record that the hash covers."""
    return (json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n").encode()


# --- Reading the current data, streamed -------------------------------------------------------


def iter_corpus_records() -> Iterator[dict[str, Any]]:
    """Every imported conversation with at least one line, in (conversation id, position) order.

    Lines are read in chunks with one ordered query, so memory stays flat however large the corpus.
    """
    titles = dict(Source.objects.values_list("id", "title"))
    conv_source = dict(Conversation.objects.values_list("id", "source_id"))
    rows = Line.objects.order_by("conversation_id", "position").values_list(
        "conversation_id", "speaker", "text"
    )
    current: int | None = None
    lines: list[dict[str, str]] = []
    for conv_id, speaker, text in rows.iterator(chunk_size=_CHUNK):
        if conv_id != current:
            if current is not None and lines:
                yield _corpus_record(current, titles.get(conv_source.get(current)), lines)
            current, lines = conv_id, []
        lines.append({"speaker": speaker, "text": text})
    if current is not None and lines:
        yield _corpus_record(current, titles.get(conv_source.get(current)), lines)


def _corpus_record(conv_id: int, source: str | None, lines: list[dict[str, str]]) -> dict[str, Any]:
    return {"id": f"conv-{conv_id}", "kind": "corpus", "source": source or "", "lines": lines}


def iter_correction_records(character: Character) -> Iterator[dict[str, Any]]:
    """Each accepted candidate as a user/character exchange, after its question's context turns."""
    user_name = settings.MARISA_USER_NAME
    rejected = _rejected_by_question()
    seen_questions: set[int] = set()
    accepted = (
        Candidate.objects.filter(status__in=ACCEPTED)
        .select_related("question__question_set")
        .order_by("question_id", "id")
    )
    for cand in accepted.iterator(chunk_size=1000):
        question = cand.question
        reply = cand.final_text or cand.text
        turns = context_turns(question.context)
        turns.append({"speaker": user_name, "text": question.text})
        turns.append({"speaker": character.prompt_name, "text": reply})
        first = question.pk not in seen_questions
        seen_questions.add(question.pk)
        yield {
            "id": f"cand-{cand.pk}",
            "kind": "correction",
            "source": question.question_set.name,
            "question": question.text,
            "model_text": cand.text,
            "rejected": rejected.get(question.pk, []) if first else [],
            "lines": turns,
        }


def _rejected_by_question() -> dict[int, list[str]]:
    """Rejected replies per question, only for questions that also have an accepted reply."""
    with_accepted = Candidate.objects.filter(status__in=ACCEPTED).values("question_id")
    out: dict[int, list[str]] = {}
    rows = (
        Candidate.objects.filter(status=Candidate.Status.REJECTED, question_id__in=with_accepted)
        .order_by("question_id", "id")
        .values_list("question_id", "text")
    )
    for qid, text in rows.iterator(chunk_size=_CHUNK):
        out.setdefault(qid, []).append(text)
    return out


def iter_current_records(character: Character | None = None) -> Iterator[dict[str, Any]]:
    """What a snapshot created now would contain, without writing it (export without snapshots)."""
    character = character or Character.default()
    yield from iter_corpus_records()
    yield from iter_correction_records(character)


# --- Creating and reading snapshots -----------------------------------------------------------


class _Stats:
    """Counts gathered while the content streams past."""

    def __init__(self, names: set[str]) -> None:
        self.names = names
        self.conversations = 0
        self.lines = 0
        self.target_lines = 0
        self.corrections = 0
        self.speakers: Counter[str] = Counter()

    def add(self, record: dict[str, Any]) -> None:
        self.conversations += 1
        self.corrections += record["kind"] == "correction"
        for line in record["lines"]:
            self.lines += 1
            self.speakers[line["speaker"]] += 1
            self.target_lines += line["speaker"] in self.names


def write_records(records: Iterable[dict[str, Any]], names: set[str]) -> tuple[str, Path, _Stats]:
    """Stream records into a temp file in the snapshot dir, hashing as we go; return (sha, temp path, stats)."""
    digest = hashlib.sha256()
    stats = _Stats(names)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".jsonl", dir=snapshot_dir())
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as out:
            for record in records:
                data = canonical_line(record)
                digest.update(data)
                out.write(data)
                stats.add(record)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest.hexdigest(), Path(tmp), stats


def create_snapshot(character: Character | None = None, user=None) -> DatasetSnapshot:  # noqa: ANN001
    """Snapshot the current data. The same content as an existing snapshot returns that snapshot."""
    character = character or Character.default()
    sha, tmp, stats = write_records(iter_current_records(character), character.names())
    final = snapshot_dir() / f"{sha}.jsonl"
    try:
        with transaction.atomic():
            # Two creates at once serialise on the character row (PostgreSQL; SQLite's IMMEDIATE transactions
            # already do), so the second finds the first's snapshot instead of adding a twin.
            list(Character.objects.select_for_update().filter(pk=character.pk).values_list("pk", flat=True))
            existing = DatasetSnapshot.objects.filter(sha256=sha, character=character).first()
            if existing:
                return existing
            # rename is atomic: readers see either no file or the whole file, never a partial one.
            os.replace(tmp, final)
            parent = (
                DatasetSnapshot.objects.filter(character=character).order_by("-created_at", "-id").first()
            )
            snapshot = DatasetSnapshot.objects.create(
                sha256=sha,
                path=str(final),
                character=character,
                parent=parent,
                conversation_count=stats.conversations,
                line_count=stats.lines,
                target_line_count=stats.target_lines,
                correction_count=stats.corrections,
                stats=_stats_dict(stats, character),
                created_by=user if getattr(user, "is_authenticated", False) else None,
            )
            snapshot.stats["diff"] = _safe_diff(parent, snapshot)
            snapshot.save(update_fields=["stats"])
            return snapshot
    finally:
        tmp.unlink(missing_ok=True)


def _safe_diff(parent: DatasetSnapshot | None, snapshot: DatasetSnapshot) -> dict[str, Any] | None:
    if parent is None:
        return None
    try:
        return diff_snapshots(parent, snapshot)
    except FileNotFoundError:  # the parent's file was deleted by hand: no diff, still a valid snapshot
        return None


def _stats_dict(stats: _Stats, character: Character) -> dict[str, Any]:
    return {
        "conversations": stats.conversations,
        "lines": stats.lines,
        "target_lines": stats.target_lines,
        "corrections": stats.corrections,
        "speakers": dict(stats.speakers.most_common()),
        "character": {
            "name": character.name,
            "prompt_name": character.prompt_name,
            "names": sorted(character.names()),
        },
        "format": "jsonl-v1",
    }


def snapshot_path(snapshot: DatasetSnapshot) -> Path:
    path = Path(snapshot.path)
    if not path.is_file():  # the data dir moved: the file keeps its content-addressed name
        path = snapshot_dir() / f"{snapshot.sha256}.jsonl"
    return path


def iter_conversations(snapshot: DatasetSnapshot) -> Iterator[dict[str, Any]]:
    """Stream a snapshot's records from its file, one conversation at a time."""
    path = snapshot_path(snapshot)
    # Most often a worker on another machine whose MARISA_DATA_DIR is not the shared volume.
    if not path.is_file():
        raise FileNotFoundError(
            f"snapshot #{snapshot.pk} ({snapshot.sha256[:12]}) is not under {snapshot_dir()}: on this machine "
            "MARISA_DATA_DIR must be the volume the web process writes snapshots to (docs/operations.md)"
        )
    with path.open("rb") as f:
        for raw in f:
            yield json.loads(raw)


def verify_snapshot(snapshot: DatasetSnapshot) -> bool:
    """True when the file still hashes to the snapshot's sha256 (nobody edited it)."""
    digest = hashlib.sha256()
    with snapshot_path(snapshot).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest() == snapshot.sha256


def latest_snapshot(character: Character | None = None) -> DatasetSnapshot | None:
    qs = DatasetSnapshot.objects.order_by("-created_at", "-id")
    if character is not None:
        qs = qs.filter(character=character)
    return qs.first()


# --- What changed between two snapshots -------------------------------------------------------


def _digests(snapshot: DatasetSnapshot) -> dict[str, tuple[str, str, int, str]]:
    """id -> (content digest, kind, line count, short summary) for every record of a snapshot."""
    out: dict[str, tuple[str, str, int, str]] = {}
    for record in iter_conversations(snapshot):
        digest = hashlib.blake2b(canonical_line(record), digest_size=12).hexdigest()
        first = record["lines"][0] if record["lines"] else {"speaker": "", "text": ""}
        if record["kind"] == "correction":
            summary = f"{record.get('question', '')} → {record['lines'][-1]['text']}"
        else:
            summary = f"{record['source']}: {first['speaker']}「{first['text']}」"
        out[record["id"]] = (digest, record["kind"], len(record["lines"]), summary[:120])
    return out


def diff_snapshots(old: DatasetSnapshot, new: DatasetSnapshot, sample: int = DIFF_SAMPLE) -> dict[str, Any]:
    """Added / removed / changed records of `new` against `old`, counted by kind, with samples."""
    before, after = _digests(old), _digests(new)
    result: dict[str, Any] = {"against": old.pk, "counts": {}, "samples": {}}
    changes = {
        "added": [k for k in after if k not in before],
        "removed": [k for k in before if k not in after],
        "changed": [k for k in after if k in before and after[k][0] != before[k][0]],
    }
    for change, ids in changes.items():
        table = before if change == "removed" else after
        for kind in ("corpus", "correction"):
            picked = [k for k in ids if table[k][1] == kind]
            result["counts"][f"{change}_{kind}"] = len(picked)
            result["samples"][f"{change}_{kind}"] = [
                {"id": k, "lines": table[k][2], "summary": table[k][3]} for k in picked[:sample]
            ]
    result["counts"]["lines_delta"] = new.line_count - old.line_count
    result["counts"]["target_lines_delta"] = new.target_line_count - old.target_line_count
    return result


# --- What an export reads ---------------------------------------------------------------------


def export_context(
    snapshot: DatasetSnapshot | None, *, sep: str | None = None, system: bool = False
) -> tuple[Iterator[dict[str, Any]], ExportContext, int]:
    """(records, context, line total for progress) for a snapshot, or for the current data when None."""
    if snapshot is not None:
        character = snapshot.character
        records: Iterator[dict[str, Any]] = iter_conversations(snapshot)
        saved = snapshot.stats.get("character", {})
        names = frozenset(saved.get("names") or character.names())
        prompt_name = saved.get("prompt_name") or character.prompt_name
        card = {
            "snapshot": f"#{snapshot.pk} of {snapshot.created_at:%Y-%m-%d %H:%M %Z}",
            "sha256": snapshot.sha256,
            "conversations": snapshot.conversation_count,
            "lines": snapshot.line_count,
            "target_lines": snapshot.target_line_count,
            "corrections": snapshot.correction_count,
        }
        total = snapshot.line_count
    else:
        character = Character.default()
        records = iter_current_records(character)
        names, prompt_name, card = frozenset(character.names()), character.prompt_name, {}
        total = Line.objects.count() + 3 * Candidate.objects.filter(status__in=ACCEPTED).count()
    ctx = ExportContext(
        prompt_name=prompt_name,
        names=names,
        user_name=settings.MARISA_USER_NAME,
        sep=line_separator(sep),
        system=(character.guidelines or None) if system else None,
        card={"title": f"{prompt_name} dialogue", **card},
        # dpo: the arena's decisive votes too; a snapshot's export only those cast before it was made
        preferences=partial(iter_preference_records, character, snapshot.created_at if snapshot else None),
    )
    return records, ctx, total
