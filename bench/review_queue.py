"""Claim and submit latency of the review queue at 1,000,000 candidates, 8 concurrent reviewers.

    .venv/bin/python bench/review_queue.py [--candidates 1000000] [--reviewers 8] [--seconds 10]
        [--backends postgresql,sqlite] [--decided-share 0.3]

For each database (a throwaway PostgreSQL cluster from tests/servers.py, and a SQLite file) the
candidates are bulk-loaded (COPY / executemany), a share of them already decided, and then
`--reviewers` processes loop claim -> submit for `--seconds`, first with our lease (a conditional
UPDATE, annotation/queue.py) and then with the baseline in the same run: Label Studio's way,
SELECT ... FOR UPDATE SKIP LOCKED inside a transaction, then save the lock (on SQLite, where
FOR UPDATE does not exist, the same code is a plain SELECT then UPDATE in a transaction). Every
claimed id is recorded, so an item handed to two reviewers at once shows up as `double_assigned`.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import servers  # noqa: E402

TARGET_P99_MS = {"postgresql": 25.0, "sqlite": 50.0}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ---------------------------------------------------------------- loading (in the child process)


def load(n: int, decided_share: float, reviewers: int) -> list[int]:
    """Bulk-load n candidates (one question per 4), the first share already decided; make reviewers."""
    from django.contrib.auth.models import Group, User
    from django.db import connection, transaction

    from annotation.review.models import QuestionSet

    group, _ = Group.objects.get_or_create(name="Reviewers")
    users = []
    for i in range(reviewers):
        user = User.objects.create_user(f"bench{i}", password="pw-secret-1")
        user.groups.add(group)
        users.append(user.pk)
    qset = QuestionSet.objects.create(name="bench")
    now = datetime.now(UTC)
    questions = (n + 3) // 4
    decided = int(n * decided_share)
    started = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                _copy_postgres(cur, qset.pk, questions, n, decided, now)
            else:
                _insert_sqlite(cur, qset.pk, questions, n, decided, now)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"loaded {n:,} candidates in {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
    return users


def _copy_postgres(cur, set_id: int, questions: int, n: int, decided: int, now: datetime) -> None:
    raw = cur.cursor  # the psycopg cursor under Django's wrapper
    with raw.copy("COPY annotation_question (question_set_id, position, text, context) FROM STDIN") as copy:
        for i in range(questions):
            copy.write_row((set_id, i, f"質問{i}　好きなものは？", "[]"))
    cur.execute("SELECT min(id) FROM annotation_question WHERE question_set_id = %s", [set_id])
    first_q = cur.fetchone()[0]
    cols = "question_id, model_name, text, sampling, status, final_text, reject_reason, version, skipped_by, created_at"
    with raw.copy(f"COPY annotation_candidate ({cols}) FROM STDIN") as copy:
        for i in range(n):
            status = "accepted" if i < decided else "pending"
            copy.write_row((first_q + i // 4, "bench", f"返事{i}だぜ", "{}", status, "", "", 0, "[]", now))


def _insert_sqlite(cur, set_id: int, questions: int, n: int, decided: int, now: datetime) -> None:
    stamp = now.replace(tzinfo=None).isoformat(sep=" ")
    cur.executemany(
        "INSERT INTO annotation_question (question_set_id, position, text, context) VALUES (%s, %s, %s, %s)",
        ((set_id, i, f"質問{i}　好きなものは？", "[]") for i in range(questions)),
    )
    cur.execute("SELECT min(id) FROM annotation_question WHERE question_set_id = %s", [set_id])
    first_q = cur.fetchone()[0]
    cur.executemany(
        "INSERT INTO annotation_candidate (question_id, model_name, text, sampling, status, final_text,"
        " reject_reason, version, skipped_by, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            (
                first_q + i // 4,
                "bench",
                f"返事{i}だぜ",
                "{}",
                "accepted" if i < decided else "pending",
                "",
                "",
                0,
                "[]",
                stamp,
            )
            for i in range(n)
        ),
    )


def query_plan() -> list[str]:
    """How the database runs the claim's inner SELECT (it must walk the partial index)."""
    from django.db import connection
    from django.utils import timezone

    from annotation.review import queue

    sql = queue._claim_sql()
    inner = sql[sql.index("(SELECT c.id") + 1 : sql.index(") AND status")].rstrip(")")
    adapt = connection.ops.adapt_datetimefield_value
    params = [adapt(timezone.now()), 1, 0]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("EXPLAIN (ANALYZE, COSTS OFF) " + inner, params)
            return [r[0] for r in cur.fetchall()]
        cur.execute("EXPLAIN QUERY PLAN " + inner, params)
        return [str(r[-1]) for r in cur.fetchall()]


# ---------------------------------------------------------------- reviewers (forked processes)


def baseline_claim(user):
    """Label Studio's way: SELECT ... FOR UPDATE SKIP LOCKED in a transaction, then save the lock."""
    from django.db import transaction
    from django.db.models import Q
    from django.utils import timezone

    from annotation.review.models import Candidate

    now = timezone.now()
    with transaction.atomic():
        cand = (
            Candidate.objects.select_for_update(skip_locked=True)
            .filter(status="pending")
            .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
            .order_by("id")
            .first()
        )
        if cand is not None:
            cand.lease_owner_id = user.pk
            cand.lease_expires_at = now + timedelta(seconds=600)
            cand.save(update_fields=["lease_owner", "lease_expires_at"])
        return cand


def reviewer(user_id: int, method: str, seconds: float, think_ms: float, out: mp.Queue) -> None:
    from django.contrib.auth.models import User
    from django.db import connection

    from annotation.review import queue

    connection.close()  # never share the parent's connection
    user = User.objects.get(pk=user_id)
    claims: list[float] = []
    submits: list[float] = []
    ids: list[int] = []
    conflicts = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        cand = queue.claim(user) if method == "lease" else baseline_claim(user)
        t1 = time.perf_counter()
        if cand is None:
            break
        claims.append((t1 - t0) * 1000)
        ids.append(cand.pk)
        try:
            queue.submit(cand.pk, user, "accept", None, cand.version)
        except queue.Conflict:
            conflicts += 1
        submits.append((time.perf_counter() - t1) * 1000)
        if think_ms:
            time.sleep(think_ms / 1000)  # a person reading and typing between decisions
    connection.close()
    out.put({"claims": claims, "submits": submits, "ids": ids, "conflicts": conflicts})


def run_method(users: list[int], method: str, seconds: float, think_ms: float = 0.0) -> dict:
    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("fork")
    out: mp.Queue = ctx.Queue()
    procs = [ctx.Process(target=reviewer, args=(u, method, seconds, think_ms, out)) for u in users]
    for p in procs:
        p.start()
    results = [out.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    claims = [x for r in results for x in r["claims"]]
    submits = [x for r in results for x in r["submits"]]
    ids = [i for r in results for i in r["ids"]]
    return {
        "claims": len(claims),
        "claims_per_second": round(len(claims) / seconds, 1),
        "think_ms": think_ms,
        "claim_p50_ms": round(pct(claims, 0.50), 2),
        "claim_p95_ms": round(pct(claims, 0.95), 2),
        "claim_p99_ms": round(pct(claims, 0.99), 2),
        "claim_max_ms": round(max(claims, default=float("nan")), 2),
        "submit_p50_ms": round(pct(submits, 0.50), 2),
        "submit_p99_ms": round(pct(submits, 0.99), 2),
        "double_assigned": len(ids) - len(set(ids)),
        "submit_conflicts": sum(r["conflicts"] for r in results),
    }


def think_list(value: str) -> list[float]:
    return [float(x) for x in value.split(",") if x.strip()]


def child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.db import connection

    users = load(args.candidates, args.decided_share, args.reviewers)
    result = {"vendor": connection.vendor, "candidates": args.candidates, "plan": query_plan()}
    result["runs"] = []
    for think in think_list(args.think_ms):
        for method in ("lease", "baseline"):
            run = {"method": method, **run_method(users, method, args.seconds, think)}
            run["load_average_1m"] = round(os.getloadavg()[0], 2)
            result["runs"].append(run)
            print(f"{connection.vendor} {run}", file=sys.stderr, flush=True)
    print(json.dumps(result, ensure_ascii=False))


# ---------------------------------------------------------------- orchestration


def run_backend(name: str, args: argparse.Namespace, workdir: Path) -> dict:
    pg = None
    if name == "postgresql":
        pg, server_url = servers.start_postgres()
        url = servers.create_postgres_database(server_url, "bench_review")
    else:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    try:
        env = servers.django_env(url, "redis://127.0.0.1:9/0", MARISA_DATA_DIR=str(workdir))
        servers.manage(env, "migrate", "--noinput")
        cmd = [sys.executable, __file__, "--child", *sys.argv[1:]]
        done = subprocess.run(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        if pg is not None:
            pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--candidates", type=int, default=1_000_000)
    parser.add_argument("--reviewers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--decided-share", type=float, default=0.3)
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument(
        "--think-ms",
        default="0,100",
        help="pauses between a submit and the next claim, each measured (0: flat out)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    summary: dict = {
        "bench": "review_queue",
        "reviewers": args.reviewers,
        "candidates": args.candidates,
        "decided_share": args.decided_share,
        "think_ms": args.think_ms,
        "cpus": os.cpu_count(),
    }
    with tempfile.TemporaryDirectory(prefix="marisa-bench-") as tmp:
        for name in args.backends.split(","):
            res = run_backend(name, args, Path(tmp))
            for line in res.pop("plan"):
                print(f"{name} plan: {line}")
            summary[name] = {"claim_p99_target_ms": TARGET_P99_MS[name], "runs": res["runs"]}
            for think in think_list(args.think_ms):
                lease, base = (
                    next(r for r in res["runs"] if r["method"] == m and r["think_ms"] == think)
                    for m in ("lease", "baseline")
                )
                print(f"{name} think {think:g} ms: lease {lease}")
                print(f"{name} think {think:g} ms: baseline {base}")
                summary[name][f"think_{think:g}ms"] = {
                    "claim_p99_ms": lease["claim_p99_ms"],
                    "baseline_claim_p99_ms": base["claim_p99_ms"],
                    "meets_target": lease["claim_p99_ms"] <= TARGET_P99_MS[name],
                    "baseline_over_lease_p99": round(base["claim_p99_ms"] / lease["claim_p99_ms"], 2),
                    "double_assigned": lease["double_assigned"],
                    "baseline_double_assigned": base["double_assigned"],
                }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marisa_site.test_settings")
    main()
