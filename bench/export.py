"""Export throughput and peak memory over a synthetic 1,000,000-line snapshot, in every format.

    .venv/bin/python bench/export.py [--lines 1000000]

The snapshot file is generated in the snapshot format (canonical JSONL, as annotation.snapshots writes it).
Each format runs in its own subprocess, streaming the whole export to /dev/null through the same code the
command and the API use (iter_conversations -> export_bytes); its peak RSS (ru_maxrss) is the process's
whole footprint, interpreter and Django included, so the idle footprint is measured too. The baseline, in
the same run, is the naive export: load every conversation into a list, then json.dumps it.
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FORMATS = ("jsonl", "text", "hf", "sft-chat", "dpo")
SPEAKERS = ["魔理沙", "霊夢", "アリス", "パチュリー", "まりさ", "霧雨魔理沙", "咲夜", ""]
WORDS = [
    "よう",
    "だぜ",
    "魔法",
    "きのこ",
    "神社",
    "お茶",
    "本を借りる",
    "弾幕",
    "今日は",
    "いい天気",
    "だろ",
    "のか？",
]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9))) + rng.choice(["。", "！", "？", "…"])


def generate(path: Path, total_lines: int, seed: int = 7) -> dict[str, int]:
    """Write a snapshot-format JSONL file with about `total_lines` lines; 5% of records are corrections."""
    from annotation.snapshots import canonical_line

    rng = random.Random(seed)
    lines = conversations = corrections = 0
    with path.open("wb", buffering=1 << 20) as f:
        while lines < total_lines:
            n = min(rng.randint(2, 18), total_lines - lines)
            if rng.random() < 0.05 and n >= 2:
                turns = [{"speaker": "ユーザー", "text": _text(rng)} for _ in range(n - 1)]
                turns.append({"speaker": "魔理沙", "text": _text(rng)})
                record: dict[str, Any] = {
                    "id": f"cand-{conversations}",
                    "kind": "correction",
                    "source": "質問集",
                    "question": turns[-2]["text"],
                    "model_text": _text(rng),
                    "rejected": [_text(rng)],
                    "lines": turns,
                }
                corrections += 1
            else:
                turns = [{"speaker": rng.choice(SPEAKERS), "text": _text(rng)} for _ in range(n)]
                record = {
                    "id": f"conv-{conversations}",
                    "kind": "corpus",
                    "source": "synthetic",
                    "lines": turns,
                }
            f.write(canonical_line(record))
            lines += n
            conversations += 1
    return {"lines": lines, "conversations": conversations, "corrections": corrections}


class _Snap:
    """What iter_conversations needs of a DatasetSnapshot: its file."""

    def __init__(self, path: Path) -> None:
        self.path, self.sha256 = str(path), ""


def _child(fmt: str, path: Path, lines: int) -> dict[str, Any]:
    from annotation.exports import ExportContext, export_bytes
    from annotation.snapshots import iter_conversations

    idle_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ctx = ExportContext(
        prompt_name="魔理沙", names=frozenset({"魔理沙", "まりさ", "霧雨魔理沙"}), system="ガイドライン"
    )
    start = time.perf_counter()
    first_byte = None
    written = 0
    with open(os.devnull, "wb") as out:
        if fmt == "baseline":
            # The naive way: the whole data set in memory, then one json.dumps.
            everything = list(iter_conversations(_Snap(path)))
            data = json.dumps(everything, ensure_ascii=False).encode()
            first_byte = time.perf_counter() - start
            out.write(data)
            written = len(data)
        else:
            for chunk in export_bytes(fmt, iter_conversations(_Snap(path)), ctx):
                if first_byte is None:
                    first_byte = time.perf_counter() - start
                out.write(chunk)
                written += len(chunk)
    elapsed = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "format": fmt,
        "seconds": round(elapsed, 3),
        "lines_per_s": round(lines / elapsed),
        "first_byte_ms": round(1000 * (first_byte or elapsed), 1),
        "bytes": written,
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "idle_rss_mb": round(idle_kb / 1024, 1),
    }


def _setup_django() -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marisa_site.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("MARISA_DATA_DIR", tempfile.mkdtemp(prefix="bench-export-"))
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=3, metavar=("FMT", "FILE", "LINES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    _setup_django()
    if args.child:
        fmt, file, lines = args.child
        print(json.dumps(_child(fmt, Path(file), int(lines))))
        return
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        path = Path(tmp) / "snapshot.jsonl"
        t0 = time.perf_counter()
        shape = generate(path, args.lines)
        print(
            f"generated {shape} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f}s",
            file=sys.stderr,
        )
        results = {}
        for fmt in ("baseline", *FORMATS):
            cmd = [sys.executable, __file__, "--child", fmt, str(path), str(shape["lines"])]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=os.environ.copy())
            results[fmt] = json.loads(out.stdout.strip().splitlines()[-1])
            r = results[fmt]
            print(
                f"{fmt:9s} {r['lines_per_s']:>10,} lines/s  {r['seconds']:6.2f} s  first byte {r['first_byte_ms']:8.1f} ms"
                f"  peak RSS {r['peak_rss_mb']:6.1f} MB (idle {r['idle_rss_mb']:.1f} MB)  {r['bytes'] / 1e6:.0f} MB out",
                file=sys.stderr,
            )
    base = results["baseline"]
    summary = {
        "lines": shape["lines"],
        "conversations": shape["conversations"],
        "formats": {f: results[f] for f in FORMATS},
        "baseline": base,
        "speedup_vs_baseline": {
            f: round(results[f]["lines_per_s"] / base["lines_per_s"], 2) for f in FORMATS
        },
        "memory_ratio_vs_baseline": {
            f: round(results[f]["peak_rss_mb"] / base["peak_rss_mb"], 3) for f in FORMATS
        },
        "targets_met": all(
            results[f]["lines_per_s"] >= 100_000 and results[f]["peak_rss_mb"] < 200
            for f in ("jsonl", "text")
        ),
        "cpu": os.cpu_count(),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
