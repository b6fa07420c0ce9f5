"""What the arena's votes say: ratings per version, pairwise win rates, and preference pairs for DPO.

Kept in the review stage beside the votes, so the comparison page, the arena pages, the API and the DPO
export (annotation.datasets, one layer up) all read the same numbers. Versions are followed through
the match's foreign keys; the statistics are training.core.ratings (no Django there).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from annotation.corpus.models import Character
from annotation.review.arena_models import ArenaMatch
from annotation.review.models import context_turns

VOTED = ArenaMatch.Status.VOTED
# A match's outcome seen from version A's side, in training.core.ratings' words.
FROM_A = {"a": "win", "b": "loss", "tie": "tie", "both_bad": "both_bad"}


def _voted(character: Character | None, until: datetime | None = None) -> Any:
    qs = ArenaMatch.objects.filter(status=VOTED)
    if character is not None:
        qs = qs.filter(character=character)
    if until is not None:
        qs = qs.filter(voted_at__lte=until)
    return qs


def _label(version_id: int, name: str) -> str:
    return f"{name} (#{version_id})"


def arena_summary(character: Character | None = None) -> dict[str, Any]:
    """Ratings and pairwise summaries of every version with votes (all characters when None).

    {"votes": int,
     "ratings": [{"version_id", "version", "rating", "low", "high",
                  "votes", "wins", "losses", "ties", "both_bad"}, ...]   best first, Elo scale, 95% interval,
     "pairs": [{"winner_id", "winner", "loser_id", "loser", "win_rate", "low", "high",
                "votes", "wins", "losses", "ties", "both_bad", "text"}, ...]   most votes first,
     "export": {"pairs", "ties", "both_bad"}}   what the DPO export takes and skips
    `text` reads "v3 (#3) beats v2 (#2): win rate 61% [54-68%], 120 votes"; win rates and bounds are 0..1.
    """
    from training.core.ratings import Vote, bradley_terry, pair_summaries

    rows = list(
        _voted(character).values_list(
            "version_a_id", "version_a__name", "version_b_id", "version_b__name", "outcome"
        )
    )
    ids: dict[str, int] = {}
    votes = []
    for a_id, a_name, b_id, b_name, outcome in rows:
        a, b = _label(a_id, a_name), _label(b_id, b_name)
        ids[a], ids[b] = a_id, b_id
        votes.append(Vote(a, b, FROM_A[outcome]))
    ratings = [
        {
            "version_id": ids[r.name],
            "version": r.name,
            "rating": round(r.rating, 1),
            "low": round(r.low, 1),
            "high": round(r.high, 1),
            **_tally(r.tally),
        }
        for r in bradley_terry(votes)
    ]
    pairs = [
        {
            "winner_id": ids[p.winner],
            "winner": p.winner,
            "loser_id": ids[p.loser],
            "loser": p.loser,
            "win_rate": round(p.win_rate, 4),
            "low": round(p.low, 4),
            "high": round(p.high, 4),
            **_tally(p.tally),
            "text": p.sentence(),
        }
        for p in pair_summaries(votes)
    ]
    return {"votes": len(votes), "ratings": ratings, "pairs": pairs, "export": export_counts(character)}


def _tally(tally: Any) -> dict[str, int]:
    return {
        "votes": tally.votes,
        "wins": tally.wins,
        "losses": tally.losses,
        "ties": tally.ties,
        "both_bad": tally.both_bad,
    }


def export_counts(character: Character | None = None, until: datetime | None = None) -> dict[str, int]:
    """How many votes become preference pairs, and how many are skipped (a tie or both bad has no winner)."""
    counts = {"pairs": 0, "ties": 0, "both_bad": 0}
    for outcome in _voted(character, until).values_list("outcome", flat=True):
        counts["pairs" if outcome in ("a", "b") else "ties" if outcome == "tie" else "both_bad"] += 1
    return counts


def iter_preference_records(
    character: Character | None = None, until: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """Decisive votes as {"id", "context", "question", "chosen", "rejected"}: the winner's reply is chosen.

    Ties and both-bad votes are skipped (export_counts counts them). `until` keeps a snapshot's export to
    the votes cast before the snapshot was made.
    """
    rows = (
        _voted(character, until)
        .filter(outcome__in=("a", "b"))
        .order_by("id")
        .values_list("id", "context", "question_text", "reply_a", "reply_b", "outcome")
    )
    for pk, context, question, reply_a, reply_b, outcome in rows.iterator(chunk_size=1000):
        chosen, rejected = (reply_a, reply_b) if outcome == "a" else (reply_b, reply_a)
        yield {
            "id": f"arena-{pk}",
            "context": context_turns(context),
            "question": question,
            "chosen": chosen,
            "rejected": rejected,
        }
