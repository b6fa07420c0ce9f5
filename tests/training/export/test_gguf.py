"""GGUF through llama.cpp's own converter (fetched once with pip into the test cache), and the Modelfile."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.training.export.conftest import MARISA


@pytest.fixture(scope="session")
def converter() -> Path:
    from training.core.export_gguf import converter_dir

    return converter_dir(None, Path(settings.MARISA_TEST_CACHE_DIR))  # downloads the sdist the first time


@pytest.fixture
def gguf_reader(converter: Path, monkeypatch: pytest.MonkeyPatch):
    """The converter's own gguf-py (the PyPI gguf lacks what this converter writes), for this test only."""
    monkeypatch.syspath_prepend(str(converter / "gguf-py"))
    for name in [m for m in sys.modules if m == "gguf" or m.startswith("gguf.")]:
        monkeypatch.delitem(sys.modules, name)
    import gguf

    return gguf.GGUFReader


@pytest.mark.slow
@pytest.mark.usefixtures("one_torch_thread")
def test_gguf_reads_back_with_the_architecture_tensors_and_tokenizer_of_the_model(
    spec, converter, gguf_reader, tmp_path
):
    from safetensors import safe_open
    from transformers import AutoTokenizer

    from training.core.export_gguf import export_gguf

    notes = export_gguf(spec, tmp_path / "gguf", converter)

    reader = gguf_reader(str(tmp_path / "gguf" / notes["file"]))
    field = lambda key: reader.fields[key].contents()  # noqa: E731
    assert field("general.architecture") == "llama"
    with safe_open(str(Path(spec.base_model) / "model.safetensors"), "pt") as weights:
        assert len(reader.tensors) == len(list(weights.keys()))
    hf = AutoTokenizer.from_pretrained(spec.adapter_dir)
    tokens = field("tokenizer.ggml.tokens")
    # The same ids with the same text: what the model writes decodes the same in llama.cpp.
    assert tokens == hf.convert_ids_to_tokens(list(range(len(hf))))
    assert field("tokenizer.ggml.eos_token_id") == hf.eos_token_id


@pytest.mark.slow
@pytest.mark.usefixtures("one_torch_thread")
def test_gguf_notes_say_llama_cpp_tokenizes_the_byte_fallback_bpe_differently(
    spec, converter, gguf_reader, tmp_path
):
    from training.core.export_gguf import export_gguf

    notes = export_gguf(spec, tmp_path / "gguf", converter)
    reader = gguf_reader(str(tmp_path / "gguf" / notes["file"]))
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    # What the note promises: a SentencePiece-style vocabulary with no merges, a plain space and no "▁",
    # so llama.cpp's "▁" for each space falls back to its three UTF-8 bytes.
    assert reader.fields["tokenizer.ggml.model"].contents() == "llama"
    assert "tokenizer.ggml.merges" not in reader.fields
    assert " " in tokens and "▁" not in tokens
    assert {f"<0x{b:02X}>" for b in "▁".encode()} <= set(tokens)
    assert notes["tokenizer_differs_in_llama_cpp"] is True
    assert "llama.cpp splits text its own way" in (tmp_path / "gguf" / "EXPORT.md").read_text("utf-8")
    assert (tmp_path / "gguf" / "Modelfile").read_text("utf-8").count(f"FROM ./{notes['file']}") == 1


def _modelfile_values(text: str) -> dict[str, list[str]]:
    """Ollama's Modelfile reading (parser.ParseFile) for this file's commands: a value runs to the end of
    the line unless quoted with " or \"\"\", which may span lines; no escapes."""
    values: dict[str, list[str]] = {}
    rest = text
    while rest:
        line, _, rest = rest.partition("\n")
        if not line.strip() or line.startswith("#"):
            continue
        name, _, value = line.partition(" ")
        if name == "PARAMETER":
            key, _, value = value.partition(" ")
            name = key
        for quote in ('"""', '"'):
            if value.startswith(quote):
                while not (len(value) >= 2 * len(quote) and value.endswith(quote)):
                    more, _, rest = rest.partition("\n")
                    value += "\n" + more
                value = value[len(quote) : -len(quote)]
                break
        values.setdefault(name, []).append(value)
    return values


def _render(template: str, messages: list[tuple[str, str]]) -> str:
    """The template's two branches, filled in the way Go's text/template would for these messages."""
    head, _, prompt_branch = template.partition("{{ else }}")
    user = head.split('{{ if eq .Role "user" }}')[1].split("{{ else if")[0]
    her = head.split('{{ else if eq .Role "assistant" }}')[1].split("{{ end }}")[0]
    prompt_branch, _, tail = prompt_branch.partition("{{ end }}")
    if len(messages) == 1:
        return prompt_branch.replace("{{ .Prompt }}", messages[0][1]) + tail
    parts = [(user if role == "user" else her).replace("{{ .Content }}", text) for role, text in messages]
    return "".join(parts) + tail


@pytest.mark.parametrize("sep", ["\n", "<NL>"])
def test_modelfile_template_and_stop_follow_the_line_separator(spec, sep):
    from training.core.export_gguf import modelfile
    from training.core.textformat import Turn, chat_prompt

    spec.line_separator = sep
    values = _modelfile_values(modelfile(spec, "model-f16.gguf"))
    assert values["stop"] == [sep]
    assert values["temperature"] == ["0.1"] and values["top_k"] == ["20"]
    template = values["TEMPLATE"][0]
    assert _render(template, [("user", "よう")]) == chat_prompt([], "よう", MARISA, sep)
    chat = [("user", "よう"), ("assistant", "なんだぜ"), ("user", "元気か？")]
    history = [Turn("ユーザー", "よう"), Turn("魔理沙", "なんだぜ")]
    assert _render(template, chat) == chat_prompt(history, "元気か？", MARISA, sep)
