"""The export page of a model version: the adapter as a zip, and the merged / GGUF exports the command made.

The adapter zip streams from the adapter folder at once. Merging loads the whole base model unquantised
(minutes and the model's full size in memory for a 7B model), too long for a web request, so the page gives
the `manage.py export_model` command and offers what it has written under MARISA_DATA_DIR/exports/.
Exporters and staff only. No ML imports here.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from marisa_site.roles import export_page
from training.core.export import ExportError, adapter_zip, slug, stream_zip
from training.train.export import FORMATS, default_out, export_spec, finished_exports
from training.train.models import ModelVersion


@export_page(_("Downloading a model version"))
def version_export(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(ModelVersion, pk=pk)
    fmt = request.GET.get("download")
    if fmt is not None:
        return _download(version, fmt)
    spec = export_spec(version)
    try:
        from training.core.export import check_adapter

        check_adapter(spec)
        adapter_problem = ""
    except ExportError as exc:
        adapter_problem = str(exc)
    context = {
        "version": version,
        "adapter_problem": adapter_problem,
        "exports": finished_exports(version),
        "commands": {f: f"manage.py export_model --version {version.pk} --format {f}" for f in FORMATS[1:]},
    }
    return render(request, "training/version_export.html", context)


def _download(version: ModelVersion, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        return HttpResponse(
            f"unknown format {fmt!r}: one of {', '.join(FORMATS)}\n", status=400, content_type="text/plain"
        )
    name = f"{slug(version.name)}-{fmt}"
    if fmt == "adapter":
        try:
            chunks = adapter_zip(export_spec(version))
        except ExportError as exc:
            return HttpResponse(f"{exc}\n", status=404, content_type="text/plain")
    else:
        folder = default_out(version, fmt)
        if not (folder / "marisa_export.json").is_file():
            raise Http404(
                f"no {fmt} export of {version.name} yet: run manage.py export_model --version {version.pk} --format {fmt}"
            )
        chunks = stream_zip(folder, prefix=f"{name}/")
    response = StreamingHttpResponse(chunks, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    return response
