"""The reply figures: style and forbidden marker rates, chrF against her lines, distinct-2."""

from __future__ import annotations

import pytest

from training.core.evaluation import (
    FORBIDDEN_MARKERS,
    Markers,
    chrf,
    distinct_n,
    score_replies,
    style_marker_rate,
)


def test_forbidden_marker_rate_counts_polite_replies():
    replies = ["そうですね", "行くぜ", "ありがとうございました", "知らないな"]
    assert style_marker_rate(replies, FORBIDDEN_MARKERS) == 0.5
    assert style_marker_rate(["ﾃﾞｽ"], ("デス",)) == 1.0  # matched after NFKC (half-width to full-width)
    assert style_marker_rate(replies, ()) is None  # no markers set: nothing measured, not 0%


def test_chrf_is_high_for_her_own_words_and_low_for_other_words():
    refs = ["よう、遊びに来てやったぜ", "死ぬまで借りるだけだろ"]
    assert chrf(refs, refs) == pytest.approx(100.0)
    close = chrf(["よう、遊びに来たぜ", "死ぬまで借りるだけだ"], refs)
    far = chrf(["わかりません", "こんにちは"], refs)
    assert 0 <= far < close < 100
    assert chrf([], []) is None


def test_distinct_2_drops_when_replies_repeat_or_babble():
    varied = distinct_n(["キノコ狩りに行くぜ", "本を返す気はないな"], 2)
    repeated = distinct_n(["このこの結晶は誰だった", "このこの結晶は誰だった", "このこの結晶は誰だった"], 2)
    babble = distinct_n(["ぜぜぜぜぜぜぜぜ"], 2)
    assert varied == 1.0
    assert repeated == pytest.approx(9 / 30)  # 9 distinct bigrams in one reply, said three times
    assert babble == pytest.approx(1 / 7)
    assert distinct_n(["", "あ"], 2) == 0.0 and distinct_n([], 2) is None


def test_score_replies_gives_every_figure():
    scores = score_replies(["行くぜ", "そうです"], ["行くぜ", "そうだな"], Markers())
    assert scores["style_marker_rate"] == 0.5
    assert scores["forbidden_marker_rate"] == 0.5
    assert 0 < scores["reference_score"] < 100
    assert 0 < scores["distinct_2"] <= 1
    assert set(score_replies([], [], Markers()).values()) == {None}
