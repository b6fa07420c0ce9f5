"""Base model specs and the separator check: a separator the tokenizer cannot carry is refused with the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.training.core import tokenizer_kit
from training.core.base_models import SeparatorError, check_separator, resolve_base_model


def newline_dropping_tokenizer() -> Any:
    """Like a SentencePiece model that maps "\\n" away: whitespace is a split, never a token."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.decoder = decoders.WordPiece()
    tok.train_from_iterator(
        tokenizer_kit.TRAIN_TEXT, trainers.WordPieceTrainer(vocab_size=300, special_tokens=["[UNK]", "[SEP]"])
    )
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", sep_token="[SEP]")


def test_unset_base_model_means_the_demo_model_and_its_newline(demo_model_dir: Path) -> None:
    spec = resolve_base_model("", None, demo_dir=demo_model_dir)
    assert spec.name_or_path == str(demo_model_dir) and spec.is_demo
    assert spec.line_separator == "\n"
    assert spec.target_modules == "all-linear" and spec.max_seq_length == 512


def test_no_base_model_and_no_demo_dir_is_an_error() -> None:
    with pytest.raises(ValueError, match="MARISA_BASE_MODEL"):
        resolve_base_model(None)


def test_known_models_get_their_separator_and_settings_override_it() -> None:
    assert resolve_base_model("rinna/japanese-gpt-1b").line_separator == "[SEP]"
    assert resolve_base_model("rinna/japanese-gpt-neox-3.6b-instruction-sft-v2").line_separator == "<NL>"
    assert resolve_base_model("elyza/ELYZA-japanese-Llama-2-7b").line_separator == "\n"
    spec = resolve_base_model(
        "rinna/japanese-gpt-1b", "\\n", target_modules=["q_proj", "v_proj"], max_seq_length=1024
    )
    assert spec.line_separator == "\n"
    assert spec.target_modules == ["q_proj", "v_proj"] and spec.max_seq_length == 1024
    assert resolve_base_model("x/y", target_modules=["all-linear"]).target_modules == "all-linear"


def test_demo_separator_round_trips_to_one_stable_id(demo_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(demo_model_dir)
    ids = check_separator(tokenizer, "\n")
    assert len(ids) == 1 and tokenizer.decode(ids) == "\n"
    in_line = tokenizer("魔理沙: よう\nユーザー: ", add_special_tokens=False)["input_ids"]
    assert ids[0] in in_line


@pytest.mark.parametrize("sep", ["[SEP]", "<NL>"])
def test_token_separators_round_trip_through_test_tokenizers(sep: str) -> None:
    for tokenizer in (tokenizer_kit.sentencepiece_style(), tokenizer_kit.byte_level_bpe()):
        ids = check_separator(tokenizer, sep)
        assert tokenizer.decode(ids) == sep


def test_a_tokenizer_that_drops_newlines_is_refused_with_the_fix() -> None:
    tokenizer = newline_dropping_tokenizer()
    with pytest.raises(SeparatorError) as err:
        check_separator(tokenizer, "\n")
    message = str(err.value)
    assert "'\\n'" in message and "MARISA_LINE_SEPARATOR=[SEP]" in message and "special token" in message
    assert check_separator(tokenizer, "[SEP]") == [tokenizer.convert_tokens_to_ids("[SEP]")]


def test_a_separator_that_becomes_unknown_is_refused() -> None:
    tokenizer = newline_dropping_tokenizer()
    with pytest.raises(SeparatorError, match="unknown token|decodes back"):
        check_separator(tokenizer, "⁂")


def test_empty_separator_is_refused() -> None:
    with pytest.raises(SeparatorError, match="empty"):
        check_separator(tokenizer_kit.byte_level_bpe(), "")


def test_adding_the_separator_as_a_special_token_makes_it_pass() -> None:
    tokenizer = newline_dropping_tokenizer()
    with pytest.raises(SeparatorError):
        check_separator(tokenizer, "<NL>")
    tokenizer.add_special_tokens({"additional_special_tokens": ["<NL>"]})
    assert check_separator(tokenizer, "<NL>") == [tokenizer.convert_tokens_to_ids("<NL>")]
