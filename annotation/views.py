"""Corpus pages: sources, a source's conversations, one conversation, and the upload page."""

from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from .importers import FORMATS
from .importing import ImportFailed, import_path
from .models import Character, Conversation, Line, Source

CONVERSATIONS_PER_PAGE = 25
PREVIEW_LINES = 4


def _norm(name: str) -> str:
    # NFKC for matching only: まりさ / 魔理沙 / half-width variants all find the character.
    return unicodedata.normalize("NFKC", name).strip()


def character_names(character: Character) -> set[str]:
    return {_norm(name) for name in character.names() if name}


def decorate(lines: list[Line], names: set[str]) -> list[Line]:
    """Mark each line for display: the character's lines and unknown speakers."""
    for line in lines:
        line.is_character = bool(line.speaker) and _norm(line.speaker) in names
        line.is_unknown = not line.speaker
    return lines


@login_required
def source_list(request: HttpRequest) -> HttpResponse:
    # Counts are stored on Source at import time: the list never scans the lines.
    sources = Source.objects.select_related("imported_by")
    return render(request, "annotation/source_list.html", {"sources": sources})


@login_required
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_object_or_404(Source.objects.select_related("imported_by"), pk=pk)
    character = Character.default()
    names = character_names(character)
    lines = Line.objects.filter(conversation__source=source)
    speakers = list(lines.values("speaker").annotate(n=Count("id")).order_by("-n", "speaker")[:30])
    for row in speakers:
        row["is_character"] = bool(row["speaker"]) and _norm(row["speaker"]) in names
    page = Paginator(
        source.conversations.annotate(n_lines=Count("lines")).order_by("position"), CONVERSATIONS_PER_PAGE
    ).get_page(request.GET.get("page"))
    convs = list(page.object_list)
    previews = Line.objects.filter(conversation__in=convs, position__lt=PREVIEW_LINES).order_by("position")
    by_conv: dict[int, list[Line]] = {}
    for line in previews:
        by_conv.setdefault(line.conversation_id, []).append(line)
    for conv in convs:
        conv.preview = decorate(by_conv.get(conv.pk, []), names)
    context = {
        "source": source,
        "page": page,
        "conversations": convs,
        "speakers": speakers,
        "character": character,
        "character_lines": sum(row["n"] for row in speakers if row["is_character"]),
    }
    return render(request, "annotation/source_detail.html", context)


@login_required
def conversation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    conv = get_object_or_404(
        Conversation.objects.select_related("source").prefetch_related(
            Prefetch("lines", queryset=Line.objects.order_by("position"))
        ),
        pk=pk,
    )
    character = Character.default()
    lines = decorate(list(conv.lines.all()), character_names(character))
    siblings = Conversation.objects.filter(source=conv.source)
    context = {
        "conversation": conv,
        "source": conv.source,
        "lines": lines,
        "character": character,
        "previous": siblings.filter(position__lt=conv.position).order_by("-position").first(),
        "next": siblings.filter(position__gt=conv.position).order_by("position").first(),
        "page_number": conv.position // CONVERSATIONS_PER_PAGE + 1,
    }
    return render(request, "annotation/conversation.html", context)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _import_upload(upload: UploadedFile, fmt: str, title: str, user) -> dict:
    """Import an uploaded file from disk: a big upload is already a temp file, a small one is written out."""
    temporary = getattr(upload, "temporary_file_path", None)
    if temporary is not None:
        result = import_path(Path(temporary()), fmt=fmt, title=title, user=user, original_name=upload.name)
        return result.as_dict()
    with tempfile.NamedTemporaryFile(suffix=Path(upload.name or "").suffix) as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        result = import_path(Path(tmp.name), fmt=fmt, title=title, user=user, original_name=upload.name)
        return result.as_dict()


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    context = {"formats": ("auto", *FORMATS), "format": "auto", "title": ""}
    if request.method == "GET":
        return render(request, "annotation/upload.html", context)
    fmt = request.POST.get("format", "auto")
    title = request.POST.get("title", "").strip()
    context.update(format=fmt, title=title)
    upload_file = request.FILES.get("file")
    try:
        if upload_file is None:
            raise ImportFailed("choose a file to import")
        result = _import_upload(upload_file, fmt, title, request.user)
    except ImportFailed as exc:
        if _wants_json(request):
            return JsonResponse({"ok": False, "error": str(exc)}, status=400)
        context["error"] = str(exc)
        return render(request, "annotation/upload.html", context, status=400)
    result["url"] = reverse("annotation:source", args=[result["source_id"]])
    if _wants_json(request):
        return JsonResponse({"ok": True, **result})
    return redirect(result["url"])
