"""A stand-in for the LINE Messaging API endpoints the bot uses, served on 127.0.0.1.

    python -m line_bot.standin --port 8001 [--token demo-access-token]

Endpoints (as LINE answers them): POST /v2/bot/message/reply, POST /v2/bot/message/push (a
repeated X-Line-Retry-Key gets 409), POST /v2/bot/chat/loading/start, GET /v2/bot/message/quota,
GET /v2/bot/message/quota/consumption. Every call needs `Authorization: Bearer <token>`.
Control endpoints for tests and the simulator: GET /__recorded__ (what was received, `?to=` filters
pushes by recipient), POST /__reset__, POST /__config__ with {"reply_tokens_invalid": bool,
"invalid_reply_tokens": [..], "fail_next": {"path": .., "status": .., "count": ..}, "quota": int}.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

MAX_MESSAGES = 5
MAX_TEXT = 5000


# LINE's own words when the bearer token is wrong.
AUTH_FAILED = "Authentication failed. Confirm that the access token in the authorization header is valid."


class State:
    def __init__(self, token: str) -> None:
        self.token = token
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.requests: list[dict] = []
        self.used_reply_tokens: set[str] = set()
        self.invalid_reply_tokens: set[str] = set()
        self.reply_tokens_invalid = False
        self.retry_keys: dict[str, str] = {}
        self.fail_next: list[dict] = []
        self.quota = 200
        self.pushed = 0


def _validate_messages(body: dict) -> str | None:
    messages = body.get("messages")
    if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_MESSAGES:
        return f"messages: between 1 and {MAX_MESSAGES} required"
    for message in messages:
        if message.get("type") == "text" and not 1 <= len(message.get("text") or "") <= MAX_TEXT:
            return f"text: length must be between 1 and {MAX_TEXT}"
    return None


class Handler(BaseHTTPRequestHandler):
    server_version = "LineStandin/1.0"
    protocol_version = "HTTP/1.1"

    @property
    def state(self) -> State:
        return self.server.state  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        if os.environ.get("LINE_STANDIN_VERBOSE"):
            super().log_message(format, *args)

    def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-line-request-id", uuid.uuid4().hex)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return {"__invalid_json__": raw.decode("utf-8", "replace")}

    def _record(self, path: str, body: dict, status: int, response: dict) -> None:
        entry = {
            "time": time.time(),
            "method": self.command,
            "path": path,
            "retry_key": self.headers.get("X-Line-Retry-Key"),
            "body": body,
            "status": status,
            "response": response,
        }
        self.state.requests.append(entry)

    def _authorized(self) -> bool:
        return self.headers.get("Authorization", "") == f"Bearer {self.state.token}"

    def _forced_failure(self, path: str) -> int | None:
        for rule in self.state.fail_next:
            if rule.get("path") == path and rule.get("count", 1) > 0:
                rule["count"] = rule.get("count", 1) - 1
                return int(rule.get("status", 500))
        return None

    def do_GET(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        if url.path == "/__recorded__":
            to = parse_qs(url.query).get("to", [None])[0]
            with self.state.lock:
                found = [r for r in self.state.requests if to is None or r["body"].get("to") == to]
            self._send(200, {"requests": found})
            return
        if not self._authorized():
            self._send(401, {"message": AUTH_FAILED})
            return
        with self.state.lock:
            if url.path == "/v2/bot/message/quota":
                response = {"type": "limited", "value": self.state.quota}
            elif url.path == "/v2/bot/message/quota/consumption":
                response = {"totalUsage": self.state.pushed}
            else:
                self._send(404, {"message": "Not found"})
                return
            self._record(url.path, {}, 200, response)
        self._send(200, response)

    def do_POST(self) -> None:  # noqa: N802
        path = urlparse(self.path).path
        body = self._body()
        if path == "/__reset__":
            with self.state.lock:
                self.state.reset()
            self._send(200, {"ok": True})
            return
        if path == "/__config__":
            self._configure(body)
            return
        if not self._authorized():
            self._send(401, {"message": AUTH_FAILED})
            return
        with self.state.lock:
            status, response, headers = self._handle(path, body)
            self._record(path, body, status, response)
        self._send(status, response, headers)

    def _configure(self, body: dict) -> None:
        with self.state.lock:
            if "reply_tokens_invalid" in body:
                self.state.reply_tokens_invalid = bool(body["reply_tokens_invalid"])
            self.state.invalid_reply_tokens.update(body.get("invalid_reply_tokens", []))
            if body.get("fail_next"):
                self.state.fail_next.append(dict(body["fail_next"]))
            if "quota" in body:
                self.state.quota = int(body["quota"])
        self._send(200, {"ok": True})

    def _handle(self, path: str, body: dict) -> tuple[int, dict, dict]:
        forced = self._forced_failure(path)
        if forced is not None:
            return forced, {"message": f"forced failure {forced}"}, {}
        if path == "/v2/bot/message/reply":
            return self._reply(body)
        if path == "/v2/bot/message/push":
            return self._push(body)
        if path == "/v2/bot/chat/loading/start":
            if not str(body.get("chatId", "")).startswith("U"):
                return 400, {"message": "The property, 'chatId', in the request body is invalid"}, {}
            return 202, {}, {}
        return 404, {"message": "Not found"}, {}

    def _sent(self, body: dict) -> dict:
        return {
            "sentMessages": [
                {"id": uuid.uuid4().hex[:18], "quoteToken": uuid.uuid4().hex} for _ in body["messages"]
            ]
        }

    def _reply(self, body: dict) -> tuple[int, dict, dict]:
        error = _validate_messages(body)
        if error:
            return 400, {"message": "The request body has 1 error(s)", "details": [{"message": error}]}, {}
        token = str(body.get("replyToken") or "")
        state = self.state
        if (
            not token
            or state.reply_tokens_invalid
            or token in state.used_reply_tokens
            or token in state.invalid_reply_tokens
        ):
            return 400, {"message": "Invalid reply token"}, {}
        state.used_reply_tokens.add(token)
        return 200, self._sent(body), {}

    def _push(self, body: dict) -> tuple[int, dict, dict]:
        error = _validate_messages(body) or (None if body.get("to") else "to: must be specified")
        if error:
            return 400, {"message": "The request body has 1 error(s)", "details": [{"message": error}]}, {}
        key = self.headers.get("X-Line-Retry-Key")
        if key and key in self.state.retry_keys:
            accepted = self.state.retry_keys[key]
            return (
                409,
                {"message": "The retry key is already accepted", "sentMessages": []},
                {"x-line-accepted-request-id": accepted},
            )
        if key:
            self.state.retry_keys[key] = uuid.uuid4().hex
        self.state.pushed += len(body["messages"])
        return 200, self._sent(body), {}


class StandinServer:
    """The stand-in running in a background thread (tests) or in the foreground (command line)."""

    def __init__(self, port: int = 0, token: str = "demo-access-token", host: str = "127.0.0.1") -> None:
        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.httpd.state = State(token)  # type: ignore[attr-defined]
        self.thread: threading.Thread | None = None

    @property
    def state(self) -> State:
        return self.httpd.state  # type: ignore[attr-defined]

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StandinServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="line-standin", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def recorded(self, path: str | None = None) -> list[dict]:
        with self.state.lock:
            return [dict(r) for r in self.state.requests if path is None or r["path"] == path]

    def reset(self) -> None:
        with self.state.lock:
            self.state.reset()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="LINE Messaging API stand-in for local use and tests")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--token", default=os.environ.get("LINE_CHANNEL_ACCESS_TOKEN") or "demo-access-token")
    args = parser.parse_args(argv)
    server = StandinServer(args.port, args.token, args.host)
    print(f"LINE API stand-in on {server.url} (token {args.token[:4]}…)", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


if __name__ == "__main__":
    main()
