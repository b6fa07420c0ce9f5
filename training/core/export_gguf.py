"""GGUF export through llama.cpp's own converter, with an Ollama Modelfile that follows the line separator.

The converter (`convert_hf_to_gguf.py`, its `conversion/` package and the `gguf-py` it is written against)
comes from the llama-cpp-python source distribution on PyPI, fetched once with pip into a cache directory,
or from a llama.cpp checkout the user names (MARISA_LLAMA_CPP_DIR). The PyPI `gguf` package is not used: its
0.19 lacks what the converter needs (`LazyChunkedTensor`). No Django; the converter runs as a subprocess.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from training.core.export import (
    ExportError,
    ExportSpec,
    Progress,
    base_notes,
    export_merged,
    readme_head,
    write_notes,
)

LLAMA_CPP_PYTHON = "llama-cpp-python"
LLAMA_CPP_PYTHON_VERSION = "0.3.36"  # the sdist the export is tested with
CONVERTER = "convert_hf_to_gguf.py"
# What the export needs of the 77 MB sdist: the converter, its package, the bundled gguf-py, the licence.
_KEEP = (CONVERTER, "convert_lora_to_gguf.py", "conversion/", "gguf-py/", "LICENSE")
_READY = ".marisa-converter-ready"


def converter_dir(llama_cpp_dir: str | Path | None, cache_dir: Path, download: bool = True) -> Path:
    """A directory with convert_hf_to_gguf.py and gguf-py: the user's llama.cpp, else the cache (fetched once)."""
    if llama_cpp_dir:
        path = Path(llama_cpp_dir).expanduser()
        if not (path / CONVERTER).is_file() or not (path / "gguf-py").is_dir():
            raise ExportError(
                f"MARISA_LLAMA_CPP_DIR={path} has no {CONVERTER} and gguf-py: point it at a llama.cpp checkout"
            )
        return path
    cached = cache_dir / f"llama.cpp-{LLAMA_CPP_PYTHON_VERSION}"
    if (cached / _READY).is_file():
        return cached
    if not download:
        raise ExportError(f"the GGUF converter is not in {cached}: run the export once with network access")
    return fetch_converter(cached)


def fetch_converter(dest: Path) -> Path:
    """pip download the llama-cpp-python sdist and keep only the converter's files in `dest`."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="llama-cpp-sdist-", dir=dest.parent) as tmp:
        cmd = [
            sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
            "--disable-pip-version-check", "-q", "-d", tmp, f"{LLAMA_CPP_PYTHON}=={LLAMA_CPP_PYTHON_VERSION}",
        ]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True)
        sdists = sorted(Path(tmp).glob("*.tar.gz"))
        if done.returncode != 0 or not sdists:
            reason = _last_line(done.stderr) or f"pip exited with {done.returncode}"
            raise ExportError(
                f"could not download {LLAMA_CPP_PYTHON} {LLAMA_CPP_PYTHON_VERSION} (llama.cpp's GGUF converter) "
                f"with pip: {reason}. Offline? Set MARISA_LLAMA_CPP_DIR to a llama.cpp checkout"
            )
        staging = Path(tmp) / "converter"
        _extract_converter(sdists[0], staging)
        (staging / _READY).write_text(sdists[0].name + "\n", "utf-8")
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)  # whole or not at all: a half-extracted cache is never used
    return dest


def _extract_converter(sdist: Path, out: Path) -> None:
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            parts = member.name.split("/vendor/llama.cpp/", 1)
            if len(parts) != 2 or not parts[1].startswith(_KEEP) or not (member.isfile() or member.isdir()):
                continue
            member.name = parts[1]
            tar.extract(member, out, filter="data")
    if not (out / CONVERTER).is_file():
        raise ExportError(f"{sdist.name} has no vendor/llama.cpp/{CONVERTER}: a different sdist layout")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def convert(converter: Path, model_dir: Path, outfile: Path, outtype: str = "f16") -> None:
    """convert_hf_to_gguf.py on a saved HF model; its own progress bar goes to this process's stderr."""
    cmd = [sys.executable, str(converter / CONVERTER), str(model_dir), "--outfile", str(outfile)]
    done = subprocess.run([*cmd, "--outtype", outtype], capture_output=True, text=True)
    if done.returncode != 0 or not outfile.is_file():
        raise ExportError(f"llama.cpp's converter failed: {_last_line(done.stderr) or done.returncode}")


def gguf_summary(converter: Path, path: Path) -> dict[str, Any]:
    """What the file says of itself, read with the converter's own gguf-py (in a subprocess, so the PyPI
    `gguf`, if installed, is not shadowed here)."""
    done = subprocess.run(
        [sys.executable, "-c", _SUMMARY, str(converter / "gguf-py"), str(path)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise ExportError(f"the GGUF file does not read back: {_last_line(done.stderr)}")
    return dict(json.loads(done.stdout))


_SUMMARY = """
import json, sys
sys.path.insert(0, sys.argv[1])
import gguf
r = gguf.GGUFReader(sys.argv[2])
f = lambda k: r.fields[k].contents() if k in r.fields else None
tokens = f("tokenizer.ggml.tokens") or []
print(json.dumps({"architecture": f("general.architecture"), "tensor_count": len(r.tensors),
    "tokenizer_model": f("tokenizer.ggml.model"), "vocab_size": len(tokens),
    "has_merges": "tokenizer.ggml.merges" in r.fields, "add_bos_token": f("tokenizer.ggml.add_bos_token"),
    "space_token": " " in tokens, "sentencepiece_space_token": "\\u2581" in tokens}))
"""


# --- The Ollama Modelfile ---------------------------------------------------------------------


def _quote(value: str) -> str:
    """A Modelfile value as Ollama writes one (parser.quote): quoted when it has a newline or outer spaces."""
    if "\n" in value or value.startswith(" ") or value.endswith(" "):
        return f'"""{value}"""' if '"' in value else f'"{value}"'
    return value


def ollama_template(spec: ExportSpec) -> str:
    """The chat turns as training wrote them: `ユーザー: …{sep}魔理沙: …{sep}`, then `魔理沙: `."""
    c, sep = spec.character, spec.line_separator
    user, her = f"{c.user_name}: ", f"{c.prompt_name}: "
    # No "{{-" trimming after a separator: it would eat a newline separator.
    return (
        "{{ if .Messages }}{{ range .Messages }}"
        f'{{{{ if eq .Role "user" }}}}{user}{{{{ .Content }}}}{sep}'
        f'{{{{ else if eq .Role "assistant" }}}}{her}{{{{ .Content }}}}{sep}'
        "{{ end }}{{ end }}"
        f"{{{{ else }}}}{user}{{{{ .Prompt }}}}{sep}{{{{ end }}}}{her}"
    )


def modelfile(spec: ExportSpec, gguf_name: str) -> str:
    s = spec.sampling
    params = [
        ("stop", spec.line_separator),
        ("temperature", str(s.temperature)),
        ("top_p", str(s.top_p)),
        ("top_k", str(s.top_k)),
        ("repeat_penalty", str(s.repetition_penalty)),
        ("num_predict", str(s.max_new_tokens)),
    ]
    lines = [
        f"# {spec.name}: made by manage.py export_model. `ollama create marisa -f Modelfile`, then "
        "`ollama run marisa`.",
        "# no_repeat_ngram_size has no Ollama parameter; repeat_penalty looks back repeat_last_n tokens only.",
        f"FROM ./{gguf_name}",
        f'TEMPLATE """{ollama_template(spec)}"""',
        *(f"PARAMETER {name} {_quote(value)}" for name, value in params),
    ]
    return "\n".join(lines) + "\n"


GGUF_TOKENIZER_NOTE = """
## Tokenization in llama.cpp differs from the model's own tokenizer

The converter stores a byte-fallback BPE (tokenizer.json with no tokenizer.model, like the demo model's) as
a SentencePiece-style vocabulary (`tokenizer.ggml.model` = `llama`, scores and no merges). The token ids and
their text are the same, so what the model writes decodes the same; but llama.cpp splits text its own way:
it writes spaces as `▁` and puts one before the text, and this vocabulary has a plain space and no `▁`, so
each space of a prompt (`魔理沙: ` ends with one) becomes three byte tokens the model never saw in training.
Expect weaker replies through llama.cpp or Ollama than through transformers for such a tokenizer; a base model
that ships a real SentencePiece `tokenizer.model`, or a byte-level BPE, converts faithfully.
"""


def export_gguf(
    spec: ExportSpec, out: Path, converter: Path, progress: Progress | None = None, outtype: str = "f16"
) -> dict[str, Any]:
    """Merged model -> GGUF (+ Modelfile, notes) in `out`; the merged model is made in a temporary folder."""
    from training.core.export_drift import readme_drift

    step = progress or (lambda stage: None)
    out.mkdir(parents=True, exist_ok=True)
    name = f"model-{outtype}.gguf"
    with tempfile.TemporaryDirectory(prefix="merged-", dir=out) as tmp:
        merged = export_merged(spec, Path(tmp), step)
        step("converting to GGUF with llama.cpp's converter")
        convert(converter, Path(tmp), out / name, outtype)
    summary = gguf_summary(converter, out / name)
    (out / "Modelfile").write_text(modelfile(spec, name), "utf-8")
    notes = {
        **base_notes(spec, "gguf"),
        "file": name,
        "outtype": outtype,
        "gguf": summary,
        "converter": f"{LLAMA_CPP_PYTHON} {LLAMA_CPP_PYTHON_VERSION} (vendor/llama.cpp/{CONVERTER})",
        "drift": merged["drift"],
        "tokenizer_differs_in_llama_cpp": summary["tokenizer_model"] == "llama"
        and not summary["sentencepiece_space_token"],
    }
    readme = readme_head(spec, f"GGUF ({outtype}) with an Ollama Modelfile") + (
        f"\n`ollama create marisa -f Modelfile` (the Modelfile points at `./{name}`), then `ollama run marisa`.\n"
    )
    if notes["tokenizer_differs_in_llama_cpp"]:
        readme += GGUF_TOKENIZER_NOTE
    write_notes(out, notes, readme + readme_drift(merged["drift"]))
    return notes
