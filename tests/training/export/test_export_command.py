"""`manage.py export_model`: the formats, and one-line errors for what cannot be exported."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import make_version

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # most use the trained adapter


def _export(*args: object) -> str:
    out = StringIO()
    call_command("export_model", *[str(a) for a in args], stdout=out, stderr=StringIO())
    return out.getvalue()


def test_a_bad_version_id_is_a_one_line_error():
    with pytest.raises(CommandError) as caught:
        _export("--version", 999, "--format", "adapter")
    assert str(caught.value).startswith("no model version 999") and "\n" not in str(caught.value)


def test_a_version_whose_adapter_is_gone_is_a_one_line_error(tmp_path):
    version = make_version(adapter_dir=str(tmp_path / "gone"))
    with pytest.raises(CommandError) as caught:
        _export("--version", version.pk, "--format", "merged")
    assert "has no adapter on disk" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.slow
def test_a_missing_base_model_is_a_one_line_error(trained_adapter, tmp_path):
    version = make_version(base_model=str(tmp_path / "no-such-model"), adapter_dir=str(trained_adapter))
    with pytest.raises(CommandError) as caught:
        _export("--version", version.pk, "--format", "merged", "--out", tmp_path / "out")
    message = str(caught.value)
    assert "base model" in message and "no-such-model" in message and "\n" not in message


@pytest.mark.slow
@pytest.mark.usefixtures("one_torch_thread")
def test_merged_export_writes_a_loadable_model_and_prints_its_drift(
    demo_model_dir, trained_adapter, tmp_path
):
    version = make_version(base_model=str(demo_model_dir), adapter_dir=str(trained_adapter))
    printed = _export("--version", version.pk, "--format", "merged", "--out", tmp_path / "m", "--json")
    notes = json.loads(printed.strip().splitlines()[-1])
    assert notes["format"] == "merged" and notes["version_id"] == version.pk
    assert "drift vs_unquantised_base_plus_adapter: greedy equal" in printed
    assert (tmp_path / "m" / "model.safetensors").is_file() and (tmp_path / "m" / "tokenizer.json").is_file()


def test_adapter_export_copies_the_adapter_and_refuses_a_folder_in_use(trained_adapter, tmp_path):
    version = make_version(adapter_dir=str(trained_adapter))
    _export("--version", version.pk, "--format", "adapter", "--out", tmp_path / "a")
    assert (tmp_path / "a" / "adapter_model.safetensors").is_file()
    assert json.loads((tmp_path / "a" / "marisa_export.json").read_text("utf-8"))["format"] == "adapter"
    with pytest.raises(CommandError, match="is not empty"):
        _export("--version", version.pk, "--format", "adapter", "--out", tmp_path / "a")


def test_gguf_without_a_converter_and_offline_is_a_one_line_error(tmp_path, monkeypatch):
    from training.core.export import ExportError
    from training.core.export_gguf import converter_dir

    empty = tmp_path / "wheels"
    empty.mkdir()
    # Offline as far as pip knows: no index, an empty folder of links.
    for name, value in {
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(empty),
        "PIP_CONFIG_FILE": "/dev/null",
    }.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ExportError) as caught:
        converter_dir(None, tmp_path / "cache")
    message = str(caught.value)
    assert "could not download llama-cpp-python" in message and "MARISA_LLAMA_CPP_DIR" in message
    assert "\n" not in message and not list((tmp_path / "cache").glob("llama.cpp-*"))


def test_a_llama_cpp_dir_without_the_converter_is_a_one_line_error(trained_adapter, tmp_path, settings):
    settings.MARISA_LLAMA_CPP_DIR = str(tmp_path)
    version = make_version(base_model=str(tmp_path), adapter_dir=str(trained_adapter))
    (tmp_path / "config.json").write_text("{}")  # a base model folder that is there
    with pytest.raises(CommandError) as caught:
        _export("--version", version.pk, "--format", "gguf", "--out", tmp_path / "g")
    assert "has no convert_hf_to_gguf.py" in str(caught.value) and "\n" not in str(caught.value)
