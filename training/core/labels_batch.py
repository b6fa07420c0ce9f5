"""Target token ranges read from the fast tokenizer's own encodings, for conversations that fit one window.

The rule is the one in labels.py (`_from_offsets`): for every target span the separator's canonical ids must
sit exactly on [utterance end, span end), and the utterance start, the separator start and the span end
must be token boundaries. Here the positions come from the Rust-side offset mapping of each encoding
(`char_to_token` / `token_to_chars`, cheap calls into Rust) instead of bisecting Python lists of offset
tuples, so labelling costs a small fraction of tokenizing (see BENCHMARKS.md). A conversation with any
edge inside a token gets None (the caller re-encodes it segment by segment).
No Django.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def spans_from_encoding(
    encoding: Any,
    ids: list[int],
    spans: Sequence[tuple[int, int]],
    span_lines: Sequence[int],
    sep_len: int,
    sep_ids: list[int],
) -> dict[int, tuple[int, int]] | None:
    """{line: (first token, end token)} of a conversation's targets, or None when an edge blurs."""
    to_token = encoding.char_to_token
    to_chars = encoding.token_to_chars
    n, k = len(ids), len(sep_ids)
    one_id = sep_ids[0] if k == 1 else None  # the usual case: the separator is one token
    targets: dict[int, tuple[int, int]] = {}
    for (s, e), line in zip(spans, span_lines, strict=True):
        u = e - sep_len
        i_u = to_token(u)
        if i_u is None:
            return None
        first = to_chars(i_u)
        if first[0] != u or (i_u and to_chars(i_u - 1)[1] > u):
            return None  # the separator does not start a token
        i_e = i_u + k
        if one_id is not None:
            if ids[i_u] != one_id or first[1] != e:
                return None  # not the separator's id, or merged with what follows
        elif ids[i_u:i_e] != sep_ids or to_chars(i_e - 1)[1] != e:
            return None
        if i_e < n and to_chars(i_e)[0] < e:
            return None  # the next token overlaps the separator (byte-level pieces)
        if s == u:
            i_s = i_u  # an empty utterance: only the separator is trained
        else:
            i_s = to_token(s)
            if i_s is None or to_chars(i_s)[0] != s or (i_s and to_chars(i_s - 1)[1] > s):
                return None  # a token runs across the start of the utterance
        targets[line] = (i_s, i_e)
    return targets
