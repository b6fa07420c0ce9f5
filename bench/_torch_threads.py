"""The --threads option shared by the benchmarks that run the demo model."""

from __future__ import annotations

import argparse


def add_threads_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads (0: torch's default). The demo model's ops are too small for threads to pay, "
        "and on a shared machine idle threads spin: 1 gives steady figures. Both sides run with the same setting.",
    )


def apply_threads(threads: int) -> None:
    import torch

    if threads:
        torch.set_num_threads(threads)
