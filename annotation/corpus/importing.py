"""Import a dialogue file into the corpus: one transaction, all or nothing.

The file is hashed first (a re-import is refused before any parsing), then decoded as a stream and parsed
conversation by conversation; rows go to the database in batches, so memory stays bounded whatever the size.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction

from annotation.corpus.encoding import ImportFailed, TextStream, file_sha256, open_text
from annotation.corpus.formats import FORMATS, detect_format, parse
from annotation.corpus.formats.common import ParsedConversation, aozora_title
from annotation.corpus.formats.merges import merge_offers
from annotation.corpus.limits import TITLE_MAX, TITLE_TOO_LONG
from annotation.corpus.models import Conversation, Line, Source
from marisa_site.formats import time_label

__all__ = ["DuplicateImport", "ImportFailed", "ImportResult", "import_path", "iter_import"]

HEAD_LINES = 200
CONVERSATION_BATCH = 500
LINE_BATCH = 5000


# SQLite's page cache during an import: the Line indexes of a big file outgrow the default 2 MB and every
# insert would then fault pages back in, which slows a big import down several times over (see
# BENCHMARKS.md). Pages are only allocated as used, so small imports cost nothing.
IMPORT_CACHE_KIB = 64 * 1024


@contextmanager
def _sqlite_cache(kib: int) -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


class DuplicateImport(ImportFailed):
    """The same bytes were imported before; the message names that import."""


@dataclass
class ImportResult:
    source: Source
    conversations: int
    lines: int
    speakers: dict[str, int] = field(default_factory=dict)
    unknown_speaker_lines: int = 0
    # Names that may be one person (暴君 / 暴君ディオニス): offered to the importer, never merged silently.
    merge_offers: list[list[str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "source_id": self.source.pk,
            "title": self.source.title,
            "format": self.source.kind,
            "encoding": self.source.encoding,
            "sha256": self.source.sha256,
            "bytes": self.source.size_bytes,
            "conversations": self.conversations,
            "lines": self.lines,
            "speakers": self.speakers,
            "unknown_speaker_lines": self.unknown_speaker_lines,
            "merge_offers": self.merge_offers,
        }


def _refuse_duplicate(sha256: str) -> None:
    earlier = Source.objects.filter(sha256=sha256).first()
    if earlier is not None:
        when = time_label(earlier.imported_at)
        raise DuplicateImport(
            f"this file was already imported as 「{earlier.title}」 on {when} (source #{earlier.pk})"
        )


def import_path(
    path: Path,
    *,
    fmt: str = "auto",
    title: str | None = None,
    user=None,
    progress: Callable[[int, int], None] | None = None,
    original_name: str | None = None,
) -> ImportResult:
    """Import one file. Raises ImportFailed (DuplicateImport for a re-import) and leaves no rows behind.

    progress(bytes_done, bytes_total) is called as the file is read."""
    steps = iter_import(path, fmt=fmt, title=title, user=user, original_name=original_name, progress=progress)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def iter_import(
    path: Path,
    *,
    fmt: str = "auto",
    title: str | None = None,
    user=None,
    original_name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Generator[tuple[int, int], None, ImportResult]:
    """import_path as a generator: yields (bytes_done, bytes_total) after each stored batch and returns
    the ImportResult, so a streaming response can report progress from the request's own thread (and
    its own transaction). Closing the generator early rolls the import back."""
    path = Path(path)
    title = (title or "").strip()
    _check_request(path, fmt, title)
    name = original_name or path.name
    stream = open_text(path, settings.MARISA_IMPORT_MAX_BYTES, progress=progress)
    sha256 = file_sha256(path)
    _refuse_duplicate(sha256)
    lines = iter(stream)
    head = list(islice(lines, HEAD_LINES))
    kind = detect_format(name, head) if fmt == "auto" else fmt
    conversations = parse(chain(head, lines), kind)
    source = Source(
        title=title or aozora_title(head) or (Path(name).stem or name)[:TITLE_MAX],
        kind=kind,
        original_name=name[:300],
        encoding=stream.encoding,
        sha256=sha256,
        size_bytes=stream.size or path.stat().st_size,
        imported_by=user if getattr(user, "is_authenticated", False) else None,
    )
    with _gc_paused():
        try:
            # The cache setting wraps the transaction: restoring it must not run inside a transaction
            # that a failed statement has broken (that error would hide the real one).
            with _sqlite_cache(IMPORT_CACHE_KIB), _busy_database(), transaction.atomic():
                # Again inside the transaction: on SQLite it starts once earlier writers are done, so an
                # identical upload that was stored meanwhile is named here (PostgreSQL: see below).
                _refuse_duplicate(sha256)
                source.save()
                result = yield from _store_reporting(source, conversations, stream)
                _check_complete(result, kind, stream, sha256)
                source.conversation_count, source.line_count = result.conversations, result.lines
                source.save(update_fields=["conversation_count", "line_count"])
        except IntegrityError:
            # Another import of the same file committed while this one was storing (the unique sha256);
            # the rollback is done, so the earlier import can be read and named.
            _refuse_duplicate(sha256)
            raise
    return result


@contextmanager
def _busy_database() -> Iterator[None]:
    """SQLite lets one writer in at a time: an import that waited out the busy timeout behind another
    big import is refused with a reason, not a server error."""
    try:
        yield
    except OperationalError as exc:
        if connection.vendor == "sqlite" and "locked" in str(exc):
            raise ImportFailed("the database is busy storing another import; try again in a minute") from None
        raise


def _check_request(path: Path, fmt: str, title: str) -> None:
    if not path.is_file():
        raise ImportFailed(f"no such file: {path}")
    if fmt not in ("auto", *FORMATS):
        raise ImportFailed(f"unknown format {fmt!r}: choose one of auto, {', '.join(FORMATS)}")
    if len(title) > TITLE_MAX:
        raise ImportFailed(TITLE_TOO_LONG)
    if "\x00" in title:
        raise ImportFailed("a title must not contain NUL characters")


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The parsers allocate millions of short-lived acyclic objects; the cyclic collector would rescan
    the whole heap over and over, so it pauses for the import."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc_was_enabled:
            gc.enable()


def _store_reporting(
    source: Source, conversations: Iterator[ParsedConversation], stream: TextStream
) -> Generator[tuple[int, int], None, ImportResult]:
    """_store, yielding (bytes_done, bytes_total) of the file after each stored batch."""
    store = _store(source, conversations)
    while True:
        try:
            next(store)
        except StopIteration as done:
            return done.value
        yield stream.bytes_read, stream.size


def _check_complete(result: ImportResult, kind: str, stream: TextStream, sha256: str) -> None:
    """Refuse an import that found nothing, or whose file changed under it (rolls the transaction back)."""
    if result.lines == 0:
        raise ImportFailed(f"no dialogue found in this file (read as {kind}, {stream.label})")
    if stream.sha256 and stream.sha256 != sha256:
        raise ImportFailed("the file changed while it was being imported; try again")


def _batches(conversations: Iterator[ParsedConversation]) -> Iterator[list[ParsedConversation]]:
    batch: list[ParsedConversation] = []
    size = 0
    for conv in conversations:
        batch.append(conv)
        size += len(conv.lines)
        if len(batch) >= CONVERSATION_BATCH or size >= LINE_BATCH:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _store(
    source: Source, conversations: Iterator[ParsedConversation]
) -> Generator[None, None, ImportResult]:
    """Store the conversations batch by batch, yielding after each batch."""
    speakers: Counter[str] = Counter()
    n_conv = n_lines = 0
    insert_conversations = _RawInserter(Conversation, ("source", "position", "title"), returning="position")
    insert_lines = _RawInserter(
        Line, ("conversation", "position", "speaker", "text", "speaker_by", "context")
    )
    for batch in _batches(conversations):
        ids = insert_conversations([(source.pk, n_conv + i, c.title) for i, c in enumerate(batch)])
        values = [
            (ids[n_conv + i], position, line.speaker, line.text, line.speaker_by, line.context)
            for i, conv in enumerate(batch)
            for position, line in enumerate(conv.lines)
        ]
        n_conv += len(batch)
        speakers.update(v[2] for v in values)  # counted in C: this is the hot path of a big import
        insert_lines(values)
        n_lines += len(values)
        yield
    unknown = speakers.pop("", 0)
    offers = merge_offers(speakers) if len(speakers) <= 2000 else []  # a named cast, not a chat log
    return ImportResult(source, n_conv, n_lines, dict(speakers.most_common()), unknown, offers)


# Not bulk_create: bench/import.py's target is >= 10 MB/s for a 100 MB script corpus, and bulk_create
# imported at a quarter of this class's rate in the same sitting (BENCHMARKS.md, "Import": ORM vs raw).
class _RawInserter:
    """Multi-row INSERTs on the connection's own DB-API cursor, inside the open transaction.

    The hot path of a big import: no model instances, no debug query log, and one statement for as many
    rows as the parameter limit allows (SQLite then steps once per statement, where executemany steps
    once per row; see BENCHMARKS.md).
    Columns not given take the model's defaults, so a field added later still gets its value.
    With `returning`, the call maps that column's value to the new row's id (RETURNING: SQLite 3.35+,
    PostgreSQL), independent of the order rows come back in.
    """

    PARAMETERS_PER_STATEMENT = 900  # under SQLite's oldest limit of 999

    def __init__(self, model: type, fields: tuple[str, ...], returning: str | None = None) -> None:
        meta = model._meta
        quote = connection.ops.quote_name
        given = [meta.get_field(name) for name in fields]
        blank = model()
        extra = [f for f in meta.concrete_fields if f.name not in fields and not f.primary_key]
        extra_values = [f.get_db_prep_save(f.pre_save(blank, True), connection) for f in extra]
        # NULL defaults go into the SQL itself, the others are parameters appended to each row.
        self.defaults = tuple(v for v in extra_values if v is not None)
        columns = ", ".join(quote(f.column) for f in given + extra)
        mark = "?" if connection.vendor == "sqlite" else "%s"
        marks = [mark] * len(given) + ["NULL" if v is None else mark for v in extra_values]
        self.row_sql = "(" + ", ".join(marks) + ")"
        self.rows_per_statement = max(1, self.PARAMETERS_PER_STATEMENT // (len(given) + len(self.defaults)))
        self.head = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "
        self.tail = (
            f" RETURNING {quote(meta.pk.column)}, {quote(meta.get_field(returning).column)}"
            if returning
            else ""
        )
        self.full_sql = self._sql(self.rows_per_statement)
        connection.ensure_connection()
        self.cursor = connection.connection.cursor()

    def _sql(self, rows: int) -> str:
        return self.head + ", ".join([self.row_sql] * rows) + self.tail

    def __call__(self, values: list[tuple]) -> dict:
        step, defaults, ids = self.rows_per_statement, self.defaults, {}
        for start in range(0, len(values), step):
            chunk = values[start : start + step]
            rows = chunk if not defaults else [row + defaults for row in chunk]
            params = list(chain.from_iterable(rows))
            self.cursor.execute(self.full_sql if len(chunk) == step else self._sql(len(chunk)), params)
            if self.tail:
                ids.update((key, pk) for pk, key in self.cursor.fetchall())
        return ids
