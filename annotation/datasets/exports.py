"""Data set exports, streamed: each format is a generator over snapshot records, constant memory.

Formats (see README "Exports"):
  jsonl     one conversation per line: {"id", "kind", "source", "character", "lines": [{"speaker", "text"}]}
  text      the seed's training text as training.core.textformat.render writes it: `speaker: utterance{sep}`
            per line, the character's aliases (NFKC-matched) written as her prompt name, a blank line
            between conversations
  hf        records `datasets.load_dataset("json", data_files=...)` reads ({"id", "kind", "source", "text",
            "lines"}) plus a dataset card README.md; streamed as a zip (README.md + data/train.jsonl)
  sft-chat  {"id", "messages": [{"role", "content"}]}: the character's lines are `assistant`, every other
            speaker's lines are `user` (prefixed `name: ` unless the speaker is the user name); consecutive
            turns of one role are joined by a newline, leading assistant turns and trailing user turns are
            dropped (chat templates want user first and nothing to learn after the last reply), conversations
            without an assistant turn are skipped; an optional system message carries the guidelines
  dpo       {"id", "prompt", "chosen", "rejected"} from corrections: an edited reply (chosen = corrected,
            rejected = the model's text) and each rejected reply to a question paired with its accepted reply;
            then the arena's decisive votes (chosen = the winner's reply, rejected = the loser's; ids
            "arena-N"; ties and both-bad votes have no winner and are skipped) when the context has
            `preferences` (annotation.review.arena_stats.iter_preference_records)
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import IO, Any, cast

from training.core.textformat import NAME_DELIMITER, CharacterSpec, Turn, chat_prompt, one_line, speaker_label
from training.core.zipstream import ZipSink

FORMATS = ("jsonl", "text", "hf", "sft-chat", "dpo")
CONTENT_TYPES = {
    "jsonl": "application/x-ndjson; charset=utf-8",
    "text": "text/plain; charset=utf-8",
    "hf": "application/zip",
    "sft-chat": "application/x-ndjson; charset=utf-8",
    "dpo": "application/x-ndjson; charset=utf-8",
}
EXTENSIONS = {"jsonl": "jsonl", "text": "txt", "hf": "zip", "sft-chat": "jsonl", "dpo": "jsonl"}
UNKNOWN_SPEAKER = "？"  # written for lines whose speaker the importer could not tell
CHUNK_BYTES = 1 << 16


@dataclass(frozen=True)
class ExportContext:
    """What a format needs besides the records: who the character is and how lines are separated."""

    prompt_name: str = "魔理沙"
    names: frozenset[str] = frozenset({"魔理沙"})
    user_name: str = "ユーザー"
    sep: str = "\n"
    system: str | None = None  # sft-chat: system message text, None = no system message
    card: dict[str, Any] = field(default_factory=dict)  # hf: facts for the dataset card
    # dpo: extra preference records {"id", "context", "question", "chosen", "rejected"} (the arena's votes),
    # read only when a dpo export runs; None = none
    preferences: Callable[[], Iterable[dict]] | None = None

    @cached_property
    def spec(self) -> CharacterSpec:
        return _MemoSpec(prompt_name=self.prompt_name, aliases=self.names, user_name=self.user_name)

    @cached_property
    def prefixes(self) -> dict[str, str]:
        """speaker -> `name: ` as written in the text (filled as speakers turn up)."""
        if not self.sep:
            raise ValueError("the line separator must not be empty")
        return {}


class _MemoSpec(CharacterSpec):
    """CharacterSpec whose is_character (NFKC of every alias, per call) is remembered per speaker.

    render() asks it twice per line and a corpus has few distinct speakers, so the NFKC work is done
    once per speaker instead of twice per line, with exactly the same answers.
    """

    def is_character(self, speaker: str) -> bool:
        return _is_character_memo(self, speaker)


@lru_cache(maxsize=65536)
def _is_character_memo(spec: CharacterSpec, speaker: str) -> bool:
    return CharacterSpec.is_character(spec, speaker)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _is_character(ctx: ExportContext) -> Callable[[str], bool]:
    """spec.is_character (NFKC matching, as training does), remembered per speaker for speed."""
    cache: dict[str, bool] = {}
    spec = ctx.spec

    def check(speaker: str) -> bool:
        found = cache.get(speaker)
        if found is None:
            found = cache[speaker] = spec.is_character(speaker)
        return found

    return check


def render_text(lines: list[dict[str, str]], ctx: ExportContext) -> str:
    """One conversation exactly as training.core.textformat.render writes it (a test holds the two equal).

    Rendered here from a per-speaker prefix table instead of through Turn objects: the export's hot loop.
    """
    prefixes, sep = ctx.prefixes, ctx.sep
    out = []
    for line in lines:
        speaker = line["speaker"]
        prefix = prefixes.get(speaker)
        if prefix is None:
            label = speaker_label(one_line(speaker, sep) or UNKNOWN_SPEAKER, ctx.spec)
            prefix = prefixes[speaker] = label + NAME_DELIMITER
        out.append(prefix + one_line(line["text"], sep) + sep)
    return "".join(out)


# --- The formats: records in, text pieces out ---------------------------------------------------


def iter_jsonl(records: Iterable[dict], ctx: ExportContext) -> Iterator[str]:
    for r in records:
        yield (
            _dumps(
                {
                    "id": r["id"],
                    "kind": r["kind"],
                    "source": r["source"],
                    "character": ctx.prompt_name,
                    "lines": r["lines"],
                }
            )
            + "\n"
        )


def iter_text(records: Iterable[dict], ctx: ExportContext) -> Iterator[str]:
    for r in records:
        text = render_text(r["lines"], ctx)
        # A blank line between conversations, whatever the separator.
        yield text + ("\n" if text.endswith("\n") else "\n\n")


def iter_hf_records(records: Iterable[dict], ctx: ExportContext) -> Iterator[str]:
    """The data file of the hf format: one JSON object per line with a fixed schema."""
    is_char = _is_character(ctx)
    for r in records:
        lines = [
            {
                "speaker": ctx.prompt_name if is_char(ln["speaker"]) else (ln["speaker"] or UNKNOWN_SPEAKER),
                "text": ln["text"],
            }
            for ln in r["lines"]
        ]
        row = {"id": r["id"], "kind": r["kind"], "source": r["source"], "text": render_text(r["lines"], ctx)}
        row["lines"] = lines
        yield _dumps(row) + "\n"


def iter_sft_chat(records: Iterable[dict], ctx: ExportContext) -> Iterator[str]:
    is_char = _is_character(ctx)
    for r in records:
        messages = chat_messages(r["lines"], ctx, is_char)
        if messages:
            yield _dumps({"id": r["id"], "messages": messages}) + "\n"


def chat_messages(
    lines: list[dict[str, str]], ctx: ExportContext, is_char: Callable[[str], bool] | None = None
) -> list[dict[str, str]]:
    """The sft-chat rule (module docstring): [] when the character never answers."""
    is_char = is_char or _is_character(ctx)
    turns: list[dict[str, str]] = []
    for line in lines:
        speaker, text = line["speaker"], line["text"]
        if is_char(speaker):
            role, content = "assistant", text
        else:
            role = "user"
            content = text if speaker == ctx.user_name else f"{speaker or UNKNOWN_SPEAKER}: {text}"
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"] += "\n" + content
        else:
            turns.append({"role": role, "content": content})
    while turns and turns[0]["role"] == "assistant":
        turns.pop(0)
    while turns and turns[-1]["role"] == "user":
        turns.pop()
    if not turns:
        return []
    if ctx.system:
        turns.insert(0, {"role": "system", "content": ctx.system})
    return turns


def iter_dpo(records: Iterable[dict], ctx: ExportContext) -> Iterator[str]:
    for r in records:
        if r["kind"] != "correction":
            continue
        *history, question, answer = r["lines"]
        turns = [Turn(line["speaker"] or UNKNOWN_SPEAKER, line["text"]) for line in history]
        # Exactly the prompt generation uses, so the pair trains the reply where inference asks for it.
        prompt = chat_prompt(turns, question["text"], ctx.spec, ctx.sep)
        chosen = answer["text"]
        rejected = []
        if r.get("model_text") and r["model_text"] != chosen:
            rejected.append(r["model_text"])
        rejected += [t for t in r.get("rejected", []) if t != chosen]
        for i, bad in enumerate(rejected):
            yield _dumps({"id": f"{r['id']}-{i}", "prompt": prompt, "chosen": chosen, "rejected": bad}) + "\n"
    if ctx.preferences is not None:
        yield from iter_preference_pairs(ctx.preferences(), ctx)


def iter_preference_pairs(preferences: Iterable[dict], ctx: ExportContext) -> Iterator[str]:
    """Ready-made preference records (the arena's votes) as DPO rows, with the generation prompt."""
    for p in preferences:
        turns = [Turn(t["speaker"] or UNKNOWN_SPEAKER, t["text"]) for t in p["context"]]
        prompt = chat_prompt(turns, p["question"], ctx.spec, ctx.sep)
        if p["chosen"] != p["rejected"]:
            row = {"id": p["id"], "prompt": prompt, "chosen": p["chosen"], "rejected": p["rejected"]}
            yield _dumps(row) + "\n"


PIECES: dict[str, Callable[[Iterable[dict], ExportContext], Iterator[str]]] = {
    "jsonl": iter_jsonl,
    "text": iter_text,
    "hf": iter_hf_records,
    "sft-chat": iter_sft_chat,
    "dpo": iter_dpo,
}


# --- Bytes for files and HTTP -------------------------------------------------------------------


def chunked(pieces: Iterable[str], size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Join small pieces into ~64 KB byte chunks: fewer writes, the first chunk still comes at once."""
    buf: list[str] = []
    n = 0
    first = True
    for piece in pieces:
        buf.append(piece)
        n += len(piece)
        if first or n >= size:
            yield "".join(buf).encode()
            buf, n, first = [], 0, False
    if buf:
        yield "".join(buf).encode()


def export_bytes(fmt: str, records: Iterable[dict], ctx: ExportContext) -> Iterator[bytes]:
    """The whole export as a byte stream: hf as a streamed zip, every other format as its text."""
    if fmt not in PIECES:
        raise ValueError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if fmt == "hf":
        return iter_hf_zip(records, ctx)
    return chunked(PIECES[fmt](records, ctx))


def iter_hf_zip(records: Iterable[dict], ctx: ExportContext) -> Iterator[bytes]:
    """README.md (the card) and data/train.jsonl, zipped on the fly (zipfile streams to unseekable files)."""
    sink = ZipSink()
    # Level 1: deflate at its fastest, so the zip keeps up with the stream; JSONL of dialogue is repetitive
    # enough to shrink well even so (see BENCHMARKS.md).
    with zipfile.ZipFile(cast(IO[bytes], sink), "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("README.md", dataset_card(ctx))
        yield sink.drain()
        with zf.open("data/train.jsonl", "w", force_zip64=True) as member:
            for chunk in chunked(iter_hf_records(records, ctx)):
                member.write(chunk)
                if sink.pending() >= CHUNK_BYTES:
                    yield sink.drain()
    yield sink.drain()


def dataset_card(ctx: ExportContext) -> str:
    """A Hugging Face dataset card: YAML header that `datasets` reads, then what the data is."""
    c = ctx.card
    sep_shown = json.dumps(ctx.sep, ensure_ascii=False)
    return f"""---
language:
- ja
task_categories:
- text-generation
pretty_name: {c.get("title", "Oshaberi Marisa dialogue")}
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train.jsonl
dataset_info:
  features:
  - name: id
    dtype: string
  - name: kind
    dtype: string
  - name: source
    dtype: string
  - name: text
    dtype: string
  - name: lines
    list:
    - name: speaker
      dtype: string
    - name: text
      dtype: string
---

# {c.get("title", "Oshaberi Marisa dialogue")}

Dialogue for training a chatbot that speaks as **{ctx.prompt_name}**: imported conversations
(`kind: corpus`) and reviewer-accepted replies to questions (`kind: correction`,
a `{ctx.user_name}` / `{ctx.prompt_name}` exchange).

- Snapshot: {c.get("snapshot", "current data (no snapshot)")}
- sha256 of the snapshot content: `{c.get("sha256", "-")}`
- Conversations: {c.get("conversations", "?")}, lines: {c.get("lines", "?")},
  lines of {ctx.prompt_name}: {c.get("target_lines", "?")}, corrections: {c.get("corrections", "?")}
- `text` is the seed training format `speaker: utterance` + the line separator {sep_shown};
  the character's aliases ({", ".join(sorted(ctx.names))}) are written as `{ctx.prompt_name}`.
  Train only on {ctx.prompt_name}'s utterances and the separator that ends each.

```python
import datasets
ds = datasets.load_dataset("json", data_files="data/train.jsonl", split="train")
```
"""
