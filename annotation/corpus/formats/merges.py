"""Names that may be one person (王 / 暴君ディオニス, 老人 / 片目眇の老人, 狸 / 狸の子): offered, never merged.

No Django. The importer reports the offers with its result and the attribution queue shows them to the
reviewer; nothing is renamed without a person deciding (a wrong merge would corrupt two characters' lines).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

MIN_NAME = 1


def _key(name: str) -> str:
    return unicodedata.normalize("NFKC", name)  # matching only; the names are offered as written


def merge_offers(names: Iterable[str], appositions: Iterable[tuple[str, str]] = ()) -> list[list[str]]:
    """Groups of two or more speaker names that may denote one person, each as written, longest first.

    A name that ends or begins another (暴君 / 暴君ディオニス, 老人 / 片目眇の老人) is offered with it; so is a
    pair the text itself puts side by side (`appositions`: 母のおたか, a cast list's おたか（母）)."""
    written = sorted({n for n in names if n and len(n) >= MIN_NAME}, key=lambda n: (-len(n), n))
    parent = {n: n for n in written}

    def root(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    def join(a: str, b: str) -> None:
        if a in parent and b in parent and a != b:
            parent[root(b)] = root(a)

    for i, long in enumerate(written):
        for short in written[i + 1 :]:
            if len(short) < len(long) and (
                _key(long).endswith(_key(short)) or _key(long).startswith(_key(short))
            ):
                join(long, short)
    for a, b in appositions:
        join(a, b)
    groups: dict[str, list[str]] = {}
    for n in written:
        groups.setdefault(root(n), []).append(n)
    return [g for g in groups.values() if len(g) > 1]
