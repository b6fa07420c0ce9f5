"""JSONL and CSV dialogue files: `speaker`, `text` and an optional `conversation` per row. No Django.

JSONL rows may also be whole conversations, {"lines": [{"speaker", "text"}, ...]}, as export_dataset writes.
Bad rows fail the import with the row's line number: JSON nested deeper than a row can be, a NUL or an
unpaired surrogate written as a \\u escape, a speaker over the limit, a CSV field over the csv module's.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Sequence

from annotation.corpus.encoding import ImportFailed
from annotation.corpus.formats.common import (
    MAX_LINES_PER_CONVERSATION,
    SPACES,
    ParsedConversation,
    ParsedLine,
    clean_speaker,
)
from annotation.corpus.limits import SPEAKER_MAX, SPEAKER_TOO_LONG, TITLE_MAX, too_long

SPEAKER_KEYS = ("speaker", "name", "話者", "名前")
TEXT_KEYS = ("text", "utterance", "台詞", "セリフ", "発話")
CONVERSATION_KEYS = ("conversation", "conversation_id", "dialogue", "会話")
# Only a \u escape in JSON can produce these; no database stores them (PostgreSQL refuses NUL in text,
# and an unpaired surrogate cannot be encoded as UTF-8 at all).
UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")


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
    _check_storable(where, "speaker", speaker or "")
    _check_storable(where, "text", text)
    name = clean_speaker(speaker or "")
    if len(name) > SPEAKER_MAX:
        raise ImportFailed(f"{where}: {too_long(SPEAKER_TOO_LONG, len(name))}")
    return ParsedLine(name, text.strip(SPACES), "prefix" if name else "unknown")


def _check_storable(where: str, field: str, value: str) -> None:
    bad = UNSTORABLE_RE.search(value)
    if bad is not None:
        char = bad.group()
        what = "a NUL character" if char == "\x00" else f"an unpaired surrogate (\\u{ord(char):04x})"
        raise ImportFailed(f"{where}: '{field}' contains {what}, which cannot be stored")


def _conversation_key(value: object, where: str) -> object:
    """A conversation key is a string or a number (or absent); anything else would be no useful title."""
    if value is None or isinstance(value, str | int | float):
        if isinstance(value, str):
            _check_storable(where, "conversation", value)
        return value
    raise ImportFailed(f"{where}: 'conversation' must be a string or a number, not {type(value).__name__}")


def _title(key: object) -> str:
    return "" if key is None else str(key)[:TITLE_MAX]


def _json_row(raw: str, number: int) -> object:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ImportFailed(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise ImportFailed(
            f"line {number}: the JSON is nested too deeply (a row is one object, or one "
            '{"lines": [...]} conversation)'
        ) from None
    except ValueError:  # an integer of thousands of digits (Python's int_max_str_digits)
        raise ImportFailed(f"line {number}: not valid JSON (a number too long to read)") from None


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
            yield ParsedConversation(self.lines, _title(self.key))
        self.lines = []


def parse_jsonl(lines: Iterable[str]) -> Iterator[ParsedConversation]:
    group = _Grouper()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        row = _json_row(raw, number)
        if not isinstance(row, dict):
            raise ImportFailed(f"line {number}: expected a JSON object, got {type(row).__name__}")
        if isinstance(row.get("lines"), list):  # one conversation per row, as export_dataset writes
            yield from group.flush()
            items = [
                _structured_line(item if isinstance(item, dict) else {}, f"line {number}")
                for item in row["lines"]
            ]
            _, key = _pick(row, ("id", *CONVERSATION_KEYS))
            key = _conversation_key(key, f"line {number}")
            if items:
                yield ParsedConversation(items, _title(key))
            continue
        _, key = _pick(row, CONVERSATION_KEYS)
        key = _conversation_key(key, f"line {number}")
        yield from group.add(key, _structured_line(row, f"line {number}"))
    yield from group.flush()


def parse_csv(lines: Iterable[str]) -> Iterator[ParsedConversation]:
    it = iter(lines)
    first = next(it, "")
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(_with_newlines(first, it), delimiter=delimiter)
    rows = _csv_rows(reader)
    header = [h.strip().lower() for h in next(rows, [])]
    if not any(k in header for k in SPEAKER_KEYS) or not any(k in header for k in TEXT_KEYS):
        raise ImportFailed(
            f"line 1: the CSV header must name 'speaker' and 'text' columns (found: {', '.join(header)})"
        )
    group = _Grouper()
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        where = f"line {reader.line_num}"
        if len(row) != len(header):
            raise ImportFailed(f"{where}: {len(row)} fields, the header has {len(header)}")
        record = dict(zip(header, row, strict=True))
        _, key = _pick(record, CONVERSATION_KEYS)
        yield from group.add(key or None, _structured_line(record, where))
    yield from group.flush()


def _csv_rows(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    """The reader's rows; the csv module's own errors (a field over its size limit) name the line."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = getattr(reader, "line_num", 0)
            if "field limit" in str(exc):
                limit = csv.field_size_limit()
                raise ImportFailed(f"line {line}: a field is longer than {limit:,} characters") from None
            raise ImportFailed(f"line {line}: unreadable CSV ({exc})") from None
        yield row


def _with_newlines(first: str, rest: Iterator[str]) -> Iterator[str]:
    # csv needs the line ends back to keep quoted multi-line fields intact.
    yield first + "\n"
    for line in rest:
        yield line + "\n"
