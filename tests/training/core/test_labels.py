"""Labels: only the character's utterances and the separator ending each are trained, whatever the tokenizer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.training.core import tokenizer_kit
from training.core.labels import IGNORE, build_examples, dry_run_report, encode_conversations, trained_spans
from training.core.textformat import CharacterSpec, Turn, chat_prompt, render

MARISA = CharacterSpec("魔理沙", frozenset({"霧雨魔理沙", "まりさ"}))
SEPARATORS = ["\n", "[SEP]", "<NL>"]
SPEAKERS = ["魔理沙", "霧雨魔理沙", "まりさ", "霊夢", "アリス", "ユーザー", "魔理沙の友達", "魔理沙：", ""]
# Japanese text with the traps: full-width spaces and brackets, colons, the character's name mid-line.
PIECES = list("あいうえおかきくけこだぜろ、。！？「」『』（）　：:ABCxyz019🍄𠮷ｱｲ ") + [
    "魔理沙",
    "魔理沙: ",
    "いいだろ",
    "霊夢",
    "　",
]
utterance = st.lists(st.sampled_from(PIECES), max_size=12).map("".join).map(lambda s: s.strip(" "))
turn = st.builds(Turn, st.sampled_from(SPEAKERS), utterance)
conversation = st.lists(turn, min_size=1, max_size=8)
PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def tokenizers(demo_model_dir: Path) -> dict[str, Any]:
    from transformers import AutoTokenizer

    return {
        "demo": AutoTokenizer.from_pretrained(demo_model_dir),
        "sentencepiece": tokenizer_kit.sentencepiece_style(),
        "byte_bpe": tokenizer_kit.byte_level_bpe(),
        "gpt2_bpe": tokenizer_kit.byte_level_bpe(use_regex=True),
    }


@pytest.fixture(scope="module")
def slow_sp(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return tokenizer_kit.slow_sentencepiece(tmp_path_factory.mktemp("sp"))


def decode(tokenizer: Any, ids: list[int]) -> str:
    if hasattr(tokenizer, "sp_model"):  # the slow backend's own decode leaves byte pieces undecoded
        return tokenizer.sp_model.decode(ids)
    return tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)


def trained_runs(example: dict, tokenizer: Any) -> list[str]:
    runs: list[list[int]] = []
    inside = False
    for tok, lab in zip(example["input_ids"], example["labels"], strict=True):
        if lab != IGNORE:
            assert lab == tok
            if not inside:
                runs.append([])
            runs[-1].append(tok)
        inside = lab != IGNORE
    return [decode(tokenizer, r) for r in runs]


def expected_runs(conv: list[Turn], sep: str) -> list[str]:
    return [t.text + sep for t in conv if MARISA.is_character(t.speaker)]


def check_only_utterances_trained(
    conv: list[Turn], tokenizer: Any, sep: str, method: str = "auto"
) -> list[dict]:
    examples, stats = build_examples([conv], tokenizer, MARISA, sep, max_length=4096, method=method)
    expected = expected_runs(conv, sep)
    if not expected:
        assert examples == [] and stats["dropped_windows"] == 1
        return examples
    assert len(examples) == 1
    assert trained_runs(examples[0], tokenizer) == expected
    assert stats["trained_tokens"] == sum(1 for x in examples[0]["labels"] if x != IGNORE)
    return examples


@pytest.mark.parametrize("name", ["demo", "sentencepiece", "byte_bpe", "gpt2_bpe"])
@pytest.mark.parametrize("sep", SEPARATORS)
def test_decoded_trained_tokens_are_exactly_the_characters_utterances(
    tokenizers: dict[str, Any], name: str, sep: str
) -> None:
    tokenizer = tokenizers[name]

    @PROPERTY
    @given(conversation)
    def run(conv: list[Turn]) -> None:
        check_only_utterances_trained(conv, tokenizer, sep)

    run()


@pytest.mark.parametrize("sep", ["\n", "[SEP]"])
def test_slow_sentencepiece_without_offsets_is_encoded_segment_by_segment(slow_sp: Any, sep: str) -> None:
    assert not slow_sp.is_fast

    @settings(max_examples=25, deadline=None)
    @given(conversation)
    def run(conv: list[Turn]) -> None:
        check_only_utterances_trained(conv, slow_sp, sep)
        assert {e.method for e in encode_conversations([conv], slow_sp, MARISA, sep)} == {"segments"}

    run()


@pytest.mark.parametrize("sep", ["\n", "[SEP]"])
def test_slow_segments_and_fast_offsets_agree_where_both_tokenize_alike(slow_sp: Any, sep: str) -> None:
    fast = tokenizer_kit.fast_twin(slow_sp)

    @settings(max_examples=25, deadline=None)
    @given(conversation)
    def run(conv: list[Turn]) -> None:
        text = render(conv, MARISA, sep).text
        if (
            slow_sp(text, add_special_tokens=False)["input_ids"]
            != fast(text, add_special_tokens=False)["input_ids"]
        ):
            return  # the two implementations tokenize this text differently: nothing to compare
        (encoded,) = encode_conversations([conv], fast, MARISA, sep)
        if encoded.method != "offsets":
            return
        by_segments, _ = build_examples([conv], slow_sp, MARISA, sep, 4096)
        by_offsets, _ = build_examples([conv], fast, MARISA, sep, 4096)
        assert by_segments == by_offsets

    run()


@pytest.mark.parametrize("name", ["demo", "sentencepiece", "byte_bpe", "gpt2_bpe"])
@pytest.mark.parametrize("sep", SEPARATORS)
def test_offsets_and_segment_encoding_agree_where_both_apply(
    tokenizers: dict[str, Any], name: str, sep: str
) -> None:
    tokenizer = tokenizers[name]

    @PROPERTY
    @given(conversation)
    def run(conv: list[Turn]) -> None:
        (encoded,) = encode_conversations([conv], tokenizer, MARISA, sep)
        if encoded.method != "offsets":
            return  # a span edge fell inside a token: only segment encoding applies
        by_offsets, _ = build_examples([conv], tokenizer, MARISA, sep, 4096, method="offsets")
        by_segments, _ = build_examples([conv], tokenizer, MARISA, sep, 4096, method="segments")
        assert by_offsets == by_segments

    run()


def test_demo_tokenizer_always_labels_from_offsets(tokenizers: dict[str, Any]) -> None:
    convs = [
        [Turn("ユーザー", "よう"), Turn("まりさ", "いいだろ　魔理沙: だぜ")],
        [Turn("霊夢", "魔理沙: 来たわね")],
    ]
    assert {e.method for e in encode_conversations(convs, tokenizers["demo"], MARISA, "\n")} == {"offsets"}


@pytest.mark.parametrize("name", ["demo", "sentencepiece", "byte_bpe", "gpt2_bpe"])
@pytest.mark.parametrize("sep", SEPARATORS)
def test_training_ids_equal_the_inference_prompt_followed_by_the_reply(
    tokenizers: dict[str, Any], name: str, sep: str
) -> None:
    """The prompt/utterance boundary is a token boundary in the same place at training and inference."""
    tokenizer = tokenizers[name]
    history = [Turn("ユーザー", "魔理沙: 元気？"), Turn("魔理沙", "いいだろ")]
    conv = [*history, Turn("ユーザー", "何してたの？"), Turn("魔理沙", "いいだろ、キノコ狩りだぜ")]
    # Keep only the last exchange trained: the history is context, as in the prompt at inference.
    (example,), _ = build_examples([conv[2:]], tokenizer, MARISA, sep, 4096)
    prompt_ids = tokenizer(chat_prompt([], "何してたの？", MARISA, sep))["input_ids"]
    first_trained = next(i for i, lab in enumerate(example["labels"]) if lab != IGNORE)
    assert example["input_ids"][:first_trained] == prompt_ids
    reply = decode(tokenizer, example["input_ids"][first_trained:])
    assert reply == "いいだろ、キノコ狩りだぜ" + sep


def test_the_straddling_cases_really_occur_in_the_test_tokenizers(tokenizers: dict[str, Any]) -> None:
    """Guard: the SentencePiece and BPE kits do blur the boundary, so the tests above exercise the rule."""
    text = "魔理沙: いいだろ"
    edge = text.index("い")
    for name in ("sentencepiece", "byte_bpe", "gpt2_bpe"):
        offsets = tokenizers[name](text, add_special_tokens=False, return_offsets_mapping=True)[
            "offset_mapping"
        ]
        assert any(s < edge < e for s, e in offsets), name
        (encoded,) = encode_conversations([[Turn("魔理沙", "いいだろ")]], tokenizers[name], MARISA, "\n")
        assert encoded.method == "segments"


def test_name_inside_another_speakers_line_never_starts_a_span(tokenizers: dict[str, Any]) -> None:
    conv = [
        Turn("霊夢", "魔理沙: 私のお茶を返しなさい\n魔理沙: 本当よ"),
        Turn("魔理沙の友達", "魔理沙: だって"),
    ]
    for tokenizer in tokenizers.values():
        examples, stats = build_examples([conv], tokenizer, MARISA, "\n", 4096)
        assert examples == [] and stats["dropped_windows"] == 1


def test_long_conversation_is_windowed_at_line_boundaries_with_each_utterance_trained_once(
    tokenizers: dict[str, Any],
) -> None:
    tokenizer = tokenizers["demo"]
    conv = []
    for i in range(30):
        conv.append(Turn("霊夢", f"{i}回目の質問よ、答えなさい"))
        conv.append(Turn("魔理沙", f"{i}回目の答えだぜ"))
    examples, stats = build_examples([conv], tokenizer, MARISA, "\n", max_length=48, overlap_lines=2)
    assert stats["examples"] == len(examples) > 3
    runs = [run for e in examples for run in trained_runs(e, tokenizer)]
    assert runs == [f"{i}回目の答えだぜ\n" for i in range(30)]
    for e in examples:
        assert len(e["input_ids"]) <= 48
        assert e["input_ids"][0] == tokenizer.bos_token_id
        text = decode(tokenizer, e["input_ids"][1:])
        assert text.startswith(("霊夢: ", "魔理沙: ")) and text.endswith("\n")
    # Overlap: each window after the first starts with lines the previous one ended with (as context).
    second = decode(tokenizer, examples[1]["input_ids"][1:])
    first = decode(tokenizer, examples[0]["input_ids"][1:])
    assert first.endswith(second.split("\n")[0] + "\n" + second.split("\n")[1] + "\n")


def test_windows_without_a_target_token_are_dropped_and_counted(tokenizers: dict[str, Any]) -> None:
    tokenizer = tokenizers["demo"]
    others = [Turn("霊夢", f"{i}番目の独り言") for i in range(12)]
    conv = [*others, Turn("魔理沙", "やっと出番だぜ")]
    examples, stats = build_examples(
        [conv, others[:2]], tokenizer, MARISA, "\n", max_length=40, overlap_lines=1
    )
    assert stats["dropped_windows"] >= 2
    assert [run for e in examples for run in trained_runs(e, tokenizer)] == ["やっと出番だぜ\n"]
    assert all(any(lab != IGNORE for lab in e["labels"]) for e in examples)


def test_a_line_longer_than_max_length_is_truncated_and_counted(tokenizers: dict[str, Any]) -> None:
    conv = [Turn("ユーザー", "よう"), Turn("魔理沙", "長い" * 200)]
    examples, stats = build_examples([conv], tokenizers["demo"], MARISA, "\n", max_length=32)
    assert stats["truncated_lines"] == 1
    assert all(len(e["input_ids"]) <= 32 for e in examples)


def test_dry_run_report_shows_the_trained_text(tokenizers: dict[str, Any]) -> None:
    tokenizer = tokenizers["demo"]
    convs = [
        [Turn("ユーザー", "元気？"), Turn("まりさ", "元気だぜ")],
        [Turn("霊夢", "どう？"), Turn("魔理沙", "普通だ")],
    ]
    examples, stats = build_examples(convs, tokenizer, MARISA, "\n", 128)
    report = dry_run_report(examples, tokenizer, n_samples=20)
    assert report["samples"] == ["元気だぜ\n", "普通だ\n"]
    assert report["examples"] == stats["examples"] == 2
    assert report["tokens"] == stats["tokens"] and report["trained_tokens"] == stats["trained_tokens"]


@pytest.mark.parametrize("name", ["demo", "sentencepiece", "byte_bpe", "gpt2_bpe"])
def test_trained_spans_mark_exactly_the_characters_utterances(tokenizers: dict[str, Any], name: str) -> None:
    conv = [Turn("霊夢", "魔理沙: って何よ"), Turn("霧雨魔理沙", "　いいだろ"), Turn("まりさ", "")]
    text = render(conv, MARISA, "\n").text
    spans = trained_spans(conv, tokenizers[name], MARISA, "\n")
    assert [text[s:e] for s, e in spans] == ["　いいだろ\n", "\n"]


@pytest.mark.parametrize("name", ["demo", "byte_bpe"])
def test_windows_fit_and_train_each_utterance_once_for_any_max_length(
    tokenizers: dict[str, Any], name: str
) -> None:
    tokenizer = tokenizers[name]

    @PROPERTY
    @given(st.lists(turn, min_size=1, max_size=14), st.integers(24, 120), st.integers(0, 3))
    def run(conv: list[Turn], max_length: int, overlap: int) -> None:
        examples, stats = build_examples([conv], tokenizer, MARISA, "\n", max_length, overlap_lines=overlap)
        assert all(len(e["input_ids"]) <= max_length for e in examples)
        assert all(any(lab != IGNORE for lab in e["labels"]) for e in examples)
        runs = [run for e in examples for run in trained_runs(e, tokenizer)]
        if stats["truncated_lines"] == 0:
            assert runs == expected_runs(conv, "\n")

    run()


@pytest.mark.parametrize("name", ["demo", "sentencepiece", "byte_bpe", "gpt2_bpe"])
def test_a_line_break_inside_an_utterance_is_trained_as_a_space_not_a_stop(
    tokenizers: dict[str, Any], name: str
) -> None:
    conv = [Turn("ユーザー", "元気？"), Turn("魔理沙", "元気だぜ\nお前は？")]
    for method in ("auto", "segments"):
        (example,), _ = build_examples([conv], tokenizers[name], MARISA, "\n", 4096, method=method)
        assert trained_runs(example, tokenizers[name]) == ["元気だぜ お前は？\n"]


@pytest.mark.parametrize("sep", SEPARATORS)
def test_demo_training_ids_equal_the_whole_inference_prompt_with_history(
    tokenizers: dict[str, Any], sep: str
) -> None:
    tokenizer = tokenizers["demo"]
    history = [Turn("ユーザー", "魔理沙: 元気？"), Turn("まりさ", "いいだろ"), Turn("霊夢", "　ちょっと")]
    conv = [*history, Turn("ユーザー", "何してたの？"), Turn("魔理沙", "キノコ狩りだぜ")]
    (example,), _ = build_examples([conv], tokenizer, MARISA, sep, 4096)
    prompt_ids = tokenizer(chat_prompt(history, "何してたの？", MARISA, sep))["input_ids"]
    assert example["input_ids"][: len(prompt_ids)] == prompt_ids
    assert example["labels"][len(prompt_ids) - 1] == IGNORE
    assert decode(tokenizer, example["input_ids"][len(prompt_ids) :]) == "キノコ狩りだぜ" + sep
    assert all(lab != IGNORE for lab in example["labels"][len(prompt_ids) :])


def test_empty_conversations_give_no_examples_and_no_error(tokenizers: dict[str, Any]) -> None:
    for tokenizer in tokenizers.values():
        examples, stats = build_examples([[], [Turn("霊夢", "")]], tokenizer, MARISA, "\n", 64)
        assert examples == [] and stats["conversations"] == 2 and stats["dropped_windows"] == 2
