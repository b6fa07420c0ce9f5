"""The import formats: `detect_format` tells a file's format from its name and first lines, `parse` runs
that format's parser over the lines. No Django.

Formats: script/SS (`名前「台詞」`, `名前：台詞`, `名前: 台詞`, the play layout `名前　　台詞`) in script.py,
Aozora Bunko novels in aozora.py, JSONL and CSV in structured.py. Every parser takes an iterable of lines
(no terminators) and yields conversations one at a time, so a big file never sits in memory whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import PurePath

from annotation.corpus.encoding import ImportFailed
from annotation.corpus.formats.common import SPACES, ParsedConversation, aozora_body, strip_markup
from annotation.corpus.formats.script import match_speech, parse_script

FORMATS = ("script", "aozora", "jsonl", "csv")


# --- Dispatch ---------------------------------------------------------------------------------------
def detect_format(name: str, head: Sequence[str]) -> str:
    """The format of a file from its name and its first lines (decoded)."""
    suffix = PurePath(name).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    content = [line for line in head if line.strip(SPACES)]
    if not content:
        return "script"
    first = content[0].lstrip("\ufeff").strip()
    if first.startswith("{"):
        return "jsonl"
    lowered = first.lower()
    if ("," in first or "\t" in first) and "speaker" in lowered and "text" in lowered:
        return "csv"
    body = [strip_markup(line) for line in aozora_body(content)]
    body = [line for line in body if line.strip(SPACES)]
    speeches = sum(1 for line in body if match_speech(line))
    # A short script is all speeches (魔理沙「テストだぜ」 / 霊夢「はいはい」): no novel opens that way.
    if body and (speeches >= 3 or speeches == len(body)) and speeches >= 0.3 * len(body):
        return "script"
    return "aozora"


def parse(lines: Iterable[str], fmt: str) -> Iterator[ParsedConversation]:
    if fmt == "script":
        return parse_script(lines)
    if fmt == "aozora":
        from annotation.corpus.formats.aozora import parse_aozora

        return parse_aozora(lines)
    if fmt in ("jsonl", "csv"):
        from annotation.corpus.formats.structured import parse_csv, parse_jsonl

        return parse_jsonl(lines) if fmt == "jsonl" else parse_csv(lines)
    raise ImportFailed(f"unknown format {fmt!r}: choose one of auto, {', '.join(FORMATS)}")
