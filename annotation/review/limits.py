"""How long the review fields people type may be: one limit and one message per field, shared by the
queue (so the review page and the API refuse the same thing with the same words), the serializers and
the question files. The speaker and title limits are the corpus's (annotation/corpus/limits.py).
"""

from __future__ import annotations

# A reply is one chat message: LINE allows 5,000 characters, a character's line is a sentence or two.
REPLY_MAX = 2000
REASON_MAX = 1000  # why a reply was rejected
QUESTION_MAX = 2000  # a question, and each turn of its context
CONTEXT_TURNS_MAX = 50  # the earlier turns shown with a question

REPLY_TOO_LONG = f"a reply is at most {REPLY_MAX:,} characters"
REASON_TOO_LONG = f"a reason is at most {REASON_MAX:,} characters"
QUESTION_TOO_LONG = f"a question is at most {QUESTION_MAX:,} characters"
CONTEXT_TOO_LONG = f"a context turn is at most {QUESTION_MAX:,} characters"
CONTEXT_TOO_MANY = f"a question has at most {CONTEXT_TURNS_MAX} context turns"
