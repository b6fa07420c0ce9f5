"""Bradley-Terry ratings and Wilson intervals recover what simulated votes were drawn from."""

from __future__ import annotations

import math
import random

import pytest

from training.core.ratings import (
    BASE,
    SCALE,
    Vote,
    bradley_terry,
    pair_summaries,
    wilson_interval,
)

# Known strengths (natural-log odds): v1 < v2 < v3 < v4.
TRUTH = {"v1": -0.8, "v2": -0.2, "v3": 0.3, "v4": 0.7}


def simulate(n: int, rng: random.Random, tie_share: float = 0.0) -> list[Vote]:
    """Votes between random pairs, each won with the Bradley-Terry probability of the true strengths."""
    names = sorted(TRUTH)
    votes = []
    for _ in range(n):
        a, b = rng.sample(names, 2)
        if rng.random() < tie_share:
            votes.append(Vote(a, b, rng.choice(["tie", "both_bad"])))
            continue
        p = 1 / (1 + math.exp(TRUTH[b] - TRUTH[a]))
        votes.append(Vote(a, b, "win" if rng.random() < p else "loss"))
    return votes


def centred_truth_elo() -> dict[str, float]:
    mean = sum(TRUTH.values()) / len(TRUTH)
    return {name: BASE + SCALE * (theta - mean) for name, theta in TRUTH.items()}


def test_ratings_recover_the_known_order_with_intervals_around_the_truth() -> None:
    ratings = bradley_terry(simulate(4000, random.Random(11)))
    assert [r.name for r in ratings] == ["v4", "v3", "v2", "v1"]
    truth = centred_truth_elo()
    for r in ratings:
        # Within two half-widths (~99.99%) in this one run; the next test checks the 95% calibration.
        assert abs(r.rating - truth[r.name]) < r.high - r.low, (r, truth[r.name])
        assert r.high - r.low < 60  # 4000 votes pin each rating down to a few dozen Elo points
    assert sum(r.tally.votes for r in ratings) == 2 * 4000


def test_the_95_percent_intervals_cover_the_truth_about_95_percent_of_the_time() -> None:
    rng = random.Random(5)
    truth = centred_truth_elo()
    covered = total = 0
    for _ in range(60):
        for r in bradley_terry(simulate(600, rng)):
            covered += r.low < truth[r.name] < r.high
            total += 1
    assert 0.88 <= covered / total <= 0.99, covered / total


def test_intervals_narrow_as_votes_grow() -> None:
    few = {r.name: r.high - r.low for r in bradley_terry(simulate(200, random.Random(1)))}
    many = {r.name: r.high - r.low for r in bradley_terry(simulate(3200, random.Random(1)))}
    for name in TRUTH:
        assert many[name] < few[name] / 3  # 16x the votes: about a quarter of the width


def test_ties_and_both_bad_count_as_half_a_win_each_and_keep_the_order() -> None:
    votes = simulate(4000, random.Random(3), tie_share=0.3)
    ratings = bradley_terry(votes)
    assert [r.name for r in ratings] == ["v4", "v3", "v2", "v1"]
    ties = sum(r.tally.ties + r.tally.both_bad for r in ratings)
    assert ties == 2 * sum(v.outcome in ("tie", "both_bad") for v in votes)


def test_a_version_that_never_wins_gets_a_finite_low_rating() -> None:
    votes = [Vote("new", "old", "win") for _ in range(20)]
    best, worst = bradley_terry(votes)
    assert (best.name, worst.name) == ("new", "old")
    assert math.isfinite(worst.rating) and worst.rating < BASE < best.rating
    assert worst.low < worst.rating < worst.high


def test_no_votes_no_ratings_and_bad_outcomes_are_refused() -> None:
    assert bradley_terry([]) == []
    with pytest.raises(ValueError, match="unknown outcome"):
        bradley_terry([Vote("a", "b", "draw")])
    with pytest.raises(ValueError, match="cannot play itself"):
        bradley_terry([Vote("a", "a", "win")])


def test_pair_summary_reads_like_a_sentence_with_a_wilson_interval() -> None:
    votes = [Vote("v3", "v2", "win")] * 70 + [Vote("v2", "v3", "win")] * 44 + [Vote("v2", "v3", "tie")] * 6
    (pair,) = pair_summaries(votes)
    assert (pair.winner, pair.loser, pair.tally.votes) == ("v3", "v2", 120)
    assert pair.win_rate == pytest.approx(73 / 120)
    assert pair.sentence() == "v3 beats v2: win rate 61% [52-69%], 120 votes"
    even = pair_summaries([Vote("a", "b", "win"), Vote("a", "b", "loss")])[0]
    assert even.sentence().startswith("a and b are even: win rate 50%")


def test_wilson_interval_matches_the_textbook_values() -> None:
    low, high = wilson_interval(81, 263)  # Wilson (1927) style example: 30.8% observed
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == pytest.approx(1.0)
    assert wilson_interval(0, 0) == (0.0, 1.0)
