"""Preference data for the DPO and KTO stages, from snapshot records: pairs, unpaired rows, the held-out split,
and their token ids. Plain Python (no Django, no torch).

- DPO pairs: an edited candidate gives (prompt, corrected reply, the model's original text); each rejected reply
  to a question gives (prompt, accepted reply, rejected reply); an arena vote ({"id", "context", "question", "chosen", "rejected"}, annotation.review.arena_stats) gives
  (prompt, winner's reply, loser's reply).
- KTO rows: accepted replies are desirable; rejected replies, and the model's text that a reviewer replaced, are
  undesirable.
- The prompt is exactly the generation prompt (`chat_prompt`: history + `ユーザー: q{sep}魔理沙: `) and a
  completion is the reply on one line plus the separator, so the stop rule is trained as in SFT.
- Pairs whose two sides are the same text are dropped and counted; so are repeated pairs and rows.
- Held out: a pair whose record is pinned in the evaluation set, and a stable share of the others chosen by a
  hash of the prompt (the same question is held out in every round, and never on both sides of the split).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from training.core.fragments import encode_fragments, separator_ids, special_affixes
from training.core.textformat import UNKNOWN_SPEAKER, CharacterSpec, Turn, chat_prompt, one_line

# Fewer than this and a stage would fit noise; the message says how many there are and how many are needed.
MIN_PAIRS = 32
MIN_ROWS = 32
HELD_OUT_SHARE = 0.2
STAGES = ("dpo", "kto")


class NotEnoughPreferenceData(ValueError):
    """Too few pairs (DPO) or rows (KTO) to train on; the message gives the count and the count needed."""


@dataclass(frozen=True)
class PreferencePair:
    id: str
    prompt: str
    chosen: str  # completions: one line plus the separator
    rejected: str
    origin: str  # "edit", "rejected" or "arena"


@dataclass(frozen=True)
class PreferenceRow:
    id: str
    prompt: str
    completion: str
    desirable: bool
    origin: str  # "accepted", "rejected" or "edit"


@dataclass
class PreferenceSet:
    """Pairs or rows for training and held out, with what was dropped on the way."""

    train: list[Any] = field(default_factory=list)
    held_out: list[Any] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def report(self) -> dict[str, Any]:
        return {"train": len(self.train), "held_out": len(self.held_out), **self.counts}


def completion(text: str, sep: str) -> str:
    """A reply as trained: on one line, ended by the separator."""
    return one_line(text.strip(), sep) + sep


def record_prompt(record: dict[str, Any], character: CharacterSpec, sep: str) -> tuple[str, str] | None:
    """(generation prompt, reply) of a correction record: its lines are context..., question, reply."""
    lines = record.get("lines") or []
    if len(lines) < 2:
        return None
    *history, question, answer = lines
    turns = [Turn(line.get("speaker") or UNKNOWN_SPEAKER, line.get("text") or "") for line in history]
    return chat_prompt(turns, question.get("text") or "", character, sep), answer.get("text") or ""


def pairs_from_records(
    records: Iterable[dict[str, Any]], character: CharacterSpec, sep: str
) -> tuple[list[PreferencePair], dict[str, int]]:
    """DPO pairs of every correction and arena record, identical and repeated pairs dropped and counted."""
    pairs: list[PreferencePair] = []
    counts = {"identical_dropped": 0, "duplicates_dropped": 0}
    seen: set[tuple[str, str, str]] = set()
    for record in records:
        for pair in _record_pairs(record, character, sep):
            key = (pair.prompt, pair.chosen, pair.rejected)
            if pair.chosen == pair.rejected:
                counts["identical_dropped"] += 1
            elif key in seen:
                counts["duplicates_dropped"] += 1
            else:
                seen.add(key)
                pairs.append(pair)
    for origin in ("edit", "rejected", "arena"):
        counts[f"from_{origin}"] = sum(1 for p in pairs if p.origin == origin)
    return pairs, counts


def _record_pairs(record: dict[str, Any], character: CharacterSpec, sep: str) -> list[PreferencePair]:
    kind = record.get("kind")
    if kind is None and record.get("chosen") and record.get("rejected"):  # an arena vote (arena_stats)
        context = record.get("context") or []
        turns = [Turn(t.get("speaker") or UNKNOWN_SPEAKER, t.get("text") or "") for t in context]
        prompt = chat_prompt(turns, record.get("question") or "", character, sep)
        chosen, rejected = completion(record["chosen"], sep), completion(record["rejected"], sep)
        return [PreferencePair(str(record.get("id")), prompt, chosen, rejected, "arena")]
    if kind != "correction":
        return []
    found = record_prompt(record, character, sep)
    if found is None:
        return []
    prompt, reply = found
    chosen = completion(reply, sep)
    out = []
    if record.get("model_text") and record["model_text"] != reply:
        out.append(
            PreferencePair(
                f"{record['id']}#edit", prompt, chosen, completion(record["model_text"], sep), "edit"
            )
        )
    for i, bad in enumerate(record.get("rejected") or []):
        out.append(PreferencePair(f"{record['id']}#r{i}", prompt, chosen, completion(bad, sep), "rejected"))
    return out


def rows_from_records(
    records: Iterable[dict[str, Any]], character: CharacterSpec, sep: str
) -> tuple[list[PreferenceRow], dict[str, int]]:
    """KTO rows: accepted replies desirable; rejected replies and replaced model texts undesirable."""
    rows: list[PreferenceRow] = []
    counts = {"identical_dropped": 0, "duplicates_dropped": 0}
    seen: dict[tuple[str, str], bool] = {}
    conflicting: set[tuple[str, str]] = set()
    for record in records:
        for row in _record_rows(record, character, sep):
            key = (row.prompt, row.completion)
            if key not in seen:
                seen[key] = row.desirable
                rows.append(row)
            elif seen[key] != row.desirable:
                conflicting.add(key)  # the same reply both accepted and rejected says nothing
            else:
                counts["duplicates_dropped"] += 1
    counts["identical_dropped"] = sum(1 for r in rows if (r.prompt, r.completion) in conflicting)
    rows = [r for r in rows if (r.prompt, r.completion) not in conflicting]
    counts["desirable"] = sum(1 for r in rows if r.desirable)
    counts["undesirable"] = len(rows) - counts["desirable"]
    return rows, counts


def _record_rows(record: dict[str, Any], character: CharacterSpec, sep: str) -> list[PreferenceRow]:
    if record.get("kind") != "correction":
        return []
    found = record_prompt(record, character, sep)
    if found is None:
        return []
    prompt, reply = found
    rid = str(record.get("id"))
    out = [PreferenceRow(rid, prompt, completion(reply, sep), True, "accepted")]
    if record.get("model_text") and record["model_text"] != reply:
        out.append(PreferenceRow(f"{rid}#edit", prompt, completion(record["model_text"], sep), False, "edit"))
    for i, bad in enumerate(record.get("rejected") or []):
        out.append(PreferenceRow(f"{rid}#r{i}", prompt, completion(bad, sep), False, "rejected"))
    return out


def held_out_by_hash(prompt: str, share: float = HELD_OUT_SHARE) -> bool:
    """Stable: the same prompt falls on the same side in every round and on every machine."""
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def split_items(
    items: Sequence[Any],
    pinned_ids: AbstractSet[str] = frozenset(),
    share: float = HELD_OUT_SHARE,
) -> tuple[list[Any], list[Any]]:
    """(train, held out): pinned records (their id before any `#suffix`) and the hashed share are held out."""
    train: list[Any] = []
    held: list[Any] = []
    for item in items:
        base_id = item.id.split("#")[0]
        (held if base_id in pinned_ids or held_out_by_hash(item.prompt, share) else train).append(item)
    if not held and len(train) >= 4:  # always something to measure on: the last prompt's items
        last = train[-1].prompt
        held = [i for i in train if i.prompt == last]
        train = [i for i in train if i.prompt != last]
    return train, held


def check_enough(stage: str, n: int, minimum: int, rows: Sequence[PreferenceRow] = ()) -> None:
    """NotEnoughPreferenceData with the count and the count needed (KTO also needs both labels)."""
    if stage == "dpo" and n < minimum:
        raise NotEnoughPreferenceData(
            f"{n} preference pairs to train on; DPO needs at least {minimum}: review more candidates "
            "(an edit or a rejected reply beside an accepted one makes a pair) and create a new snapshot"
        )
    if stage == "kto":
        good = sum(1 for r in rows if r.desirable)
        if n < minimum or not good or good == n:
            raise NotEnoughPreferenceData(
                f"{n} rows to train on ({good} accepted, {n - good} rejected); KTO needs at least {minimum}, "
                "with both accepted and rejected replies: review more candidates and create a new snapshot"
            )


def encode(
    tokenizer: Any, prompt: str, completions: Sequence[str], sep: str
) -> tuple[list[int], list[list[int]]]:
    """Prompt ids as generation encodes the prompt; each completion's ids continuing it, separator canonical.

    Encoding the two apart makes the prompt's end a token boundary, as labels.py does for SFT, so a completion
    never starts inside the prompt's last token; the separator gets the ids the stop rule matches.
    """
    head, _tail = special_affixes(tokenizer)
    prompt_ids = head + encode_fragments(tokenizer, [prompt], first_plain=True)[0]
    sep_ids = separator_ids(tokenizer, sep)
    texts = [c[: -len(sep)] if c.endswith(sep) else c for c in completions]
    bodies = encode_fragments(tokenizer, texts)
    return prompt_ids, [body + sep_ids for body in bodies]


def pair_features(tokenizer: Any, pairs: Sequence[PreferencePair], sep: str) -> list[dict[str, Any]]:
    """What TRL's DPO collator reads: prompt_ids, chosen_ids, rejected_ids."""
    out = []
    for pair in pairs:
        prompt_ids, (chosen, rejected) = encode(tokenizer, pair.prompt, [pair.chosen, pair.rejected], sep)
        out.append({"prompt_ids": prompt_ids, "chosen_ids": chosen, "rejected_ids": rejected})
    return out


def row_features(tokenizer: Any, rows: Sequence[PreferenceRow], sep: str) -> list[dict[str, Any]]:
    """What TRL's KTO collator reads: prompt_ids, completion_ids, label."""
    out = []
    for row in rows:
        prompt_ids, (ids,) = encode(tokenizer, row.prompt, [row.completion], sep)
        out.append({"prompt_ids": prompt_ids, "completion_ids": ids, "label": row.desirable})
    return out
