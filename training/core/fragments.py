"""Tokenizer probes shared by labels and the separator check: the special tokens a tokenizer adds, and
encoding a text fragment as the continuation of preceding text (no dummy-prefix space, no start-of-text
effects), which is how segment-by-segment encoding and the separator's canonical ids are computed.
No Django.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

_ANCHORS = ("\n", "。", "a", "|")


def _cache(tokenizer: Any) -> dict:
    """Probe results kept on the tokenizer; reset when tokens are added (that changes encodings)."""
    size = len(tokenizer)
    cache = getattr(tokenizer, "_marisa_label_cache", None)
    if cache is None or cache.get("size") != size:
        cache = {"size": size}
        try:
            tokenizer._marisa_label_cache = cache
        except AttributeError:  # an object refusing attributes: no caching
            pass
    return cache


def special_affixes(tokenizer: Any) -> tuple[list[int], list[int]]:
    """Ids the tokenizer adds before and after a text (BOS, EOS...), found by encoding a probe both ways."""
    cache = _cache(tokenizer)
    if "affixes" not in cache:
        plain = tokenizer("a", add_special_tokens=False)["input_ids"]
        full = tokenizer("a")["input_ids"]
        for k in range(len(full) - len(plain) + 1):
            if full[k : k + len(plain)] == plain:
                cache["affixes"] = (list(full[:k]), list(full[k + len(plain) :]))
                break
        else:
            cache["affixes"] = ([], [])
    return cache["affixes"]


def _anchor(tokenizer: Any) -> tuple[str, list[int]] | None:
    """A short text whose ids stay a prefix of the ids of `anchor + anything`: used to encode a fragment
    as it would continue a text (no dummy-prefix space, no start-of-text effects)."""
    cache = _cache(tokenizer)
    if "anchor" not in cache:
        cache["anchor"] = None
        for anchor in _ANCHORS:
            ids = tokenizer(anchor, add_special_tokens=False)["input_ids"]
            probes = ["いいだろ", " よう", "魔理沙: ", "[SEP]"]
            encs = tokenizer([anchor + p for p in probes], add_special_tokens=False)["input_ids"]
            if ids and all(e[: len(ids)] == ids for e in encs):
                cache["anchor"] = (anchor, ids)
                break
    return cache["anchor"]


def encode_fragments(
    tokenizer: Any, texts: Sequence[str], first_plain: bool = False, plain: Collection[int] = ()
) -> list[list[int]]:
    """Ids of each text as a continuation of preceding text; the texts at indices `plain` (and the first
    one if `first_plain`) as the start of a text. Two batched tokenizer calls at most, whatever the count."""
    anchor = _anchor(tokenizer)
    out: list[list[int]] = [[] for _ in texts]
    starts = set(plain) | ({0} if first_plain else set())
    heads = [i for i in sorted(starts) if i < len(texts) and texts[i]]
    if heads:
        encs = tokenizer([texts[i] for i in heads], add_special_tokens=False)["input_ids"]
        for i, ids in zip(heads, encs, strict=True):
            out[i] = list(ids)
    todo = [i for i, t in enumerate(texts) if t and i not in starts]
    if not todo:
        return out
    if anchor is None:
        encs = tokenizer([texts[i] for i in todo], add_special_tokens=False)["input_ids"]
        for i, ids in zip(todo, encs, strict=True):
            out[i] = list(ids)
        return out
    text_a, ids_a = anchor
    encs = tokenizer([text_a + texts[i] for i in todo], add_special_tokens=False)["input_ids"]
    fallback = []
    for i, ids in zip(todo, encs, strict=True):
        if ids[: len(ids_a)] == ids_a:
            out[i] = list(ids[len(ids_a) :])
        else:
            fallback.append(i)
    for i in fallback:  # the anchor merged with this text: plain encoding is the best left
        out[i] = list(tokenizer(texts[i], add_special_tokens=False)["input_ids"])
    return out


def separator_ids(tokenizer: Any, sep: str) -> list[int]:
    cache = _cache(tokenizer)
    key = ("sep", sep)
    if key not in cache:
        cache[key] = encode_fragments(tokenizer, [sep])[0]
    return cache[key]
