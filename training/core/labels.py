"""Training examples whose labels cover only the character's utterances and the separator ending each.

How a token is labelled (the rule the tests check):
  * The rendered conversation is tokenized once with offsets (fast tokenizers, a batch per call). A token
    is trained when its character offsets lie inside a target span (utterance + separator); every other
    label is -100. The span edges are looked up in the offset mapping (Rust-side `char_to_token` for a
    conversation that fits one window, a bisect per line for one that is windowed).
  * A token that straddles a span edge (SentencePiece's `▁いい` starting at the space before the utterance,
    a BPE merging `魔理沙: ` with the first characters, a separator merged with the next speaker's name) is
    never half-trained. Instead that conversation is encoded segment by segment: the text before the
    utterance, the utterance, and the separator are encoded separately and the ids concatenated, so every
    span edge becomes a token boundary. The prefix then ends exactly as `chat_prompt(...)` encodes at
    inference, the utterance starts with a fresh token as generation does, and the separator always has
    the ids that `check_separator` returns and the stop rule uses.
  * Line starts must be token boundaries too when windows are cut there; if not, segment encoding again.
  * Windows: at line boundaries, up to max_length, `overlap_lines` lines of overlap that are context only
    (each utterance is trained once); a window without a trained token is dropped and counted.
  * Tokenizers without offsets (slow SentencePiece) always use segment encoding. Where both apply the two
    give the same ids and labels (tested).
Token-id subsequences are never searched for: spans come from the rendered text, so the character's name
inside another speaker's line can never start a span.
No Django.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from training.core.fragments import encode_fragments, separator_ids, special_affixes
from training.core.labels_batch import spans_from_encoding
from training.core.textformat import NAME_DELIMITER as _DELIM
from training.core.textformat import UNKNOWN_SPEAKER, CharacterSpec, Turn, one_line, render, speaker_label

IGNORE = -100
_start = itemgetter(0)
BATCH = 256  # conversations tokenized per call: the fast tokenizer parallelises a batch


@dataclass
class Encoded:
    """One conversation as tokens: ids, token index where each line starts, target token ranges per line."""

    ids: list[int]
    # len(lines) + 1 entries, the last = len(ids); None when the conversation fits one window (labelling
    # then skips locating every line: only the spans' edges are checked, which is most of the saving).
    line_starts: list[int] | None
    targets: dict[int, tuple[int, int]]  # line index -> [start, end) token range of utterance + separator
    method: str  # "offsets" or "segments"


# --- encoding a conversation -----------------------------------------------------------------------------


def _from_offsets(
    ids: list[int],
    offsets: Sequence[tuple[int, int]],
    bounds: Sequence[int],
    spans: Sequence[tuple[int, int]],
    span_lines: Sequence[int],
    sep_len: int,
    sep_ids: list[int],
) -> Encoded | None:
    """Labels from the offset mapping; None when any edge is not a token boundary (segment encoding then)."""
    if not ids:
        return Encoded(ids, [0] * len(bounds), {}, "offsets")
    # Offsets are sorted by start: bisect them by start (key) without copying them out (the hot loop).
    bisect = bisect_left
    line_starts = []
    i = 0
    for pos in bounds[:-1]:
        i = bisect(offsets, pos, i, key=_start)  # lines come in order: search on from the previous one
        if i and offsets[i - 1][1] > pos:  # a token runs across the line start
            return None
        line_starts.append(i)
    line_starts.append(len(ids))
    targets: dict[int, tuple[int, int]] = {}
    for (s, e), line in zip(spans, span_lines, strict=False):
        i_e = line_starts[line + 1]  # the span ends where the next line starts (checked above)
        i_s = bisect(offsets, s, line_starts[line], i_e, key=_start)  # within the line's tokens
        u = e - sep_len
        i_u = bisect(offsets, u, i_s, i_e, key=_start)
        # Straddling the utterance start or the separator start: re-encode by segments. The separator
        # must be exactly its own canonical ids, or the stop rule would never see it.
        if (i_s and offsets[i_s - 1][1] > s) or (i_u and offsets[i_u - 1][1] > u) or ids[i_u:i_e] != sep_ids:
            return None
        targets[line] = (i_s, i_e)
    return Encoded(ids, line_starts, targets, "offsets")


def _segments_of(turns: Sequence[Turn], character: CharacterSpec, sep: str) -> list[str]:
    """Text pieces in order: a character line gives `名前: `, the utterance and the separator."""
    pieces: list[str] = []
    for turn in turns:  # the same text as render(): names and utterances on one line each
        prefix = (one_line(speaker_label(turn.speaker, character), sep) or UNKNOWN_SPEAKER) + _DELIM
        text = one_line(turn.text, sep)
        if character.is_character(turn.speaker):
            pieces.extend((prefix, text, sep))
        else:
            pieces.append(prefix + text + sep)
    return pieces


def _from_segments_many(
    convs: Sequence[Sequence[Turn]], tokenizer: Any, character: CharacterSpec, sep: str, sep_ids: list[int]
) -> list[Encoded]:
    """Segment-by-segment encoding of several conversations with one batched fragment encoding."""
    pieces: list[str] = []
    heads: list[int] = []
    for turns in convs:
        heads.append(len(pieces))
        pieces.extend(_segments_of(turns, character, sep))
    encs = encode_fragments(tokenizer, pieces, plain=heads)
    out = []
    for turns, k in zip(convs, heads, strict=True):
        ids: list[int] = []
        line_starts: list[int] = []
        targets: dict[int, tuple[int, int]] = {}
        for line, turn in enumerate(turns):
            line_starts.append(len(ids))
            if character.is_character(turn.speaker):
                ids.extend(encs[k])
                start = len(ids)
                ids.extend(encs[k + 1])
                ids.extend(sep_ids)  # always the canonical ids the stop rule uses
                targets[line] = (start, len(ids))
                k += 3
            else:
                ids.extend(encs[k])
                k += 1
        line_starts.append(len(ids))
        out.append(Encoded(ids, line_starts, targets, "segments"))
    return out


def encode_conversations(
    conversations: Iterable[Sequence[Turn]],
    tokenizer: Any,
    character: CharacterSpec,
    sep: str,
    method: str = "auto",
    budget: int | None = None,
) -> Iterator[Encoded]:
    """Encode conversations in batches: one tokenizer call with offsets per batch, segments where needed.

    With `budget` (the window's token budget), conversations that fit one window skip locating lines."""
    if method not in {"auto", "offsets", "segments"}:
        raise ValueError(f"unknown labelling method {method!r}")
    use_offsets = method != "segments" and getattr(tokenizer, "is_fast", False)
    if method == "offsets" and not use_offsets:
        raise ValueError("this tokenizer gives no offsets: use method='segments'")
    sep_ids = separator_ids(tokenizer, sep)
    batch: list[Sequence[Turn]] = []
    for conv in conversations:
        batch.append(conv)
        if len(batch) >= BATCH:
            yield from _encode_batch(batch, tokenizer, character, sep, sep_ids, use_offsets, method, budget)
            batch = []
    if batch:
        yield from _encode_batch(batch, tokenizer, character, sep, sep_ids, use_offsets, method, budget)


def _encode_batch(
    batch: list[Sequence[Turn]],
    tokenizer: Any,
    character: CharacterSpec,
    sep: str,
    sep_ids: list[int],
    use_offsets: bool,
    method: str,
    budget: int | None,
) -> Iterator[Encoded]:
    if not use_offsets:
        yield from _from_segments_many(batch, tokenizer, character, sep, sep_ids)
        return
    rendered = [render(conv, character, sep) for conv in batch]
    enc = tokenize_rendered(tokenizer, rendered)
    yield from label_tokenized(batch, rendered, enc, tokenizer, character, sep, sep_ids, method, budget)


def tokenize_rendered(tokenizer: Any, rendered: Sequence[Any]) -> Any:
    """The single tokenizer call of a batch: ids and character offsets, no special tokens."""
    return tokenizer(
        [r.text for r in rendered],
        add_special_tokens=False,
        return_offsets_mapping=True,
        return_attention_mask=False,
        return_token_type_ids=False,
    )


def label_tokenized(
    batch: Sequence[Sequence[Turn]],
    rendered: Sequence[Any],
    enc: Any,
    tokenizer: Any,
    character: CharacterSpec,
    sep: str,
    sep_ids: list[int],
    method: str = "auto",
    budget: int | None = None,
) -> Iterator[Encoded]:
    """Target token ranges from the offsets of an already tokenized batch (segments where edges blur).

    With a `budget`, a conversation that fits one window is labelled from its Rust-side encoding
    (labels_batch.spans_from_encoding); longer ones locate every line too, for windowing."""
    all_ids, all_offsets = enc["input_ids"], enc["offset_mapping"]
    encodings = getattr(enc, "encodings", None) if budget is not None else None
    results: list[Encoded | None] = []
    for c, (r, ids, offsets) in enumerate(zip(rendered, all_ids, all_offsets, strict=True)):
        got: Encoded | None
        if encodings and len(ids) <= budget:  # type: ignore[operator]
            targets = spans_from_encoding(encodings[c], ids, r.target_spans, r.span_lines, len(sep), sep_ids)
            got = None if targets is None else Encoded(ids, None, targets, "offsets")
        else:
            got = _from_offsets(ids, offsets, r.line_starts, r.target_spans, r.span_lines, len(sep), sep_ids)
        results.append(got)
    blurred = [c for c, got in enumerate(results) if got is None]
    if blurred and method == "offsets":
        raise ValueError("a span edge falls inside a token; use method='auto' or 'segments'")
    if blurred:  # one batched segment encoding for all the conversations whose edges blur
        redone = _from_segments_many([batch[c] for c in blurred], tokenizer, character, sep, sep_ids)
        for c, got in zip(blurred, redone, strict=True):
            results[c] = got
    for got in results:
        assert got is not None
        yield got


# --- windows and examples --------------------------------------------------------------------------------


def _windows(line_starts: list[int], budget: int, overlap_lines: int) -> Iterator[tuple[int, int]]:
    """[first line, end line) windows at line boundaries whose tokens fit the budget, overlapping."""
    n = len(line_starts) - 1
    start = 0
    while start < n:
        end = start + 1
        while end < n and line_starts[end + 1] - line_starts[start] <= budget:
            end += 1
        yield start, end
        if end >= n:
            return
        start = max(end - overlap_lines, start + 1)


def examples_from(
    encoded: Encoded, budget: int, prefix: list[int], suffix: list[int], overlap_lines: int, stats: dict
) -> Iterator[dict]:
    trained_upto = 0  # lines before this were trained in an earlier window: context only now
    line_starts = encoded.line_starts
    if line_starts is None:  # fits one window (checked when encoding)
        line_starts = [0, *([0] * max(encoded.targets, default=0)), len(encoded.ids)]
        windows: Iterable[tuple[int, int]] = [(0, len(line_starts) - 1)]
    else:
        windows = _windows(line_starts, budget, overlap_lines)
    for first, end in windows:
        a = line_starts[first]
        b = min(line_starts[end], a + budget)
        if line_starts[end] - a > budget:
            stats["truncated_lines"] += 1
        window = encoded.ids[a:b]
        labels = [IGNORE] * len(window)
        trained = 0
        for line in range(max(first, trained_upto), end):
            rng = encoded.targets.get(line)
            if rng is not None and rng[0] < b:
                s, e = rng[0] - a, min(rng[1], b) - a
                labels[s:e] = window[s:e]
                trained += e - s
        trained_upto = max(trained_upto, end)
        if trained == 0:
            stats["dropped_windows"] += 1  # no target token: a NaN loss
            continue
        ids = prefix + window + suffix
        stats["examples"] += 1
        stats["tokens"] += len(ids)
        stats["trained_tokens"] += trained
        yield {
            "input_ids": ids,
            "attention_mask": [1] * len(ids),
            "labels": [IGNORE] * len(prefix) + labels + [IGNORE] * len(suffix),
        }


def build_examples(
    conversations: Iterable[Sequence[Turn]],
    tokenizer: Any,
    character: CharacterSpec,
    sep: str,
    max_length: int,
    overlap_lines: int = 2,
    *,
    method: str = "auto",
) -> tuple[list[dict], dict]:
    """Windowed training examples and stats (examples, tokens, trained_tokens, dropped_windows, ...)."""
    prefix, suffix = special_affixes(tokenizer)
    budget = max_length - len(prefix) - len(suffix)
    if budget < 4:
        raise ValueError(f"max_length {max_length} leaves no room for text")
    stats = {
        "conversations": 0,
        "examples": 0,
        "tokens": 0,
        "trained_tokens": 0,
        "dropped_windows": 0,
        "truncated_lines": 0,
        "segment_encoded": 0,
    }
    examples: list[dict] = []
    for encoded in encode_conversations(conversations, tokenizer, character, sep, method, budget):
        stats["conversations"] += 1
        stats["segment_encoded"] += encoded.method == "segments"
        examples.extend(examples_from(encoded, budget, prefix, suffix, overlap_lines, stats))
    return examples, stats


def trained_text(example: dict, tokenizer: Any) -> list[str]:
    """The decoded runs of trained tokens of one example, in order."""
    runs: list[list[int]] = []
    prev = False
    for tok, lab in zip(example["input_ids"], example["labels"], strict=True):
        if lab != IGNORE:
            if not prev:
                runs.append([])
            runs[-1].append(tok)
        prev = lab != IGNORE
    return [tokenizer.decode(r, skip_special_tokens=False, clean_up_tokenization_spaces=False) for r in runs]


def dry_run_report(examples: Sequence[dict], tokenizer: Any, n_samples: int = 20) -> dict:
    """What training would see: counts, and the decoded trained text of the first examples."""
    return {
        "examples": len(examples),
        "tokens": sum(len(e["input_ids"]) for e in examples),
        "trained_tokens": sum(sum(1 for x in e["labels"] if x != IGNORE) for e in examples),
        "samples": ["".join(trained_text(e, tokenizer)) for e in examples[:n_samples]],
    }


def trained_spans(
    turns: Sequence[Turn], tokenizer: Any, character: CharacterSpec, sep: str
) -> list[tuple[int, int]]:
    """Character spans of `render(turns, ...).text` that training labels (for the conversation page).

    The spans come from the same encoding as training; a span is reported only when its tokens are really
    labelled, so a page can highlight exactly what the model learns.
    """
    rendered = render(turns, character, sep)
    if tokenizer is None:  # no tokenizer at hand (a web page): the spans every tokenizer is held to
        return list(rendered.target_spans)
    encoded = next(encode_conversations([turns], tokenizer, character, sep))
    span_lines = [i for i, t in enumerate(turns) if character.is_character(t.speaker)]
    return [
        span
        for span, line in zip(rendered.target_spans, span_lines, strict=True)
        if line in encoded.targets and encoded.targets[line][0] < encoded.targets[line][1]
    ]
