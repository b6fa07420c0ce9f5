"""Corpus pages: sources, a source's conversations, one conversation, and the upload page."""

from __future__ import annotations

import json
import os
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from annotation.corpus.formats import FORMATS
from annotation.corpus.importing import ImportFailed, ImportResult, import_path, iter_import
from annotation.corpus.models import Character, Conversation, Line, Source, line_separator
from marisa_site.roles import export_required, staff_page
from training.core.labels import trained_spans
from training.core.textformat import CharacterSpec, Turn
from training.core.textformat import render as render_training_text

CONVERSATIONS_PER_PAGE = 25
PREVIEW_LINES = 4


def _norm(name: str) -> str:
    # NFKC for matching only: まりさ / 魔理沙 / half-width variants all find the character.
    return unicodedata.normalize("NFKC", name).strip()


def character_names(character: Character) -> set[str]:
    return {_norm(name) for name in character.names() if name}


def trained_segments(lines: list[Line], spec: CharacterSpec, sep: str) -> list[tuple[str, bool]]:
    """The conversation as training text, cut into (text, trained?) pieces for the page.

    The spans are the ones every tokenizer is held to (training.core.labels.trained_spans without a
    tokenizer: her utterances and the separator ending each), so the page needs no model.
    """
    turns = [Turn(line.speaker, line.text) for line in lines]
    text = render_training_text(turns, spec, sep).text
    pieces: list[tuple[str, bool]] = []
    cursor = 0
    for start, end in trained_spans(turns, None, spec, sep):
        pieces += [(text[cursor:start], False), (text[start:end], True)]
        cursor = end
    pieces.append((text[cursor:], False))
    return [piece for piece in pieces if piece[0]]


def decorate(lines: list[Line], names: set[str]) -> list[Line]:
    """Mark each line for display: the character's lines and unknown speakers."""
    for line in lines:
        line.is_character = bool(line.speaker) and _norm(line.speaker) in names
        line.is_unknown = not line.speaker
    return lines


@export_required
def source_list(request: HttpRequest) -> HttpResponse:
    # Counts are stored on Source at import time: the list never scans the lines.
    sources = Source.objects.select_related("imported_by")
    return render(request, "annotation/source_list.html", {"sources": sources})


@export_required
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


@export_required
def conversation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    conv = get_object_or_404(
        Conversation.objects.select_related("source").prefetch_related(
            Prefetch("lines", queryset=Line.objects.order_by("position"))
        ),
        pk=pk,
    )
    character = Character.default()
    lines = decorate(list(conv.lines.all()), character_names(character))
    sep = line_separator()
    siblings = Conversation.objects.filter(source=conv.source)
    context = {
        "conversation": conv,
        "source": conv.source,
        "lines": lines,
        "character": character,
        "trained": trained_segments(lines, character.spec(), sep),
        "separator": sep,
        "previous": siblings.filter(position__lt=conv.position).order_by("-position").first(),
        "next": siblings.filter(position__gt=conv.position).order_by("position").first(),
        "page_number": conv.position // CONVERSATIONS_PER_PAGE + 1,
    }
    return render(request, "annotation/conversation.html", context)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _wants_stream(request: HttpRequest) -> bool:
    return "application/x-ndjson" in request.headers.get("Accept", "")


@contextmanager
def _upload_on_disk(upload: UploadedFile) -> Iterator[Path]:
    """The uploaded file as a path: a big upload is already a temp file, a small one is written out."""
    temporary = getattr(upload, "temporary_file_path", None)
    if temporary is not None:
        yield Path(temporary())
        return
    fd, name = tempfile.mkstemp(suffix=Path(upload.name or "").suffix, prefix="marisa-upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        yield Path(name)
    finally:
        os.unlink(name)


def _result_dict(result: ImportResult) -> dict:
    return {"ok": True, **result.as_dict(), "url": reverse("annotation:source", args=[result.source.pk])}


def _ndjson(item: dict) -> bytes:
    return (json.dumps(item, ensure_ascii=False) + "\n").encode()


def _stream_import(upload: UploadedFile, fmt: str, title: str, user) -> Iterator[bytes]:
    """NDJSON: {"progress", "total"} lines while the file is stored, then the result or the error.

    The import runs in this generator, so in the request's thread and transaction; a client that goes
    away closes the generator and the import rolls back."""
    with _upload_on_disk(upload) as path:
        yield _ndjson({"progress": 0, "total": upload.size})
        try:
            steps = iter_import(path, fmt=fmt, title=title, user=user, original_name=upload.name)
            while True:
                try:
                    done, total = next(steps)
                except StopIteration as finished:
                    result = finished.value
                    break
                yield _ndjson({"progress": done, "total": total})
        except ImportFailed as exc:
            yield _ndjson({"ok": False, "error": str(exc)})
            return
        yield _ndjson(_result_dict(result))


@staff_page(_("Importing a file"))
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    context = {"formats": ("auto", *FORMATS), "format": "auto", "title": ""}
    if request.method == "GET":
        return render(request, "annotation/upload.html", context)
    fmt = request.POST.get("format", "auto")
    title = request.POST.get("title", "").strip()
    context.update(format=fmt, title=title)
    upload_file = request.FILES.get("file")
    if upload_file is not None and _wants_stream(request):
        return StreamingHttpResponse(
            _stream_import(upload_file, fmt, title, request.user), content_type="application/x-ndjson"
        )
    try:
        if upload_file is None:
            raise ImportFailed("choose a file to import")
        with _upload_on_disk(upload_file) as path:
            result = import_path(
                path, fmt=fmt, title=title, user=request.user, original_name=upload_file.name
            )
    except ImportFailed as exc:
        if _wants_json(request) or _wants_stream(request):
            return JsonResponse({"ok": False, "error": str(exc)}, status=400)
        context["error"] = str(exc)
        return render(request, "annotation/upload.html", context, status=400)
    data = _result_dict(result)
    if _wants_json(request):
        return JsonResponse(data)
    return redirect(data["url"])
