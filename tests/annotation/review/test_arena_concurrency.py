"""8 reviewers claiming and voting arena matches in parallel through the API, against gunicorn.

On PostgreSQL and on SQLite: no match is handed to two reviewers, none is lost, each takes one vote.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests import servers

REVIEWERS = 8
MATCHES = 64

SETUP = """
import json
from django.db import transaction
from rest_framework.authtoken.models import Token
from tests.factories import make_arena_matches, make_reviewer
with transaction.atomic():
    make_arena_matches({n})
    tokens = [Token.objects.create(user=make_reviewer(f"r{{i}}")).key for i in range({reviewers})]
print(json.dumps(tokens))
"""

CHECK = """
import json
from annotation.models import ArenaMatch
print(json.dumps({
    "open": ArenaMatch.objects.filter(status="open").count(),
    "leased": ArenaMatch.objects.filter(lease_owner__isnull=False).count(),
    "voted": ArenaMatch.objects.filter(status="voted").count(),
}))
"""


def vote_all(base: str, token: str, results: dict, errors: list) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    mine: list[int] = []
    try:
        for n in range(MATCHES):
            claim = session.post(f"{base}/api/arena/claim/", timeout=30)
            if claim.status_code == 204:
                break
            claim.raise_for_status()
            match = claim.json()
            body = {"outcome": ["a", "b", "tie", "both_bad"][n % 4]}
            done = session.post(f"{base}/api/arena/{match['id']}/vote/", json=body, timeout=30)
            if done.status_code != 200:
                errors.append(f"{token[:6]} vote {match['id']}: {done.status_code} {done.text[:200]}")
                continue
            mine.append(match["id"])
            again = session.post(f"{base}/api/arena/{match['id']}/vote/", json=body, timeout=30)
            if again.status_code != 409:
                errors.append(f"a second vote on {match['id']} gave {again.status_code}")
    except Exception as exc:  # reported below with the others
        errors.append(f"{token[:6]}: {exc!r}")
    results[token] = mine


def run(database_url: str) -> None:
    env = servers.django_env(database_url, "redis://127.0.0.1:9/0", MARISA_REVIEW_LEASE_SECONDS="600")
    servers.manage(env, "migrate", "--noinput")
    tokens = json.loads(
        servers.manage(env, "shell", "-c", SETUP.format(n=MATCHES, reviewers=REVIEWERS)).stdout.splitlines()[
            -1
        ]
    )
    web = servers.start_web(env, workers=2, threads=4)
    try:
        results: dict[str, list[int]] = {}
        errors: list[str] = []
        threads = [
            threading.Thread(target=vote_all, args=(web.extra["url"], t, results, errors)) for t in tokens
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert not errors, errors[:5]
        voted = [mid for ids in results.values() for mid in ids]
        twice = [mid for mid, n in Counter(voted).items() if n > 1]
        assert not twice, f"matches handed to two reviewers: {twice[:10]}"
        assert len(voted) == MATCHES, "some matches were never handed out"
        assert sum(1 for ids in results.values() if ids) > 1  # the work really was shared
    finally:
        web.stop()
    state = json.loads(servers.manage(env, "shell", "-c", CHECK).stdout.strip().splitlines()[-1])
    assert state == {"open": 0, "leased": 0, "voted": MATCHES}


@pytest.mark.postgres
@pytest.mark.slow
def test_eight_reviewers_vote_in_parallel_on_postgresql(postgres_url: str) -> None:
    run(postgres_url)


@pytest.mark.slow
def test_eight_reviewers_vote_in_parallel_on_sqlite(tmp_path: Path) -> None:
    run(f"sqlite:///{tmp_path / 'arena.sqlite3'}")
