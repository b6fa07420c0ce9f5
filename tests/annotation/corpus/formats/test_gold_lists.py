"""The attribution rules against hand-checked gold lists of public-domain texts (corpora/gold/)."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_speakers", ROOT / "bench" / "speakers.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "name,coverage",
    [("akutagawa_toshishun", 0.45), ("miyazawa_gauche", 0.45), ("botchan", 0.75)],
)
def test_gold_texts_get_speakers_and_almost_never_a_wrong_one(name, coverage):
    bench = _bench()
    path = bench.TEXTS[name]
    if not path.exists():
        pytest.skip(f"{path} is not here")
    score = bench.score(name, path).as_dict()
    assert score["precision"] >= 0.95, score
    assert score["coverage"] >= coverage, score


def test_botchan_keeps_no_wrong_attribution():
    bench = _bench()
    if not bench.TEXTS["botchan"].exists():
        pytest.skip("botchan is not here")
    assert bench.score("botchan", bench.TEXTS["botchan"]).as_dict()["wrong"] == 0
