"""Speaker attribution on hand-checked gold lists: coverage, precision and speed per text.

    .venv/bin/python bench/speakers.py [--show-wrong] [--holdouts]

Gold lists are `corpora/gold/<text>.tsv`: one row per quote in text order, `start of the quote<TAB>speaker`,
where the speaker is `|`-separated names any of which is right (杜子春's 老人|鉄冠子), `-` for a quote several
people say or nobody nameable says (any name is wrong), `*` for a quote that is no speech (not counted).
A guess counts as right when it is one of the names, or one of them ends it (片目眇の老人 for 老人) or it ends
one of them (鳥 for かっこう鳥); every other name is wrong.

Texts not tuned on (HOLDOUTS: the rules were never written while reading them or their scores) are scored
only with --holdouts, so that working on the rules does not turn them into tuned texts; measure them at the
end of a change. Coverage = single-speaker quotes given a speaker / single-speaker quotes; precision = right / named.
The speed baseline, measured in the same run, is the parser with every speaker rule switched off (quote
extraction only), so the ratio is the cost of attribution. Last line: JSON.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotation.corpus.formats.aozora import parse_aozora  # noqa: E402
from annotation.corpus.formats.common import aozora_body, strip_markup  # noqa: E402

GOLD = ROOT / "corpora" / "gold"
TEXTS = {
    "akutagawa_toshishun": ROOT / "corpora" / "aozora" / "akutagawa_toshishun.txt",
    "miyazawa_gauche": ROOT / "corpora" / "aozora" / "miyazawa_gauche.txt",
    "botchan": Path("/work/shared/corpora/aozora/botchan.txt"),
    "miyazawa_donguri": ROOT / "corpora" / "aozora" / "miyazawa_donguri.txt",
    "akutagawa_rashomon": ROOT / "corpora" / "aozora" / "akutagawa_rashomon.txt",
    "kusuyama_momotaro": ROOT / "corpora" / "aozora" / "kusuyama_momotaro.txt",
    "sakaguchi_sakuranomori": ROOT / "corpora" / "aozora" / "sakaguchi_sakuranomori.txt",
    "arishima_kajitopochi": ROOT / "corpora" / "aozora" / "arishima_kajitopochi.txt",
    "miyazawa_chumon": ROOT / "corpora" / "aozora" / "miyazawa_chumon.txt",
    "natsume_yumejuya": ROOT / "corpora" / "aozora" / "natsume_yumejuya.txt",
}
# Texts whose rules were written while reading them; the others are read only through the bench.
TUNED_ON = {"botchan", "akutagawa_toshishun", "miyazawa_chumon", "natsume_yumejuya"}
HOLDOUTS = {
    "miyazawa_gauche",
    "miyazawa_donguri",
    "akutagawa_rashomon",
    "kusuyama_momotaro",
    "sakaguchi_sakuranomori",
    "arishima_kajitopochi",
}


@dataclass
class Score:
    quotes: int = 0
    single: int = 0
    named: int = 0
    right: int = 0
    wrong: list[tuple[str, str, str]] = field(default_factory=list)
    group_named: int = 0  # a name given to a quote several people (or nobody nameable) say

    def as_dict(self) -> dict:
        coverage = self.named / self.single if self.single else 0.0
        precision = self.right / self.named if self.named else 1.0
        return {
            "quotes": self.quotes,
            "single_speaker": self.single,
            "named": self.named,
            "right": self.right,
            "wrong": len(self.wrong) + self.group_named,
            "coverage": round(coverage, 3),
            "precision": round(precision, 3),
        }


def _read(path: Path) -> list[str]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp932")
    return text.replace("\r\n", "\n").split("\n")


def _gold(name: str) -> list[tuple[str, str]]:
    rows = []
    for line in (GOLD / f"{name}.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            start, speaker = line.split("\t")
            rows.append((start, speaker))
    return rows


def _right(guess: str, names: list[str]) -> bool:
    return any(guess == n or guess.endswith(n) or n.endswith(guess) for n in names)


def score(name: str, path: Path) -> Score:
    lines = [(line.text, line.speaker) for conv in parse_aozora(_read(path)) for line in conv.lines]
    result = Score(quotes=len(lines))
    position = 0
    for start, truth in _gold(name):
        found = next((i for i in range(position, len(lines)) if lines[i][0].startswith(start)), None)
        if found is None:
            found = next((i for i in range(len(lines)) if lines[i][0].startswith(start)), None)
        if found is None:
            raise SystemExit(f"{name}: no quote starts with {start!r}")
        position = found + 1
        guess = lines[found][1]
        if truth == "*":
            continue
        if truth == "-":
            result.group_named += bool(guess)
            continue
        result.single += 1
        if guess:
            result.named += 1
            if _right(guess, truth.split("|")):
                result.right += 1
            else:
                result.wrong.append((start, guess, truth))
    return result


def _quotes_only(lines: list[str]) -> int:
    """The baseline: the same body reading and markup removal, every 「…」 found, no speaker rules."""
    count = 0
    for raw in aozora_body(lines):
        count += strip_markup(raw).count("「")
    return count


def speed(paths: list[Path], repeat: int = 3) -> dict:
    texts = [_read(p) for p in paths]
    size = sum(len("\n".join(t).encode("utf-8")) for t in texts) / 1e6
    best = {"attribution": float("inf"), "baseline": float("inf")}
    for _ in range(repeat):
        from annotation.corpus.formats.morph import analyse

        analyse.cache_clear()  # every run reads the narration afresh
        t0 = time.perf_counter()
        for t in texts:
            for _conv in parse_aozora(t):
                pass
        best["attribution"] = min(best["attribution"], time.perf_counter() - t0)
        t0 = time.perf_counter()
        for t in texts:
            _quotes_only(t)
        best["baseline"] = min(best["baseline"], time.perf_counter() - t0)
    return {
        "mb": round(size, 3),
        "s_per_mb": round(best["attribution"] / size, 3),
        "baseline_s_per_mb": round(best["baseline"] / size, 4),
        "ratio_vs_baseline": round(best["attribution"] / best["baseline"], 1),
    }


def main() -> None:
    show_wrong = "--show-wrong" in sys.argv
    holdouts = "--holdouts" in sys.argv
    figures: dict[str, dict] = {}
    for name, path in TEXTS.items():
        if name in HOLDOUTS and not holdouts:
            print(f"{name}: held out (not tuned on; scored with --holdouts)")
            continue
        if not path.exists() or not (GOLD / f"{name}.tsv").exists():
            print(f"{name}: skipped (text or gold list missing)")
            continue
        s = score(name, path)
        figures[name] = s.as_dict() | {"tuned_on": name in TUNED_ON}
        f = figures[name]
        print(
            f"{name:22} quotes {f['quotes']:4}  single-speaker {f['single_speaker']:4}  named {f['named']:4}  "
            f"coverage {f['coverage']:.1%}  precision {f['precision']:.1%}  wrong {f['wrong']}"
            + ("" if name in TUNED_ON else "  (not tuned on)")
        )
        if show_wrong and name in TUNED_ON:
            for start, guess, truth in s.wrong:
                print(f"    wrong: {start} -> {guess} (gold {truth})")
    timing = speed([p for p in TEXTS.values() if p.exists()])
    held = [f for n, f in figures.items() if n in HOLDOUTS]
    if held:
        single, named = sum(f["single_speaker"] for f in held), sum(f["named"] for f in held)
        right = sum(f["right"] for f in held)
        print(f"holdouts together: coverage {named / single:.1%}  precision {right / max(named, 1):.1%}")
    print(
        f"speed: {timing['s_per_mb']} s/MB with attribution, {timing['baseline_s_per_mb']} s/MB quotes only "
        f"(x{timing['ratio_vs_baseline']})"
    )
    print(json.dumps({"texts": figures, "speed": timing}, ensure_ascii=False))


if __name__ == "__main__":
    main()
