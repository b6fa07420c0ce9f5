"""Ratings of model versions from blind pairwise votes: Bradley-Terry, fitted by Newton's method.

A vote compares two versions on one question: the first wins, the second wins, a tie, or both bad.
Bradley-Terry says P(i beats j) = 1 / (1 + exp(θj - θi)). A tie and a "both bad" say neither reply was
better, so each counts as half a win for both sides (as Chatbot Arena's ratings do).

The fit maximises the log-likelihood plus a weak Gaussian prior (θ ~ N(0, 1/PRIOR)): without it a version
that never won would run off to minus infinity. The likelihood does not change when every θ moves by the
same amount, so the prior also fixes the scale's zero at the mean version. The 95% interval of each rating
comes from the Fisher information at the fit (the inverse Hessian, projected onto mean-zero ratings),
i.e. the usual normal approximation; it narrows as 1/sqrt(votes).

Ratings are shown on the Elo scale (BASE + 400·log10 of the odds), so 100 points ≈ 64% expected wins.
Pairwise summaries use the Wilson score interval of the observed win rate (ties and both-bad as halves).

No Django here: the arena's pages, the API, a notebook and the tests all call the same functions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

WIN, LOSS, TIE, BOTH_BAD = "win", "loss", "tie", "both_bad"
OUTCOMES = (WIN, LOSS, TIE, BOTH_BAD)
BASE = 1000.0
SCALE = 400.0 / math.log(10.0)  # natural-log odds -> Elo points
PRIOR = 0.05  # prior precision on θ (σ ≈ 4.5 in log-odds): weak enough that a few dozen votes dominate it
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Vote:
    """One judgement between `first` and `second`, `outcome` from the first's side."""

    first: str
    second: str
    outcome: str


@dataclass(frozen=True)
class Tally:
    """Counts of one version's (or one pair's) votes, from its own side."""

    votes: int = 0
    wins: int = 0
    losses: int = 0
    ties: int = 0
    both_bad: int = 0

    def add(self, outcome: str) -> Tally:
        return Tally(
            self.votes + 1,
            self.wins + (outcome == WIN),
            self.losses + (outcome == LOSS),
            self.ties + (outcome == TIE),
            self.both_bad + (outcome == BOTH_BAD),
        )

    def flipped(self) -> Tally:
        return Tally(self.votes, self.losses, self.wins, self.ties, self.both_bad)

    @property
    def score(self) -> float:
        """Wins, with ties and both-bad as halves."""
        return self.wins + 0.5 * (self.ties + self.both_bad)


@dataclass(frozen=True)
class Rating:
    name: str
    rating: float  # Elo scale
    low: float  # 95% interval
    high: float
    tally: Tally


@dataclass(frozen=True)
class PairSummary:
    """`winner` is the side with the higher win rate (the first named on a dead heat)."""

    winner: str
    loser: str
    win_rate: float
    low: float
    high: float
    tally: Tally  # from the winner's side

    def sentence(self) -> str:
        shown = f"win rate {self.win_rate:.0%} [{self.low * 100:.0f}-{self.high * 100:.0f}%], {_votes(self)}"
        if self.tally.score * 2 == self.tally.votes:
            return f"{self.winner} and {self.loser} are even: {shown}"
        return f"{self.winner} beats {self.loser}: {shown}"


def _votes(pair: PairSummary) -> str:
    return f"{pair.tally.votes} vote" + ("" if pair.tally.votes == 1 else "s")


def mirror(outcome: str) -> str:
    """The same outcome seen from the other side."""
    return {WIN: LOSS, LOSS: WIN}.get(outcome, outcome)


def _check(vote: Vote) -> None:
    if vote.outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {vote.outcome!r}: one of {', '.join(OUTCOMES)}")
    if vote.first == vote.second:
        raise ValueError(f"a version cannot play itself ({vote.first!r})")


def score_matrix(votes: Iterable[Vote], names: Sequence[str]) -> np.ndarray:
    """S[i, j] = wins of i over j, ties and both-bad as half a win to each side."""
    index = {name: i for i, name in enumerate(names)}
    s = np.zeros((len(names), len(names)))
    for vote in votes:
        _check(vote)
        i, j = index[vote.first], index[vote.second]
        mine = {WIN: 1.0, LOSS: 0.0}.get(vote.outcome, 0.5)
        s[i, j] += mine
        s[j, i] += 1.0 - mine
    return s


def _objective(theta: np.ndarray, s: np.ndarray, prior: float) -> float:
    diff = theta[:, None] - theta[None, :]
    # log P(i beats j) = -log(1 + exp(θj - θi)), computed without overflow.
    return float(-(s * np.logaddexp(0.0, -diff)).sum() - 0.5 * prior * theta @ theta)


def _gradient_and_information(theta: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = s + s.T
    p = 1.0 / (1.0 + np.exp(-(theta[:, None] - theta[None, :])))
    grad = (s - n * p).sum(axis=1)
    w = n * p * (1.0 - p)
    info = np.diag(w.sum(axis=1)) - w
    return grad, info


def fit_theta(s: np.ndarray, prior: float = PRIOR, tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """(θ, covariance of θ) maximising the penalised likelihood; Newton steps with step halving."""
    k = s.shape[0]
    theta = np.zeros(k)
    ridge = prior * np.eye(k)
    for _ in range(100):
        grad, info = _gradient_and_information(theta, s)
        step = np.linalg.solve(info + ridge, grad - prior * theta)
        before, t = _objective(theta, s, prior), 1.0
        while t > 1e-6 and _objective(theta + t * step, s, prior) < before - 1e-12:
            t /= 2
        theta = theta + t * step
        if np.max(np.abs(t * step), initial=0.0) < tol:
            break
    _, info = _gradient_and_information(theta, s)
    centre = np.eye(k) - 1.0 / k
    cov = centre @ np.linalg.inv(info + ridge) @ centre
    return theta, cov


def tallies(votes: Iterable[Vote]) -> dict[str, Tally]:
    out: dict[str, Tally] = {}
    for vote in votes:
        _check(vote)
        out[vote.first] = out.get(vote.first, Tally()).add(vote.outcome)
        out[vote.second] = out.get(vote.second, Tally()).add(mirror(vote.outcome))
    return out


def bradley_terry(votes: Iterable[Vote], prior: float = PRIOR) -> list[Rating]:
    """One rating per version that took part, best first, with its 95% interval."""
    votes = list(votes)
    counts = tallies(votes)
    names = sorted(counts)
    if not names:
        return []
    theta, cov = fit_theta(score_matrix(votes, names), prior)
    half = Z95 * np.sqrt(np.clip(np.diag(cov), 0.0, None))
    ratings = [
        Rating(
            name,
            float(BASE + SCALE * theta[i]),
            float(BASE + SCALE * (theta[i] - half[i])),
            float(BASE + SCALE * (theta[i] + half[i])),
            counts[name],
        )
        for i, name in enumerate(names)
    ]
    return sorted(ratings, key=lambda r: (-r.rating, r.name))


def wilson_interval(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (fractional successes allowed, for the halves)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - spread), min(1.0, centre + spread)


def pair_summaries(votes: Iterable[Vote]) -> list[PairSummary]:
    """Every pair of versions that met, most votes first: who wins how often, with a 95% interval."""
    pairs: dict[tuple[str, str], Tally] = {}
    for vote in votes:
        _check(vote)
        key, side = (vote.first, vote.second), vote.outcome
        if vote.second < vote.first:
            key, side = (vote.second, vote.first), mirror(vote.outcome)
        pairs[key] = pairs.get(key, Tally()).add(side)
    out = []
    for (a, b), tally in pairs.items():
        if tally.score * 2 < tally.votes:
            a, b, tally = b, a, tally.flipped()
        rate = tally.score / tally.votes
        low, high = wilson_interval(tally.score, tally.votes)
        out.append(PairSummary(a, b, rate, low, high, tally))
    return sorted(out, key=lambda p: (-p.tally.votes, p.winner, p.loser))
