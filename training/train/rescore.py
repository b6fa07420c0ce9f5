"""Re-scoring every model version on the evaluation set, after `eval_set --grow` changed it.

A version's held-out figures are only comparable with another's when both were measured on the same set;
growing the set therefore measures every version again. torch and the ML core are imported inside.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from django.utils import timezone

from annotation.corpus.models import Character, Conversation, Line
from training.train.eval_set import her_held_lines
from training.train.models import EvalConversation, ModelVersion


def eval_conversations(character: Character) -> list[list[Any]]:
    """The pinned conversations as turns, read from today's rows (a source no longer imported is skipped)."""
    from training.core.textformat import Turn

    pairs = set(EvalConversation.objects.filter(character=character).values_list("source_sha256", "position"))
    convs = Conversation.objects.filter(source__sha256__in={sha for sha, _ in pairs}).values_list(
        "id", "source__sha256", "position"
    )
    ids = [cid for cid, sha, pos in convs if (sha, pos) in pairs]
    turns: dict[int, list[Any]] = defaultdict(list)
    rows = Line.objects.filter(conversation_id__in=ids).order_by("conversation_id", "position")
    for conv_id, speaker, text in rows.values_list("conversation_id", "speaker", "text"):
        turns[conv_id].append(Turn(speaker=speaker, text=text))
    return [turns[cid] for cid in sorted(turns)]


def rescore_versions(character: Character | None = None) -> list[dict[str, Any]]:
    """Score each version of the character whose adapter is on disk; one summary row per version."""
    from training.core.rescoring import score_adapter
    from training.train.run import _jsonable

    character = character or Character.default()
    conversations = eval_conversations(character)
    her_lines = her_held_lines(character)
    report = []
    for version in ModelVersion.objects.filter(snapshot__character=character).order_by("pk"):
        if not (Path(version.adapter_dir) / "adapter_config.json").is_file():
            report.append({"version": version.name, "rescored": False, "why": "adapter not on disk"})
            continue
        metrics = score_adapter(
            version.base_model,
            version.adapter_dir,
            conversations,
            character.spec(),
            version.line_separator,
            int(version.config.get("max_seq_length") or 512),
        )
        version.metrics = {
            **version.metrics,
            "eval": _jsonable(metrics),
            "eval_set_her_lines": her_lines,
            "rescored_at": timezone.now().isoformat(),
        }
        version.save(update_fields=["metrics"])
        report.append({"version": version.name, "rescored": True, "loss": metrics.get("loss")})
    return report
