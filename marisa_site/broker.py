"""Reaching the Redis broker without importing Celery's machinery on the request path."""

import redis
from django.conf import settings


def broker_reachable(timeout: float = 1.0) -> bool:
    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=timeout, socket_timeout=timeout
        )
        return bool(client.ping())
    except (redis.RedisError, OSError, ValueError):
        return False
