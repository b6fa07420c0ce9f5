"""Webhook latency and throughput: 100 concurrent clients against gunicorn on 127.0.0.1.

    .venv/bin/python bench/webhook.py [--requests 6000] [--concurrency 100] [--workers 2] [--threads 4]

Every request is a correctly signed LINE webhook with one text message from one of many users
(a new webhookEventId each), so each one records the event, counts against the quota with the
conditional UPDATE, stores the message and publishes a Celery task to a real Redis. A real Celery
worker meanwhile answers those messages with the tiny demo model (the model is busy throughout),
sending to the LINE API stand-in. The baseline, measured in the same run with the same clients,
is /healthz: a view that does no work beyond one database and one Redis round trip.

Two ways of loading it: closed loop (each of the 100 clients sends its next request as soon as the
last is answered: the most the server sustains) and open loop (requests due at --rate per second,
spread over the 100 connections, latency counted from when each was due: what LINE's traffic at
that rate would see). With 100 closed-loop clients, latency is 100 / throughput by Little's law,
so the latency target is read from the open-loop run.

Targets (2 cores): p99 <= 50 ms at 500 requests/s, >= 500 requests/s sustained, 0 errors.
The last line printed is JSON.
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
    queue: list,
    latencies: list[float],
    errors: list[str],
    t0: float,
    rate: float | None,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
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
    started = time.perf_counter()
    results = await asyncio.gather(
        *[_client(host, int(port), queue, latencies, errors, started, rate) for _ in range(concurrency)],
        return_exceptions=True,
    )
    wall = time.perf_counter() - started
    errors += [repr(r) for r in results if isinstance(r, BaseException)]
    latencies.sort()
    return {
        "mode": f"open loop at {rate:g} req/s" if rate else "closed loop (as fast as possible)",
        "requests": len(latencies),
        "errors": len(errors) + (len(requests) - len(latencies)),
        "error_sample": errors[:3],
        "seconds": round(wall, 2),
        "rps": round(len(latencies) / wall, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1),
    }


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument(
        "--rates", default="100,500", help="open-loop arrival rates (req/s); the last is the target"
    )
    parser.add_argument("--rate-seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--model-threads", type=int, default=1, help="torch threads in the worker (one core for the model)"
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL and use it")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="marisa-bench-webhook-")
    atexit.register(shutil.rmtree, data_dir, True)
    redis_server, redis_url = servers.start_redis()
    standin = StandinServer(0, TOKEN).start()
    postgres = None
    if args.postgres:
        postgres, server_url = servers.start_postgres()
        args.database_url = servers.create_postgres_database(server_url, "bench_webhook")
    database_url = args.database_url or f"sqlite:///{data_dir}/bench.sqlite3"
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
        MARISA_MONTHLY_LIMIT="1000000",
        MARISA_DEMO_MODEL_DIR=str(demo_model_dir()),
        MARISA_BASE_MODEL="",
        LOG_LEVEL="WARNING",
    )
    servers.manage(env, "migrate", "--noinput")
    worker_env = {
        **env,
        "OMP_NUM_THREADS": str(args.model_threads),
        "MKL_NUM_THREADS": str(args.model_threads),
    }
    worker = servers.start_celery_worker(worker_env, queues="default", concurrency=1)
    web = servers.start_web(env, workers=args.workers, threads=args.threads)
    url = web.extra["url"]
    host = url.split("//")[1]
    load_before = os.getloadavg()[0]
    try:
        load(
            url, signed_requests(300, host), args.concurrency
        )  # warm-up: imports, connections, first month row
        servers.wait_for(lambda: sent(standin), 120, "the first model answer")
        baseline = load(url, plain_requests(args.requests, host, "/healthz"), args.concurrency, web.popen.pid)
        answered_before = sent(standin)
        webhook = load(url, signed_requests(args.requests, host), args.concurrency, web.popen.pid)
        answered_during = sent(standin) - answered_before
        paced_runs = {}
        for rate in [float(r) for r in args.rates.split(",")]:
            n = int(rate * args.rate_seconds)
            paced_runs[rate] = (
                load(url, plain_requests(n, host, "/healthz"), args.concurrency, web.popen.pid, rate),
                load(url, signed_requests(n, host), args.concurrency, web.popen.pid, rate),
            )
        target_rate = rate
        baseline_paced, webhook_paced = paced_runs[target_rate]
    finally:
        web.stop()
        worker.stop()
        standin.stop()
        redis_server.shutdown()
    usage = json.loads(servers.manage(env, "line_usage", "--json").stdout.strip().splitlines()[-1])
    if postgres is not None:
        postgres.stop()
    # What two dedicated cores would sustain at this CPU cost per request (client and model elsewhere).
    projected = (
        round(2000 / webhook["server_cpu_ms_per_request"]) if webhook["server_cpu_ms_per_request"] else None
    )
    met = (
        webhook_paced["p99_ms"] <= 50
        and webhook_paced["rps"] >= 0.98 * target_rate
        and webhook["rps"] >= 500
        and webhook["errors"] == webhook_paced["errors"] == 0
    )
    print(
        f"load average before the run: {load_before:.1f} (other processes on this machine compete for the cores)"
    )
    print(
        f"cores: {os.cpu_count()}   gunicorn: {args.workers} workers x {args.threads} threads   db: {database_url.split(':')[0]}"
    )
    print(f"baseline /healthz, closed loop : {baseline}")
    print(f"signed webhook, closed loop    : {webhook}")
    for rate, (base_run, hook_run) in paced_runs.items():
        print(f"baseline /healthz, open loop at {rate:g}/s : {base_run}")
        print(f"signed webhook, open loop at {rate:g}/s    : {hook_run}")
    print(
        f"server CPU per request: webhook {webhook['server_cpu_ms_per_request']} ms, /healthz {baseline['server_cpu_ms_per_request']} ms"
    )
    print(f"model answers sent while measuring: {answered_during}; quota used: {usage['used']}")
    result = {
        "bench": "webhook",
        "cores": os.cpu_count(),
        "concurrency": args.concurrency,
        "gunicorn": {"workers": args.workers, "threads": args.threads},
        "database": database_url.split(":")[0],
        "webhook": webhook,
        "baseline_healthz": baseline,
        "webhook_at_rate": webhook_paced,
        "baseline_healthz_at_rate": baseline_paced,
        "open_loop": {f"{r:g}": {"webhook": h, "baseline_healthz": b} for r, (b, h) in paced_runs.items()},
        "rps_ratio_vs_baseline": round(webhook["rps"] / baseline["rps"], 2),
        "model_answers_during_run": answered_during,
        "model_threads": args.model_threads,
        "load_average_before": round(load_before, 2),
        "quota_used": usage["used"],
        "projected_rps_on_2_dedicated_cores": projected,
        "targets": {"p99_ms": 50, "rps": 500, "errors": 0},
        "targets_met": met,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
