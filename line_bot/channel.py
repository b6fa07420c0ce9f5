"""Which LINE channel the bot serves: its secret and access token, and the demo values' one use.

The demo secret and token are public (they are in this repository), so they serve only the local
LINE stand-in that `make up` starts: in debug, with LINE_API_BASE_URL on this machine (127.0.0.1,
localhost or ::1). Anywhere else an unset LINE_CHANNEL_SECRET means the channel is not configured:
every webhook is refused (503, with a log line saying why) and /healthz says so.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

DEMO_CHANNEL_SECRET = "demo-channel-secret"
DEMO_ACCESS_TOKEN = "demo-access-token"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def serves_local_standin() -> bool:
    """In debug, with the Messaging API on this machine: the stand-in, where the demo values may serve."""
    host = urlsplit(settings.LINE_API_BASE_URL or "").hostname or ""
    return bool(settings.DEBUG) and host in LOCAL_HOSTS


def channel_secret() -> str:
    """The secret webhooks are signed with; "" when the channel is not configured."""
    if settings.LINE_CHANNEL_SECRET:
        return settings.LINE_CHANNEL_SECRET
    return DEMO_CHANNEL_SECRET if serves_local_standin() else ""


def access_token() -> str:
    if settings.LINE_CHANNEL_ACCESS_TOKEN:
        return settings.LINE_CHANNEL_ACCESS_TOKEN
    return DEMO_ACCESS_TOKEN if serves_local_standin() else ""


NOT_CONFIGURED = (
    "LINE_CHANNEL_SECRET is not set: every webhook is refused (the demo secret serves only the local "
    "LINE stand-in, in debug with LINE_API_BASE_URL on 127.0.0.1)"
)


def status() -> dict:
    """For /healthz: whether webhooks can be accepted, and with which secret."""
    if settings.LINE_CHANNEL_SECRET:
        return {"configured": True, "secret": "LINE_CHANNEL_SECRET", "api": settings.LINE_API_BASE_URL}
    if serves_local_standin():
        return {"configured": True, "secret": "demo (local stand-in)", "api": settings.LINE_API_BASE_URL}
    return {"configured": False, "api": settings.LINE_API_BASE_URL, "message": NOT_CONFIGURED}
