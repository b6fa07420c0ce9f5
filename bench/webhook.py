"""Webhook latency against /healthz's, on SQLite and PostgreSQL, and the cost of a large body.

    .venv/bin/python bench/webhook.py [--databases sqlite,postgresql] [--rate 100] [--rate-seconds 10]
                                      [--concurrency 32] [--requests 2000] [--repeats 3]
                                      [--large-events 1000]

gunicorn (--workers x --threads) on 127.0.0.1. Every webhook is correctly signed and carries one text
message from one of 500 users (a new webhookEventId each): the event recorded, the quota taken by the
conditional UPDATE, the message stored and its task handed to Celery (to a real Redis). A real Celery
worker meanwhile answers those messages with the tiny demo model, sending to the LINE API stand-in, so
the model is busy throughout. The baseline, measured in the same run with the same clients, is
/healthz: one database query and one Redis ping.

Cases, for each database, /healthz and the webhook run in turn --repeats times (the machine's load
drifts alike for both), the latencies of each pooled:
  open loop   requests due at --rate per second (latency from when each was due: what LINE's traffic
              at that rate sees), over 100 connections;
  closed loop --concurrency clients, each sending its next request when the last is answered;
  large body  one webhook of --large-events events (3 bodies, the median), every event checked stored.

Target: the webhook's p99 within 1.5x /healthz's p99 in the open-loop and the closed-loop case, on
both databases, 0 errors. The last line printed is JSON.

To measure other code with this bench (the code before a change), run a copy of this file from a
checkout of that code: `git worktree add /tmp/before <commit>; cp bench/webhook.py /tmp/before/bench/;
PYTHONPATH=/tmp/before .venv/bin/python /tmp/before/bench/webhook.py` (the servers run from the
checkout the file lies in).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from line_bot import simulator  # noqa: E402  (no Django needed: signing and event shapes only)
from line_bot.standin import StandinServer  # noqa: E402
from tests import servers  # noqa: E402

SECRET = "bench-channel-secret"
TOKEN = "bench-access-token"


def demo_model_dir() -> Path:
    """The demo model the test suite caches (same key), built on first use."""
    from training.core.demo_model import ensure_demo_model

    corpus = REPO / "annotation" / "demo" / "corpus.txt"
    builder = REPO / "training" / "core" / "demo_model.py"
    digest = hashlib.sha256(corpus.read_bytes() + builder.read_bytes()).hexdigest()[:12]
    cache = Path(os.environ.get("MARISA_TEST_CACHE_DIR", REPO / "var" / "cache"))
    cache.mkdir(parents=True, exist_ok=True)
    return ensure_demo_model(cache / f"demo-model-{digest}", corpus)


def signed_requests(n: int, host: str) -> list[bytes]:
    """Raw HTTP/1.1 requests, each a signed webhook with one text message."""
    out = []
    for i in range(n):
        body = simulator.webhook_body(
            [simulator.event("text", f"Ubench{i % 500:05d}", f"魔理沙、質問{i}だよ")]
        )
        head = (
            f"POST /line/webhook/ HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nX-Line-Signature: {simulator.sign(body, SECRET)}\r\n\r\n"
        )
        out.append(head.encode() + body)
    return out


def plain_requests(n: int, host: str, path: str) -> list[bytes]:
    return [f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()] * n


async def _client(
    host: str,
    port: int,
    connection: tuple,
    queue: list,
    latencies: list[float],
    errors: list[str],
    t0: float,
    rate: float | None,
) -> None:
    reader, writer = connection
    try:
        while queue:
            index, request = queue.pop()
            due = t0 + index / rate if rate else time.perf_counter()
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            writer.write(request)
            status_line = await reader.readline()
            length, closing = 0, False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                lower = line.lower()
                if lower.startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                elif lower.startswith(b"connection: close"):
                    closing = True
            await reader.readexactly(length)
            # From when the request was due, not when a free client sent it: a backlog counts as latency.
            latencies.append(time.perf_counter() - due)
            if b" 200 " not in status_line:
                errors.append(status_line.decode(errors="replace").strip())
            if closing or reader.at_eof():
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


async def _load(url: str, requests: list[bytes], concurrency: int, rate: float | None = None) -> dict:
    host, port = url.split("//")[1].split(":")
    queue = list(enumerate(requests))[::-1]  # pop() takes them in order
    latencies: list[float] = []
    errors: list[str] = []
    # The connections are open before the clock starts: a run measures requests, not connection set-up.
    connections = await asyncio.gather(
        *[asyncio.open_connection(host, int(port)) for _ in range(concurrency)]
    )
    started = time.perf_counter()
    results = await asyncio.gather(
        *[
            _client(host, int(port), connection, queue, latencies, errors, started, rate)
            for connection in connections
        ],
        return_exceptions=True,
    )
    wall = time.perf_counter() - started
    errors += [repr(r) for r in results if isinstance(r, BaseException)]
    return {
        "mode": f"open loop at {rate:g} req/s" if rate else "closed loop (as fast as possible)",
        **_figures(latencies),
        "errors": len(errors) + (len(requests) - len(latencies)),
        "error_sample": errors[:3],
        "seconds": round(wall, 2),
        "rps": round(len(latencies) / wall, 1),
        "latencies": latencies,
    }


def _figures(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def paired(url: str, n: int, concurrency: int, pid: int, rate: float | None, repeats: int) -> dict:
    """/healthz then the webhook, `repeats` times in turn (the machine's load drifts alike for both);
    each one's latencies pooled over its runs."""
    host = url.split("//")[1]
    runs: dict[str, list[dict]] = {"healthz": [], "webhook": []}
    lead = max(50, int(rate or 50))  # a second of the same traffic first, not measured: the server
    for _ in range(repeats):  # stalls a few hundred ms when the kind of request changes (old code alike)
        load(url, plain_requests(lead, host, "/healthz"), concurrency, None, rate).pop("latencies")
        runs["healthz"].append(load(url, plain_requests(n, host, "/healthz"), concurrency, pid, rate))
        load(url, signed_requests(lead, host), concurrency, None, rate).pop("latencies")
        runs["webhook"].append(load(url, signed_requests(n, host), concurrency, pid, rate))
    pooled = {}
    for name, results in runs.items():
        pooled[name] = {
            **_figures([x for r in results for x in r.pop("latencies")]),
            "errors": sum(r["errors"] for r in results),
            "error_sample": [e for r in results for e in r["error_sample"]][:3],
            "rps": round(statistics.mean(r["rps"] for r in results), 1),
            "server_cpu_ms_per_request": round(
                statistics.mean(r["server_cpu_ms_per_request"] for r in results), 2
            ),
            "p99_ms_by_run": [r["p99_ms"] for r in results],
        }
    return pooled


def sent(standin: StandinServer) -> int:
    """Answers the worker has delivered so far (by reply token or by push)."""
    return len(
        [r for r in standin.recorded() if r["path"].endswith(("/reply", "/push")) and r["status"] == 200]
    )


def _cpu_seconds(root_pid: int) -> float:
    """User + system CPU time of a process and its children (the gunicorn workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if root_pid in (pid, ppid):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def load(
    url: str,
    requests: list[bytes],
    concurrency: int,
    server_pid: int | None = None,
    rate: float | None = None,
) -> dict:
    """Send `requests` over `concurrency` keep-alive connections; adds the server's CPU ms per request.

    Closed loop (rate None): each client sends its next request when the last one is answered, which
    measures the most the server sustains. Open loop: requests are due at `rate` per second, as LINE
    sends them, and latency counts from when each was due.
    """
    cpu_before = _cpu_seconds(server_pid) if server_pid else 0.0
    result = asyncio.run(_load(url, requests, concurrency, rate))
    if server_pid:
        used = _cpu_seconds(server_pid) - cpu_before
        result["server_cpu_ms_per_request"] = round(used * 1000 / max(1, result["requests"]), 2)
    return result


def large_body(url: str, events: int, secret: str = SECRET) -> dict:
    """POST bodies of `events` text events each (3, new users); the median time; all stored once?"""
    times, stored = [], []
    for round_ in range(3):
        body = simulator.webhook_body(
            [simulator.event("text", f"Ularge{round_}{i:05d}", f"まとめて{i}") for i in range(events)]
        )
        started = time.perf_counter()
        status, answer = simulator.post_webhook(url + "/line/webhook/", body, secret, timeout=600)
        times.append(time.perf_counter() - started)
        outcomes = json.loads(answer).get("events", []) if status == 200 else []
        stored.append(status == 200 and outcomes.count("queued") == events)
    return {
        "events": events,
        "seconds": round(statistics.median(times), 3),
        "all_seconds": [round(t, 3) for t in times],
        "all_stored": all(stored),
    }


def ratio(webhook: dict, baseline: dict) -> float:
    return round(webhook["p99_ms"] / baseline["p99_ms"], 2) if baseline["p99_ms"] else float("inf")


def run_database(kind: str, args, redis_url: str, standin: StandinServer, data_dir: str) -> dict:
    """Start the web server and a worker on a fresh database of `kind`; run every case against them."""
    postgres = None
    if kind == "sqlite":
        database_url = f"sqlite:///{data_dir}/bench-{os.getpid()}.sqlite3"
    else:
        postgres, server_url = servers.start_postgres()
        database_url = servers.create_postgres_database(server_url, "bench_webhook")
    env = servers.django_env(
        database_url,
        redis_url,
        DJANGO_SETTINGS_MODULE="marisa_site.settings",
        DJANGO_DEBUG="0",
        SECRET_KEY="bench-" + "x" * 50,
        SECURE_SSL_REDIRECT="0",
        MARISA_DATA_DIR=data_dir,
        LINE_CHANNEL_SECRET=SECRET,
        LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
        LINE_API_BASE_URL=standin.url,
        MARISA_MONTHLY_LIMIT="100000000",
        MARISA_DEMO_MODEL_DIR=str(demo_model_dir()),
        MARISA_BASE_MODEL="",
        LOG_LEVEL="WARNING",
    )
    servers.manage(env, "migrate", "--noinput")
    threads = str(args.model_threads)
    worker = servers.start_celery_worker(
        {**env, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}, queues="default", concurrency=1
    )
    web = servers.start_web(env, workers=args.workers, threads=args.threads)
    url, pid = web.extra["url"], web.popen.pid
    host = url.split("//")[1]
    result: dict = {"database": kind, "load_average_before": round(os.getloadavg()[0], 2)}
    try:
        load(url, signed_requests(300, host), 32).pop("latencies")  # warm-up: imports, connections
        servers.wait_for(lambda: sent(standin), 180, "the first model answer")
        n = int(args.rate * args.rate_seconds)
        open_loop = paired(url, n, 100, pid, args.rate, args.repeats)
        result["open_loop"] = {"rate": args.rate, **open_loop}
        closed_loop = paired(url, args.requests, args.concurrency, pid, None, args.repeats)
        result["closed_loop"] = {"concurrency": args.concurrency, **closed_loop}
        result["large_body"] = large_body(url, args.large_events)
    finally:
        web.stop()
        worker.stop()
        if postgres is not None:
            postgres.stop()
    for case in ("open_loop", "closed_loop"):
        result[case]["p99_ratio"] = ratio(result[case]["webhook"], result[case]["healthz"])
    return result


def report(result: dict) -> None:
    kind = result["database"]
    print(f"--- {kind} (load average before: {result['load_average_before']}) ---")
    for case, label in (
        ("open_loop", f"open loop at {result['open_loop']['rate']:g}/s"),
        ("closed_loop", f"closed loop, {result['closed_loop']['concurrency']} clients"),
    ):
        run = result[case]
        for name in ("healthz", "webhook"):
            figures = run[name]
            print(
                f"{kind:10} {label:26} {name:8}: {figures['rps']:7.1f} req/s  p50 {figures['p50_ms']:7.1f} ms"
                f"  p99 {figures['p99_ms']:7.1f} ms  max {figures['max_ms']:7.1f} ms  errors {figures['errors']}"
                f"  CPU {figures.get('server_cpu_ms_per_request')} ms/request"
            )
        print(
            f"{kind:10} {label:26} webhook p99 / healthz p99 = {run['p99_ratio']:.2f} (target <= 1.5);"
            f" p99 by run: healthz {run['healthz']['p99_ms_by_run']}, webhook {run['webhook']['p99_ms_by_run']}"
        )
    large = result["large_body"]
    print(
        f"{kind:10} large body: {large['events']} events answered in {large['seconds']:.3f} s (median of"
        f" {large['all_seconds']}), every event stored once: {large['all_stored']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--rate", type=float, default=100, help="open-loop arrival rate (req/s)")
    parser.add_argument("--rate-seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32, help="closed-loop clients")
    parser.add_argument("--requests", type=int, default=2000, help="closed-loop requests of each kind a run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each kind, in turn, pooled")
    parser.add_argument("--large-events", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--model-threads", type=int, default=1, help="torch threads in the worker (one core for the model)"
    )
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="marisa-bench-webhook-")
    atexit.register(shutil.rmtree, data_dir, True)
    redis_server, redis_url = servers.start_redis()
    standin = StandinServer(0, TOKEN).start()
    results = []
    try:
        for kind in args.databases.split(","):
            results.append(run_database(kind.strip(), args, redis_url, standin, data_dir))
    finally:
        standin.stop()
        redis_server.shutdown()
    print(
        f"code: {REPO}   cores: {os.cpu_count()}   gunicorn: {args.workers} workers x {args.threads} threads"
    )
    for result in results:
        report(result)
    met = all(
        r[case]["p99_ratio"] <= 1.5 and r[case]["webhook"]["errors"] == r[case]["healthz"]["errors"] == 0
        for r in results
        for case in ("open_loop", "closed_loop")
    ) and all(r["large_body"]["all_stored"] for r in results)
    summary = {
        "bench": "webhook",
        "code": str(REPO),
        "cores": os.cpu_count(),
        "gunicorn": {"workers": args.workers, "threads": args.threads},
        "results": results,
        "p99_ratios": {
            r["database"]: {case: r[case]["p99_ratio"] for case in ("open_loop", "closed_loop")}
            for r in results
        },
        "large_body_seconds": {r["database"]: r["large_body"]["seconds"] for r in results},
        "targets": {"p99_ratio_max": 1.5, "errors": 0},
        "targets_met": met,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
