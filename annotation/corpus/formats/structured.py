"""JSONL and CSV dialogue files: `speaker`, `text` and an optional `conversation` per row. No Django.

JSONL rows may also be whole conversations, {"lines": [{"speaker", "text"}, ...]}, as export_dataset writes.
Bad rows fail the import with the row's line number.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence

from annotation.corpus.encoding import ImportFailed
from annotation.corpus.formats.common import (
    MAX_LINES_PER_CONVERSATION,
    SPACES,
    ParsedConversation,
    ParsedLine,
    clean_speaker,
)

SPEAKER_KEYS = ("speaker", "name", "話者", "名前")
TEXT_KEYS = ("text", "utterance", "台詞", "セリフ", "発話")
CONVERSATION_KEYS = ("conversation", "conversation_id", "dialogue", "会話")


def _pick(row: dict, keys: Sequence[str]) -> tuple[bool, object]:
    for key in keys:
        if key in row:
            return True, row[key]
    return False, None


def _structured_line(row: dict, where: str) -> ParsedLine:
    has_speaker, speaker = _pick(row, SPEAKER_KEYS)
    has_text, text = _pick(row, TEXT_KEYS)
    if not has_text:
        raise ImportFailed(f"{where}: no 'text' field (found: {', '.join(map(str, row)) or 'nothing'})")
    if not has_speaker:
        raise ImportFailed(f"{where}: no 'speaker' field (use an empty speaker for an unknown one)")
    if speaker is not None and not isinstance(speaker, str):
        raise ImportFailed(f"{where}: 'speaker' must be a string, not {type(speaker).__name__}")
    if not isinstance(text, str):
        raise ImportFailed(f"{where}: 'text' must be a string, not {type(text).__name__}")
    if not text.strip(SPACES):
        raise ImportFailed(f"{where}: 'text' is empty")
    name = clean_speaker(speaker or "")
    return ParsedLine(name, text.strip(SPACES), "prefix" if name else "unknown")


class _Grouper:
    """Consecutive rows with the same conversation key form one conversation."""

    def __init__(self) -> None:
        self.key: object = None
        self.lines: list[ParsedLine] = []

    def add(self, key: object, line: ParsedLine) -> Iterator[ParsedConversation]:
        if self.lines and (key != self.key or len(self.lines) >= MAX_LINES_PER_CONVERSATION):
            yield from self.flush()
        self.key = key
        self.lines.append(line)

    def flush(self) -> Iterator[ParsedConversation]:
        if self.lines:
            title = "" if self.key is None else str(self.key)[:300]
            yield ParsedConversation(self.lines, title)
        self.lines = []


def parse_jsonl(lines: Iterable[str]) -> Iterator[ParsedConversation]:
    group = _Grouper()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ImportFailed(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(row, dict):
            raise ImportFailed(f"line {number}: expected a JSON object, got {type(row).__name__}")
        if isinstance(row.get("lines"), list):  # one conversation per row, as export_dataset writes
            yield from group.flush()
            items = [
                _structured_line(item if isinstance(item, dict) else {}, f"line {number}")
                for item in row["lines"]
            ]
            _, key = _pick(row, ("id", *CONVERSATION_KEYS))
            if items:
                yield ParsedConversation(items, "" if key is None else str(key)[:300])
            continue
        _, key = _pick(row, CONVERSATION_KEYS)
        yield from group.add(key, _structured_line(row, f"line {number}"))
    yield from group.flush()


def parse_csv(lines: Iterable[str]) -> Iterator[ParsedConversation]:
    it = iter(lines)
    first = next(it, "")
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(_with_newlines(first, it), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    if not any(k in header for k in SPEAKER_KEYS) or not any(k in header for k in TEXT_KEYS):
        raise ImportFailed(
            f"line 1: the CSV header must name 'speaker' and 'text' columns (found: {', '.join(header)})"
        )
    group = _Grouper()
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        where = f"line {reader.line_num}"
        if len(row) != len(header):
            raise ImportFailed(f"{where}: {len(row)} fields, the header has {len(header)}")
        record = dict(zip(header, row, strict=True))
        _, key = _pick(record, CONVERSATION_KEYS)
        yield from group.add(key or None, _structured_line(record, where))
    yield from group.flush()


def _with_newlines(first: str, rest: Iterator[str]) -> Iterator[str]:
    # csv needs the line ends back to keep quoted multi-line fields intact.
    yield first + "\n"
    for line in rest:
        yield line + "\n"
