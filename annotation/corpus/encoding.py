"""Detect a text file's encoding and stream it as lines in bounded memory (no Django).

Detection looks at a prefix only; the whole file is then decoded strictly, chunk by chunk, so a bad
byte half-way through still fails the import (the caller's transaction rolls everything back).
"""

from __future__ import annotations

import codecs
import hashlib
import os
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK_BYTES = 1 << 20
SNIFF_BYTES = 64 * 1024
# Strict candidates, most specific first; cp932 is the Windows superset of Shift_JIS that Aozora files use.
CANDIDATES = ("utf-8", "cp932", "euc_jp")
LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "cp932": "Shift_JIS (CP932)", "euc_jp": "EUC-JP"}
MAGIC = {
    b"PK\x03\x04": "a ZIP archive (or .docx/.xlsx)",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"SQLite format 3": "an SQLite database",
    b"\x7fELF": "an executable",
}


class ImportFailed(Exception):
    """An import was refused; str(exc) is a one-line reason a user can act on."""


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{size:.1f} {unit}".replace(".0 ", " ")
        size /= 1024
    return str(n)


def check_size(size: int, limit: int) -> None:
    if size > limit:
        raise ImportFailed(
            f"the file is {human_bytes(size)} ({size} bytes), over the import limit of "
            f"{human_bytes(limit)} ({limit} bytes, MARISA_IMPORT_MAX_BYTES)"
        )


def _looks_japanese(text: str) -> float:
    """Share of characters plausible in Japanese/ASCII text: tells cp932 from EUC-JP misreadings."""
    if not text:
        return 0.0
    good = 0
    for ch in text:
        o = ord(ch)
        if (
            o < 0x80
            or 0x3000 <= o <= 0x30FF  # punctuation, hiragana, katakana
            or 0x4E00 <= o <= 0x9FFF  # common kanji
            or 0xFF01 <= o <= 0xFF5E  # full-width ASCII
        ):
            good += 1
    return good / len(text)


def _strict_prefix_decode(prefix: bytes, encoding: str) -> str | None:
    # final=False: a multibyte character cut by the prefix boundary is not an error here.
    try:
        return codecs.getincrementaldecoder(encoding)("strict").decode(prefix, final=False)
    except UnicodeDecodeError:
        return None


def _binary_reason(prefix: bytes) -> str | None:
    for magic, what in MAGIC.items():
        if prefix.startswith(magic):
            return f"this is {what}, not a text file"
    nul = prefix.find(b"\x00")
    if nul >= 0:
        return f"this looks like a binary file, not text (NUL byte at offset {nul})"
    return None


def _too_many_controls(text: str) -> bool:
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f")
    return controls > max(2, len(text) // 100)


def detect_encoding(prefix: bytes) -> str:
    """The codec name for a file starting with `prefix`; raises ImportFailed for binary or undecodable data."""
    if not prefix:
        raise ImportFailed("the file is empty")
    if prefix.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if prefix.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    reason = _binary_reason(prefix)
    if reason:
        raise ImportFailed(reason)
    decoded = {enc: _strict_prefix_decode(prefix, enc) for enc in CANDIDATES}
    if decoded["utf-8"] is not None:
        return "utf-8"
    scored = [(_looks_japanese(text), enc) for enc, text in decoded.items() if text is not None]
    if scored:
        return max(scored)[1]
    return _fallback(prefix)


def _fallback(prefix: bytes) -> str:
    """charset-normalizer for what the Japanese candidates cannot read, refused when it reads as noise."""
    from charset_normalizer import from_bytes

    best = from_bytes(prefix).best()
    if best is not None and best.encoding and best.chaos < 0.2:
        text = str(best)
        if not _too_many_controls(text):
            return codecs.lookup(best.encoding).name
    raise ImportFailed(
        "cannot read this file as text: it is not valid UTF-8, Shift_JIS/CP932 or EUC-JP "
        "(a binary file, or an unsupported encoding)"
    )


@dataclass
class TextStream:
    """Lines of a text file, decoded incrementally; sha256, size and bytes read are kept on the side.

    Iterate once. Lines have no line terminator; CRLF, CR and LF all end a line.
    """

    path: Path
    encoding: str
    progress: Callable[[int, int], None] | None = None
    chunk_bytes: int = CHUNK_BYTES
    size: int = 0
    bytes_read: int = 0
    lines_read: int = 0
    sha256: str = ""

    @property
    def label(self) -> str:
        return LABELS.get(self.encoding, self.encoding)

    def __iter__(self) -> Iterator[str]:
        self.size = os.path.getsize(self.path)
        decoder = codecs.getincrementaldecoder(self.encoding)("strict")
        digest = hashlib.sha256()
        pending = ""
        with open(self.path, "rb") as fh:
            while True:
                chunk = fh.read(self.chunk_bytes)
                final = not chunk
                digest.update(chunk)
                text = self._decode(decoder, chunk, final)
                self.bytes_read += len(chunk)
                if "\x00" in text:
                    line = self.lines_read + text[: text.index("\x00")].count("\n") + 1
                    raise ImportFailed(
                        f"binary data (a NUL character) near line {line}: this is not a text file"
                    )
                text = pending + text
                # A CR closing a chunk may be half of a CRLF: keep it until the next chunk decides.
                hold = "\r" if not final and text.endswith("\r") else ""
                if hold:
                    text = text[:-1]
                if "\r" in text:
                    text = text.replace("\r\n", "\n").replace("\r", "\n")
                parts = text.split("\n")
                tail = parts.pop()
                if final:
                    pending = ""
                    if tail:
                        parts.append(tail)
                else:
                    pending = tail + hold
                self.lines_read += len(parts)
                yield from parts
                if self.progress:
                    self.progress(self.bytes_read, self.size)
                if final:
                    break
        self.sha256 = digest.hexdigest()

    def _decode(self, decoder: codecs.IncrementalDecoder, chunk: bytes, final: bool) -> str:
        try:
            return decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            where = self.bytes_read + max(exc.start, 0)
            if final:
                raise ImportFailed(
                    f"the file ends in the middle of a {self.label} character (byte {self.size}): it looks truncated"
                ) from None
            raise ImportFailed(
                f"invalid {self.label} byte sequence near byte {where} (after line {self.lines_read}): "
                "the file mixes encodings or is damaged"
            ) from None


def open_text(path: Path, max_bytes: int, progress: Callable[[int, int], None] | None = None) -> TextStream:
    """Check the size, detect the encoding on a prefix, and return a stream of the file's lines."""
    path = Path(path)
    size = os.path.getsize(path)
    check_size(size, max_bytes)
    if size == 0:
        raise ImportFailed("the file is empty")
    with open(path, "rb") as fh:
        prefix = fh.read(SNIFF_BYTES)
        encoding = detect_encoding(prefix)
        if prefix.isascii() and encoding == "utf-8":
            encoding = _detect_past_ascii(fh) or encoding
    return TextStream(path=path, encoding=encoding, progress=progress)


def _detect_past_ascii(fh: BinaryIO) -> str | None:
    """An ASCII prefix says nothing (a long English header before Japanese text): detect on the
    first window that holds non-ASCII bytes, starting at a line boundary so no character is cut."""
    while True:
        chunk = fh.read(CHUNK_BYTES)
        if not chunk:
            return None
        if not chunk.isascii():
            first = next(i for i, byte in enumerate(chunk) if byte > 0x7F)
            start = chunk.rfind(b"\n", 0, first) + 1
            window = chunk[start : start + SNIFF_BYTES]
            if len(window) < SNIFF_BYTES:
                window += fh.read(SNIFF_BYTES - len(window))
            return detect_encoding(window)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()
