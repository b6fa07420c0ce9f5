"""Database plumbing of the review queue: a write gate for SQLite, prepared statements for PostgreSQL."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def write_gate() -> Iterator[None]:
    """On SQLite, queue our short writes on a file lock; elsewhere do nothing.

    SQLite lets one writer in at a time and makes the others poll with growing sleeps
    (1, 2, 5, 10 ... 100 ms), so under a few concurrent reviewers an unlucky claim waits far longer
    than the writes ahead of it took. A blocking flock wakes the next writer as soon as the lock
    is free. One open file per call, so threads of one process queue like processes do.
    """
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor != "sqlite" or not name or name == ":memory:" or name.startswith("file:"):
        yield
        return
    fd = os.open(name + ".review-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def run_prepared(sql: str, params: list) -> list[tuple]:
    """PostgreSQL: run a hot statement as a server-side prepared statement.

    Django's cursors bind parameters on the client, so the server plans the claim afresh each
    time, and planning is most of what the claim costs the server (see BENCHMARKS.md). A
    psycopg server-binding cursor on the same connection lets psycopg prepare it once per
    connection. 'pending' is a literal in the SQL, so the generic plan still uses the partial index.
    """
    import psycopg

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchall()
