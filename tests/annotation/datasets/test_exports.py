"""Exports read back by what consumes them: json, datasets.load_dataset, the seed text format."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from annotation.datasets.exports import ExportContext, chat_messages, export_bytes, render_text
from annotation.datasets.snapshots import create_snapshot, export_context
from annotation.review.models import Candidate
from tests.factories import make_candidate, make_question, seed_corpus, seed_reviewed_corpus

pytestmark = pytest.mark.django_db


def _snapshot_with_corrections():
    seed_reviewed_corpus()
    make_candidate(make_question("魔法は得意？"), "得意だぜ", status=Candidate.Status.ACCEPTED)
    return create_snapshot()


def _export(fmt: str, tmp_path: Path, *extra: str) -> Path:
    out = tmp_path / f"out.{fmt}"
    call_command("export_dataset", "--format", fmt, "--output", str(out), "--no-progress", *extra)
    return out


def test_jsonl_export_has_every_conversation_with_speakers_and_texts(tmp_path: Path) -> None:
    snap = _snapshot_with_corrections()
    rows = [json.loads(x) for x in _export("jsonl", tmp_path).read_text(encoding="utf-8").splitlines()]
    assert len(rows) == snap.conversation_count == 4
    assert rows[0]["lines"][0] == {"speaker": "霊夢", "text": "また来たの？"}
    assert rows[-1]["kind"] == "correction" and rows[-1]["lines"][-1]["text"] == "得意だぜ"


def test_text_export_is_the_seed_format_with_aliases_as_prompt_name(tmp_path: Path) -> None:
    _snapshot_with_corrections()
    text = _export("text", tmp_path).read_text(encoding="utf-8")
    blocks = text.split("\n\n")
    assert blocks[0] == "霊夢: また来たの？\n魔理沙: よう、霊夢。遊びに来たぜ\n魔理沙: お茶はまだか？"
    assert blocks[1] == "アリス: 何の用？\n魔理沙: 本を借りに来ただけだぜ"
    assert "ユーザー: 好きな食べ物は？\n魔理沙: きのこに決まってるだろ！\n" in text
    assert "まりさ" not in text and "霧雨魔理沙" not in text


def test_text_export_uses_a_token_separator(tmp_path: Path) -> None:
    _snapshot_with_corrections()
    text = _export("text", tmp_path, "--separator", "[SEP]").read_text(encoding="utf-8")
    assert text.startswith(
        "霊夢: また来たの？[SEP]魔理沙: よう、霊夢。遊びに来たぜ[SEP]魔理沙: お茶はまだか？[SEP]\n\n"
    )


def test_hf_export_loads_with_datasets(tmp_path: Path) -> None:
    import datasets

    snap = _snapshot_with_corrections()
    out = tmp_path / "hf"
    call_command("export_dataset", "--format", "hf", "--output", str(out), "--no-progress")
    card = (out / "README.md").read_text(encoding="utf-8")
    assert snap.sha256 in card and "data/train.jsonl" in card
    ds = datasets.load_dataset(
        "json", data_files=str(out / "data" / "train.jsonl"), split="train", cache_dir=str(tmp_path / "cache")
    )
    assert ds.num_rows == 4
    assert ds[0]["text"].startswith("霊夢: また来たの？\n魔理沙: ")
    assert ds[1]["lines"][1] == {"speaker": "魔理沙", "text": "本を借りに来ただけだぜ"}
    # The card's YAML header is read too: the directory alone loads, with its split.
    whole = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache2"))
    assert whole["train"].num_rows == 4 and whole["train"].column_names == [
        "id",
        "kind",
        "source",
        "text",
        "lines",
    ]


def test_hf_zip_stream_unpacks_and_loads(tmp_path: Path) -> None:
    import datasets

    snap = _snapshot_with_corrections()
    records, ctx, _ = export_context(snap)
    data = b"".join(export_bytes("hf", records, ctx))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == ["README.md", "data/train.jsonl"]
        zf.extractall(tmp_path / "unzipped")
    ds = datasets.load_dataset(
        "json",
        data_files=str(tmp_path / "unzipped/data/train.jsonl"),
        split="train",
        cache_dir=str(tmp_path / "cache"),
    )
    assert ds.num_rows == snap.conversation_count


def test_sft_chat_export_alternates_user_and_assistant(tmp_path: Path) -> None:
    _snapshot_with_corrections()
    rows = [
        json.loads(x)
        for x in _export("sft-chat", tmp_path, "--system").read_text(encoding="utf-8").splitlines()
    ]
    first = rows[0]["messages"]
    assert first[0]["role"] == "system" and "霧雨魔理沙" in first[0]["content"]
    assert first[1:] == [
        {"role": "user", "content": "霊夢: また来たの？"},
        {"role": "assistant", "content": "よう、霊夢。遊びに来たぜ\nお茶はまだか？"},
    ]
    assert rows[2]["messages"][-2:] == [
        {"role": "user", "content": "好きな食べ物は？"},
        {"role": "assistant", "content": "きのこに決まってるだろ！"},
    ]


def test_sft_chat_rule_drops_what_a_chat_template_cannot_use() -> None:
    ctx = ExportContext(names=frozenset({"魔理沙"}))
    lines = [
        {"speaker": "魔理沙", "text": "先に喋る"},
        {"speaker": "", "text": "誰か"},
        {"speaker": "魔理沙", "text": "返事"},
        {"speaker": "霊夢", "text": "最後"},
    ]
    assert chat_messages(lines, ctx) == [
        {"role": "user", "content": "？: 誰か"},
        {"role": "assistant", "content": "返事"},
    ]
    assert chat_messages([{"speaker": "霊夢", "text": "独り言"}], ctx) == []


def test_dpo_export_pairs_corrections_with_model_and_rejected_replies(tmp_path: Path) -> None:
    _snapshot_with_corrections()
    rows = [json.loads(x) for x in _export("dpo", tmp_path).read_text(encoding="utf-8").splitlines()]
    assert [(r["prompt"], r["chosen"], r["rejected"]) for r in rows] == [
        ("ユーザー: 好きな食べ物は？\n魔理沙: ", "きのこに決まってるだろ！", "きのこです。"),
        ("ユーザー: 好きな食べ物は？\n魔理沙: ", "きのこに決まってるだろ！", "わかりません"),
    ]  # accepted as is: no pair (chosen == the model's reply)


def test_export_without_snapshot_uses_current_data(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture
) -> None:
    seed_corpus()
    call_command("export_dataset", "--format", "text", "--no-progress")
    out = capsysbinary.readouterr().out.decode()
    assert out.startswith("霊夢: また来たの？\n")
    from annotation.datasets.models import DatasetSnapshot

    assert DatasetSnapshot.objects.count() == 0


def test_export_of_an_unknown_snapshot_fails_clearly(tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no snapshot with id 999"):
        call_command("export_dataset", "--format", "jsonl", "--snapshot", "999", "--no-progress")


def test_command_shows_progress_on_stderr_and_a_json_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    snap = _snapshot_with_corrections()
    out = tmp_path / "x.jsonl"
    call_command("export_dataset", "--format", "jsonl", "--output", str(out), "--json")
    captured = capsys.readouterr()
    assert "export jsonl" in captured.err and "line" in captured.err  # the tqdm bar
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert summary["snapshot"] == snap.pk and summary["lines"] == snap.line_count
    assert summary["bytes"] == out.stat().st_size


SPEAKER_POOL = [
    "魔理沙",
    "まりさ",
    "霧雨魔理沙",
    "霊夢",
    "",
    "ユーザー",
    "魔理沙 ",
    "ﾏﾘｻ",
    "Marisa",
    "魔理沙の声",
]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(SPEAKER_POOL) | st.text(max_size=6), st.text(max_size=30)),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["\n", "[SEP]", "<NL>"]),
)
def test_text_export_renders_exactly_as_training_does(turns: list[tuple[str, str]], sep: str) -> None:
    from training.core.textformat import Turn, render

    ctx = ExportContext(prompt_name="魔理沙", names=frozenset({"魔理沙", "まりさ", "霧雨魔理沙"}), sep=sep)
    lines = [{"speaker": sp, "text": text} for sp, text in turns]
    expected = render([Turn(sp or "？", text) for sp, text in turns], ctx.spec, sep).text
    assert render_text(lines, ctx) == expected


def test_dpo_export_gains_the_arena_votes_and_skips_ties_and_both_bad(tmp_path: Path) -> None:
    from annotation.review import arena_queue
    from annotation.review.arena_stats import export_counts
    from tests.factories import make_arena_matches, make_reviewer

    matches = make_arena_matches(5)
    alice = make_reviewer("alice")
    for match, outcome in zip(matches[:4], ["a", "b", "tie", "both_bad"], strict=True):
        arena_queue.vote(match.pk, alice, outcome)
    snapshot = _snapshot_with_corrections()
    arena_queue.vote(matches[4].pk, alice, "a")  # cast after the snapshot: not in its export
    rows = [json.loads(x) for x in _export("dpo", tmp_path).read_text(encoding="utf-8").splitlines()]
    arena = {r["id"]: r for r in rows if r["id"].startswith("arena-")}
    assert list(arena) == [f"arena-{matches[0].pk}", f"arena-{matches[1].pk}"]
    won_by_a, won_by_b = arena.values()
    assert won_by_a["prompt"] == "霊夢: また来たの？\nユーザー: アリーナ質問0\n魔理沙: "  # as generation asks
    assert (won_by_a["chosen"], won_by_a["rejected"]) == ("キノコ狩りだぜ0", "今日は寝ますわ0")
    assert (won_by_b["chosen"], won_by_b["rejected"]) == ("今日は寝ますわ1", "キノコ狩りだぜ1")
    assert len(rows) == 2 + 2  # the corrections' own pairs are still there
    assert export_counts(until=snapshot.created_at) == {"pairs": 2, "ties": 1, "both_bad": 1}
    records, ctx, _ = export_context(None)  # the current data: every vote so far
    current = b"".join(export_bytes("dpo", records, ctx)).decode()
    assert f"arena-{matches[4].pk}" in current and f"arena-{matches[2].pk}" not in current
