"""The data of the DPO and KTO stages of a training job, read from the snapshot (run.py runs the stage).

Pairs and rows come from the snapshot's correction records (edits, accepted and rejected replies) and from the
arena's decisive votes cast before the snapshot was made. Corrections in the evaluation set, and those it
withholds, are held out here too; so is a stable hashed share of the rest (training.core.preference_data).
"""

from __future__ import annotations

from typing import Any

from training.train.data import character_spec, split_snapshot

DRY_RUN_SAMPLES = 5


def preference_records(snapshot: Any) -> list[dict[str, Any]]:
    """The snapshot's correction records, then the arena's decisive votes cast before it was made."""
    from annotation.datasets.snapshots import export_context

    records, ctx, _total = export_context(snapshot)
    out = [r for r in records if r.get("kind") == "correction"]
    if ctx.preferences is not None:
        out.extend(ctx.preferences())
    return out


def preference_set(snapshot: Any, stage: str, character: Any, sep: str) -> tuple[Any, Any]:
    """(PreferenceSet, the snapshot's SFT split): pairs for DPO or rows for KTO, split train / held out."""
    from training.core.preference_data import (
        PreferenceSet,
        pairs_from_records,
        rows_from_records,
        split_items,
    )

    split = split_snapshot(snapshot)
    pinned = set(split.held_out_ids) | set(getattr(split, "withheld_ids", []))
    build = pairs_from_records if stage == "dpo" else rows_from_records
    items, counts = build(preference_records(snapshot), character, sep)
    train, held = split_items(items, pinned)
    return PreferenceSet(train=train, held_out=held, counts=counts), split


def check_preference_data(snapshot: Any, stage: str, min_examples: int, sep: str = "\n") -> None:
    """At launch: NotEnoughPreferenceData (a ValueError) now, rather than a job that fails on a worker later."""
    from training.core.preference_data import check_enough

    data, _split = preference_set(snapshot, stage, character_spec(snapshot.character), sep)
    check_enough(stage, len(data.train), min_examples, data.train)


def preference_samples(tokenizer: Any, data: Any, stage: str, sep: str) -> list[dict[str, Any]]:
    """The first training items as the model sees them: their token ids decoded back to text."""
    from training.core.preference_data import pair_features, row_features

    build = pair_features if stage == "dpo" else row_features
    items = data.train[:DRY_RUN_SAMPLES]
    samples = []
    for item, feature in zip(items, build(tokenizer, items, sep), strict=True):
        decoded = {k[:-4]: tokenizer.decode(v) for k, v in feature.items() if k.endswith("_ids")}
        samples.append({"id": item.id, "origin": item.origin, **decoded})
    return samples
