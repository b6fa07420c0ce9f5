"""Exports of a model version that run elsewhere: the adapter as is, or a merged model (base + adapter).

The merged model is the base loaded unquantised (fp16, bf16 or fp32), the adapter merged in with peft's
`merge_and_unload`, saved with `save_pretrained` beside the adapter's tokenizer and a generation_config.json
that carries the seed's sampling and stops at the line separator. Every export measures how far the merged
model drifts from base + adapter (greedy tokens, largest logit difference) and writes it in its notes.
GGUF is in export_gguf.py. Plain Python (no Django); torch, transformers and peft are imported inside the
functions.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.core.sampling import SamplingSettings
from training.core.textformat import CharacterSpec, chat_prompt
from training.core.zipstream import ZipSink

NOTES_FILE = "marisa_export.json"
README_FILE = "EXPORT.md"
# resolve_base_model reads the separator of a local model directory from this file.
SEPARATOR_FILE = "marisa.json"
DTYPES = ("fp16", "bf16", "fp32")
# Asked when a version has no held-out prompts to measure the drift on.
DRIFT_QUESTIONS = ("よう、元気か？", "今日は何をするんだ？", "魔法を見せてくれよ", "神社でお茶でもどうだ？")

Progress = Callable[[str], None]


class ExportError(ValueError):
    """An export that cannot be made; the message is one line that names the fix."""


@dataclass
class ExportSpec:
    """What an export needs of a model version."""

    name: str
    base_model: str
    adapter_dir: str
    line_separator: str
    character: CharacterSpec
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    dtype: str = "fp16"
    prompts: list[str] = field(default_factory=list)
    version_id: int | None = None

    def drift_prompts(self) -> list[str]:
        if self.prompts:
            return list(self.prompts)
        return [chat_prompt([], q, self.character, self.line_separator) for q in DRIFT_QUESTIONS]


def check_adapter(spec: ExportSpec) -> Path:
    path = Path(spec.adapter_dir) if spec.adapter_dir else None
    if path is None or not (path / "adapter_config.json").is_file():
        raise ExportError(
            f"{spec.name} has no adapter on disk ({spec.adapter_dir or 'none recorded'}): "
            "train the version again or restore its adapter directory"
        )
    return path


def check_base_model(name_or_path: str) -> None:
    """A local base model must be there; a hub id is tried when it is loaded."""
    local = name_or_path.startswith(("/", "./", "../", "~")) or Path(name_or_path).exists()
    if local and not (Path(name_or_path).expanduser() / "config.json").is_file():
        raise ExportError(
            f"the base model {name_or_path} is missing (no config.json there): restore it or set "
            "MARISA_BASE_MODEL to where it now is"
        )


def prompt_format(spec: ExportSpec) -> dict[str, Any]:
    """How the exported model is prompted, in words and as one example."""
    c = spec.character
    return {
        "line_separator": spec.line_separator,
        "line": f"{{speaker}}: {{utterance}}{spec.line_separator}",
        "user_name": c.user_name,
        "character_name": c.prompt_name,
        "example_prompt": chat_prompt([], "よう", c, spec.line_separator),
        "stop": [spec.line_separator],
    }


def base_notes(spec: ExportSpec, fmt: str) -> dict[str, Any]:
    return {
        "format": fmt,
        "version": spec.name,
        "version_id": spec.version_id,
        "base_model": spec.base_model,
        "prompt": prompt_format(spec),
        "sampling": spec.sampling.to_dict(),
    }


def write_notes(out: Path, notes: dict[str, Any], readme: str) -> None:
    (out / NOTES_FILE).write_text(json.dumps(notes, ensure_ascii=False, indent=2) + "\n", "utf-8")
    (out / README_FILE).write_text(readme, "utf-8")


def readme_head(spec: ExportSpec, what: str) -> str:
    p = prompt_format(spec)
    return (
        f"# {spec.name}: {what}\n\n"
        f"Base model: `{spec.base_model}`. Each line of text is `{{speaker}}: {{utterance}}` followed by the "
        f"line separator {spec.line_separator!r}; a reply is asked for with the user's line and then "
        f"`{spec.character.prompt_name}: `, and it ends at the separator:\n\n"
        f"```\n{p['example_prompt']}\n```\n\n"
        f"Sampling (the seed's): {json.dumps(spec.sampling.to_dict(), ensure_ascii=False)}.\n"
    )


# --- The adapter as is ------------------------------------------------------------------------


def adapter_readme(spec: ExportSpec) -> str:
    return readme_head(spec, "LoRA adapter") + (
        "\nLoad it on the same base model: `PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained"
        "(base), '.')`; the tokenizer here is the one the adapter was trained with.\n"
    )


def export_adapter(spec: ExportSpec, out: Path) -> Path:
    """The adapter directory copied to `out`, with the notes."""
    src = check_adapter(spec)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src, out, dirs_exist_ok=True)
    write_notes(out, base_notes(spec, "adapter"), adapter_readme(spec))
    return out


def stream_zip(src: Path, extra: dict[str, str] | None = None, prefix: str = "") -> Iterator[bytes]:
    """Every file under `src` (and the `extra` name -> text entries) as a zip, chunk by chunk: a 14 GB
    merged model streams in constant memory (zipfile writes data descriptors on an unseekable file)."""
    sink = ZipSink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:  # type: ignore[call-overload]
        for path in sorted(p for p in src.rglob("*") if p.is_file()):
            rel = path.relative_to(src).as_posix()
            if extra and rel in extra:
                continue
            with path.open("rb") as f, zf.open(prefix + rel, "w", force_zip64=True) as entry:
                while data := f.read(1 << 20):
                    entry.write(data)
                    yield sink.drain()
        for name, text in (extra or {}).items():
            zf.writestr(prefix + name, text)
    yield sink.drain()


def adapter_zip(spec: ExportSpec) -> Iterator[bytes]:
    notes = json.dumps(base_notes(spec, "adapter"), ensure_ascii=False, indent=2) + "\n"
    extra = {NOTES_FILE: notes, README_FILE: adapter_readme(spec)}
    return stream_zip(check_adapter(spec), extra, prefix=f"{slug(spec.name)}-adapter/")


def slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-") or "model"


# --- Merged -----------------------------------------------------------------------------------


def torch_dtype(name: str) -> Any:
    import torch

    if name not in DTYPES:
        raise ExportError(f"unknown dtype {name!r}: one of {', '.join(DTYPES)}")
    return {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}[name]


def load_unquantised(base_model: str, dtype: Any) -> Any:
    from transformers import AutoModelForCausalLM

    check_base_model(base_model)
    try:
        return AutoModelForCausalLM.from_pretrained(base_model, dtype=dtype)
    except OSError as exc:  # not found locally nor on the hub, or offline
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExportError(f"cannot load the base model {base_model}: {first}")


def merge(spec: ExportSpec, dtype: str | None = None) -> tuple[Any, Any]:
    """(merged model, tokenizer): the unquantised base with the adapter merged into its weights."""
    from peft import PeftModel
    from transformers import AutoTokenizer

    adapter = check_adapter(spec)
    model = load_unquantised(spec.base_model, torch_dtype(dtype or spec.dtype))
    model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(str(adapter))
    return model, tokenizer


def generation_settings(spec: ExportSpec, tokenizer: Any, stop_ids: Sequence[int]) -> dict[str, Any]:
    """generation_config.json's values: the seed's sampling, stop at the separator (as ids and as a string)."""
    s = spec.sampling
    values: dict[str, Any] = {
        "do_sample": s.do_sample,
        "temperature": s.temperature,
        "top_p": s.top_p,
        "top_k": s.top_k,
        "no_repeat_ngram_size": s.no_repeat_ngram_size,
        "repetition_penalty": s.repetition_penalty,
        "max_new_tokens": s.max_new_tokens,
        # Every token that holds the separator, as the app stops (training.core.generation), and EOS.
        "eos_token_id": list(stop_ids),
        # Needs `generate(..., tokenizer=tok)`; catches a separator split over several tokens.
        "stop_strings": [spec.line_separator],
        "bos_token_id": tokenizer.bos_token_id,
        "pad_token_id": tokenizer.pad_token_id
        if tokenizer.pad_token_id is not None
        else tokenizer.eos_token_id,
    }
    return values


def save_merged(spec: ExportSpec, model: Any, tokenizer: Any, out: Path) -> dict[str, Any]:
    from transformers import GenerationConfig

    from training.core.generation import Generator

    stop_ids = Generator(model, tokenizer, spec.line_separator).stop_ids
    settings = generation_settings(spec, tokenizer, stop_ids)
    model.generation_config = GenerationConfig(**settings)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    info = {"line_separator": spec.line_separator, "merged_from": spec.name, "base_model": spec.base_model}
    (out / SEPARATOR_FILE).write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return settings


def export_merged(spec: ExportSpec, out: Path, progress: Progress | None = None) -> dict[str, Any]:
    """Merge, save, measure the drift; returns the notes (also written to `out`)."""
    from training.core.export_drift import measure_drift, readme_drift

    step = progress or (lambda stage: None)
    step("merging the adapter into the unquantised base model")
    model, tokenizer = merge(spec)
    step("saving the merged model")
    settings = save_merged(spec, model, tokenizer, out)
    del model
    step("measuring the drift against base + adapter")
    drift = measure_drift(spec.base_model, spec.adapter_dir, out, spec.drift_prompts())
    notes = {**base_notes(spec, "merged"), "dtype": spec.dtype, "generation_config": settings, "drift": drift}
    readme = readme_head(spec, f"merged model ({spec.dtype})") + MERGED_USAGE + readme_drift(drift)
    write_notes(out, notes, readme)
    return notes


MERGED_USAGE = """
Load it with plain transformers; generation_config.json holds the sampling and the stop tokens:

```python
tok = AutoTokenizer.from_pretrained(".")
model = AutoModelForCausalLM.from_pretrained(".")
out = model.generate(**tok(prompt, return_tensors="pt"), tokenizer=tok)
```

`no_repeat_ngram_size` and `repetition_penalty` are HF's; other engines name or apply them differently.
"""
