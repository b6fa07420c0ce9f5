"""The simulator's side of LINE: build webhook bodies as LINE would and post them, correctly signed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid


def sign(body: bytes, channel_secret: str) -> str:
    """X-Line-Signature: base64 of HMAC-SHA256 of the raw body with the channel secret."""
    return base64.b64encode(hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()).decode()


def simulated_ids(seed: str) -> tuple[str, str]:
    """A stable LINE-shaped user id and group id for one simulator user."""
    digest = hashlib.md5(f"marisa-simulator:{seed}".encode()).hexdigest()
    return "U" + digest, "C" + digest


def event(kind: str, user_id: str, text: str = "", group_id: str | None = None) -> dict:
    """One webhook event: kind is text, sticker, image, follow or unfollow."""
    source: dict = {"type": "user", "userId": user_id}
    if group_id:
        source = {"type": "group", "groupId": group_id, "userId": user_id}
    body: dict = {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": source,
        "webhookEventId": uuid.uuid4().hex.upper()[:26],
        "deliveryContext": {"isRedelivery": False},
    }
    if kind != "unfollow":
        body["replyToken"] = uuid.uuid4().hex
    if kind == "text":
        body["message"] = {
            "id": str(uuid.uuid4().int)[:18],
            "type": "text",
            "text": text,
            "quoteToken": uuid.uuid4().hex,
        }
    elif kind == "sticker":
        body["message"] = {
            "id": str(uuid.uuid4().int)[:18],
            "type": "sticker",
            "packageId": "446",
            "stickerId": "1988",
            "stickerResourceType": "STATIC",
            "quoteToken": uuid.uuid4().hex,
        }
    elif kind == "image":
        body["message"] = {
            "id": str(uuid.uuid4().int)[:18],
            "type": "image",
            "contentProvider": {"type": "line"},
            "quoteToken": uuid.uuid4().hex,
        }
    elif kind == "follow":
        body.update(type="follow", follow={"isUnblocked": False})
    elif kind == "unfollow":
        body["type"] = "unfollow"
    else:
        raise ValueError(f"unknown simulated event kind {kind!r}")
    return body


def webhook_body(events: list[dict], destination: str = "Usimulatorbot") -> bytes:
    return json.dumps({"destination": destination, "events": events}, ensure_ascii=False).encode()


def post_webhook(url: str, body: bytes, channel_secret: str, timeout: float = 10) -> tuple[int, str]:
    """POST a signed webhook like LINE does; returns (HTTP status, response text)."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Line-Signature": sign(body, channel_secret),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
