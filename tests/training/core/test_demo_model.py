"""The demo base model: built from the bundled corpus, loaded back like any hub model, speaks Japanese."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from training.core.demo_model import DEMO_SEPARATOR, MARKER, corpus_lines, ensure_demo_model, is_complete

pytestmark = pytest.mark.slow


def _is_japanese(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return any(word in name for word in ("HIRAGANA", "KATAKANA", "CJK"))


def test_demo_model_loads_with_from_pretrained_and_generates_japanese(demo_model_dir: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(demo_model_dir)
    model = AutoModelForCausalLM.from_pretrained(demo_model_dir)
    assert (demo_model_dir / "model.safetensors").is_file()
    assert tokenizer.bos_token and tokenizer.eos_token and tokenizer.pad_token
    prompt = tokenizer("ユーザー: 今日は何をしていたの？\n魔理沙: ", return_tensors="pt")
    torch.manual_seed(0)
    out = model.generate(**prompt, max_new_tokens=24, do_sample=True, temperature=0.7, top_p=0.9)
    reply = tokenizer.decode(out[0][prompt["input_ids"].shape[1] :], skip_special_tokens=True)
    japanese = [ch for ch in reply if _is_japanese(ch)]
    assert len(japanese) >= 5, reply


def test_demo_tokenizer_round_trips_any_japanese_text_and_the_separator(demo_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(demo_model_dir)
    text = "霧雨魔理沙: 𠮷野家の鰻丼、食べたい　ぜ！\nユーザー: 「〽」 ABC ｱｲｳ\n"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids) == text
    newline = tokenizer(DEMO_SEPARATOR, add_special_tokens=False)["input_ids"]
    assert len(newline) == 1 and tokenizer.decode(newline) == "\n"


def test_demo_tokenizer_splits_after_the_speaker_prefix(demo_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(demo_model_dir)
    prompt = "ユーザー: よう\n魔理沙: "
    for reply in ("いいだろ", "よう霊夢、今日もいい天気だぜ", "　……まあな"):
        whole = tokenizer(prompt + reply)["input_ids"]
        assert (
            whole == tokenizer(prompt)["input_ids"] + tokenizer(reply, add_special_tokens=False)["input_ids"]
        )


def test_build_is_skipped_when_complete_and_redone_when_incomplete(
    demo_model_dir: Path, tmp_path: Path
) -> None:
    corpus = Path(json.loads((demo_model_dir / MARKER).read_text(encoding="utf-8"))["corpus"])
    assert is_complete(demo_model_dir)
    before = (demo_model_dir / "model.safetensors").stat().st_mtime_ns
    assert ensure_demo_model(demo_model_dir, corpus) == demo_model_dir
    assert (demo_model_dir / "model.safetensors").stat().st_mtime_ns == before
    broken = tmp_path / "half-built"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    assert not is_complete(broken)


def test_corpus_parser_reads_script_lines_and_skips_directions(tmp_path: Path) -> None:
    corpus = tmp_path / "c.txt"
    corpus.write_text(
        "■ 第一話\n\n（魔理沙が来る）\n魔理沙「よう、霊夢」\n霊夢：　何よ\nアリス: ふうん\n", encoding="utf-8"
    )
    assert list(corpus_lines(corpus)) == [("魔理沙", "よう、霊夢"), ("霊夢", "何よ"), ("アリス", "ふうん")]


def test_build_demo_model_command_if_missing_reports_the_existing_build(demo_model_dir: Path) -> None:
    from io import StringIO

    from django.core.management import call_command

    out, err = StringIO(), StringIO()
    call_command(
        "build_demo_model", "--out", str(demo_model_dir), "--if-missing", "--json", stdout=out, stderr=err
    )
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["built"] is False and summary["path"] == str(demo_model_dir)
    assert summary["line_separator"] == "\n" and summary["lines"] > 100
    assert "already built" in err.getvalue()
