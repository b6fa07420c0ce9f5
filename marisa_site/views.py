from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from line_bot.channel import status as line_channel_status
from marisa_site.broker import broker_reachable
from marisa_site.roles import reviewer_required


@reviewer_required
def home(request: HttpRequest) -> HttpResponse:
    from annotation.corpus.models import Line, Source
    from annotation.review.models import Candidate

    context = {
        "sources": Source.objects.count(),
        "lines": Line.objects.count(),
        "pending": Candidate.objects.filter(status=Candidate.Status.PENDING).count(),
    }
    return render(request, "home.html", context)


def database_reachable() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def engine_reachable() -> bool:
    """The inference engine answers /health (only asked when MARISA_INFERENCE_URL is set)."""
    from training.core.engine import EngineClient

    client = EngineClient(settings.MARISA_INFERENCE_URL, timeout=3.0)
    try:
        return client.health()
    finally:
        client.close()


def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": database_reachable(), "broker": broker_reachable()}
    if settings.MARISA_INFERENCE_URL:  # every reply comes from the engine: without it the bot only apologises
        checks["engine"] = engine_reachable()
    down = [name for name, ok in checks.items() if not ok]
    body = {"status": "ok" if not down else "unavailable", "checks": checks}
    # Informational: a site without a LINE channel is still up, but says why webhooks are refused.
    body["line"] = line_channel_status()
    if down:
        body["down"] = down
        body["message"] = "unreachable: " + ", ".join(down)
        if "engine" in down:
            body["message"] += f" (the inference engine at {settings.MARISA_INFERENCE_URL})"
    return JsonResponse(body, status=503 if down else 200)
