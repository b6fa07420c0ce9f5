"""16 reviewers claiming and submitting in parallel through the API, against gunicorn.

On PostgreSQL and on SQLite: no item is held by two reviewers, none is lost, none is decided twice,
and a repeated submit is refused with 409.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests import servers

REVIEWERS = 16
CANDIDATES = 240

SETUP = """
import json
from django.db import transaction
from rest_framework.authtoken.models import Token
from tests.factories import make_candidates, make_reviewer
with transaction.atomic():
    make_candidates({n})
    tokens = [Token.objects.create(user=make_reviewer(f"r{{i}}")).key for i in range({reviewers})]
print(json.dumps(tokens))
"""

CHECK = """
import json
from collections import Counter
from annotation.models import Candidate, ReviewAction
per_item = Counter(ReviewAction.objects.exclude(action="undo").values_list("candidate_id", flat=True))
print(json.dumps({
    "pending": Candidate.objects.filter(status="pending").count(),
    "leased": Candidate.objects.filter(lease_owner__isnull=False).count(),
    "decided": Candidate.objects.exclude(status="pending").count(),
    "actions": sum(per_item.values()),
    "max_actions_per_item": max(per_item.values(), default=0),
    "log_matches_items": all(
        a.status_after == a.candidate.status and a.user_id == a.candidate.decided_by_id
        and (a.action != "edit" or a.text_after == a.candidate.final_text)
        for a in ReviewAction.objects.select_related("candidate")
    ),
}))
"""


def prepare(database_url: str) -> tuple[dict[str, str], list[str]]:
    env = servers.django_env(database_url, "redis://127.0.0.1:9/0", MARISA_REVIEW_LEASE_SECONDS="600")
    servers.manage(env, "migrate", "--noinput")
    out = servers.manage(env, "shell", "-c", SETUP.format(n=CANDIDATES, reviewers=REVIEWERS))
    return env, json.loads(out.stdout.strip().splitlines()[-1])


def review_all(base: str, token: str, results: dict, errors: list) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    mine: list[int] = []
    try:
        for n in range(CANDIDATES):
            claim = session.post(f"{base}/api/review/claim/", timeout=30)
            if claim.status_code == 204:
                break
            claim.raise_for_status()
            item = claim.json()
            action = ["accept", "edit", "reject"][n % 3]
            body = {"action": action, "version": item["version"], "text": item["text"] + "（直し）"}
            done = session.post(f"{base}/api/review/{item['id']}/submit/", json=body, timeout=30)
            if done.status_code != 200:
                errors.append(f"{token[:6]} submit {item['id']}: {done.status_code} {done.text[:200]}")
                continue
            mine.append(item["id"])
            if n % 4 == 0:  # a repeated submit must be refused, never applied twice
                again = session.post(f"{base}/api/review/{item['id']}/submit/", json=body, timeout=30)
                if again.status_code != 409:
                    errors.append(f"repeated submit of {item['id']} gave {again.status_code}")
    except Exception as exc:  # reported below with the others
        errors.append(f"{token[:6]}: {exc!r}")
    results[token] = mine


def run_reviewers(env: dict[str, str], tokens: list[str]) -> None:
    web = servers.start_web(env, workers=2, threads=8)
    try:
        results: dict[str, list[int]] = {}
        errors: list[str] = []
        threads = [
            threading.Thread(target=review_all, args=(web.extra["url"], t, results, errors)) for t in tokens
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert not errors, errors[:5]
        decided = [cid for ids in results.values() for cid in ids]
        twice = [cid for cid, n in Counter(decided).items() if n > 1]
        assert not twice, f"items handed to two reviewers: {twice[:10]}"
        assert len(decided) == CANDIDATES, "some items were never handed out"
        assert sum(1 for ids in results.values() if ids) > 1  # the work really was shared
    finally:
        web.stop()
    state = json.loads(servers.manage(env, "shell", "-c", CHECK).stdout.strip().splitlines()[-1])
    assert state == {
        "pending": 0,
        "leased": 0,
        "decided": CANDIDATES,
        "actions": CANDIDATES,
        "max_actions_per_item": 1,
        "log_matches_items": True,
    }


@pytest.mark.postgres
@pytest.mark.slow
def test_sixteen_reviewers_in_parallel_on_postgresql(postgres_url: str) -> None:
    env, tokens = prepare(postgres_url)
    run_reviewers(env, tokens)


@pytest.mark.slow
def test_sixteen_reviewers_in_parallel_on_sqlite(tmp_path: Path) -> None:
    env, tokens = prepare(f"sqlite:///{tmp_path / 'queue.sqlite3'}")
    run_reviewers(env, tokens)
