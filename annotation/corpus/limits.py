"""How long the corpus fields people type may be: one limit and one message per field, shared by the
upload page, the API and the importers, so they refuse the same input with the same words. No Django.

The columns are as wide as these limits (tests/annotation/corpus/test_limits.py checks it): a value that
passes never fails in the database (PostgreSQL enforces a varchar's length; SQLite does not).
"""

from __future__ import annotations

TITLE_MAX = 300  # Source.title, Conversation.title
SPEAKER_MAX = 100  # Line.speaker

TITLE_TOO_LONG = f"a title is at most {TITLE_MAX} characters"
SPEAKER_TOO_LONG = f"a speaker name is at most {SPEAKER_MAX} characters"


def too_long(message: str, length: int) -> str:
    """The field's message with the length given: `a title is at most 300 characters (this one has 5,000)`."""
    return f"{message} (this one has {length:,})"
