"""Dataset snapshots: content-hashed, immutable, deduplicated, with a diff against the previous one."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from annotation.datasets.models import DatasetSnapshot
from annotation.datasets.snapshots import create_snapshot, iter_conversations, verify_snapshot
from annotation.review.models import Candidate
from tests.factories import make_candidate, make_question, seed_corpus

pytestmark = pytest.mark.django_db


def test_snapshot_file_is_named_and_hashed_by_its_content() -> None:
    seed_corpus()
    snap = create_snapshot()
    path = Path(snap.path)
    assert path.name == f"{snap.sha256}.jsonl"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == snap.sha256
    assert verify_snapshot(snap)
    assert not list(path.parent.glob(".tmp-*"))  # the temp file was renamed, nothing left behind


def test_snapshot_counts_lines_target_lines_and_speakers() -> None:
    seed_corpus()
    snap = create_snapshot()
    assert (snap.conversation_count, snap.line_count, snap.target_line_count) == (2, 5, 3)
    assert snap.stats["speakers"] == {"魔理沙": 1, "霧雨魔理沙": 1, "まりさ": 1, "霊夢": 1, "アリス": 1}
    records = list(iter_conversations(snap))
    assert [r["kind"] for r in records] == ["corpus", "corpus"]
    assert records[0]["lines"][1] == {"speaker": "魔理沙", "text": "よう、霊夢。遊びに来たぜ"}


def test_same_data_gives_the_same_snapshot() -> None:
    seed_corpus()
    first = create_snapshot()
    second = create_snapshot()
    assert first.pk == second.pk
    assert DatasetSnapshot.objects.count() == 1


def test_accepted_correction_makes_a_new_snapshot_with_a_diff() -> None:
    seed_corpus()
    first = create_snapshot()
    q = make_question("好きな食べ物は？", context=[{"speaker": "ユーザー", "text": "こんにちは"}])
    make_candidate(q, "きのこです。", status=Candidate.Status.EDITED, final_text="きのこに決まってるだろ！")
    make_candidate(q, "わかりません", status=Candidate.Status.REJECTED)
    make_candidate(make_question("まだ決まってない"), "pending reply")  # undecided: not in the data
    second = create_snapshot()
    assert second.pk != first.pk and second.sha256 != first.sha256
    assert second.parent_id == first.pk
    assert second.correction_count == 1 and second.target_line_count == first.target_line_count + 1
    correction = [r for r in iter_conversations(second) if r["kind"] == "correction"][0]
    assert correction["lines"] == [
        {"speaker": "ユーザー", "text": "こんにちは"},
        {"speaker": "ユーザー", "text": "好きな食べ物は？"},
        {"speaker": "魔理沙", "text": "きのこに決まってるだろ！"},
    ]
    assert correction["model_text"] == "きのこです。" and correction["rejected"] == ["わかりません"]
    diff = second.stats["diff"]
    assert diff["against"] == first.pk
    assert diff["counts"]["added_correction"] == 1 and diff["counts"]["added_corpus"] == 0
    assert diff["counts"]["removed_corpus"] == 0 and diff["counts"]["lines_delta"] == 3
    assert "きのこに決まってるだろ！" in diff["samples"]["added_correction"][0]["summary"]


def test_earlier_snapshot_is_unchanged_by_later_data() -> None:
    seed_corpus()
    first = create_snapshot()
    before = Path(first.path).read_bytes()
    q = make_question("魔法は得意？")
    make_candidate(q, "得意だぜ", status=Candidate.Status.ACCEPTED)
    create_snapshot()
    first.refresh_from_db()
    assert Path(first.path).read_bytes() == before and verify_snapshot(first)
    assert all(r["kind"] == "corpus" for r in iter_conversations(first))


def test_tampered_file_fails_verification() -> None:
    seed_corpus()
    snap = create_snapshot()
    path = Path(snap.path)
    path.write_bytes(path.read_bytes().replace("ぜ".encode(), "よ".encode()))
    assert not verify_snapshot(snap)


def test_recreating_a_deleted_snapshot_gives_the_same_hash() -> None:
    seed_corpus()
    first = create_snapshot()
    sha, path = first.sha256, Path(first.path)
    first.delete()
    path.unlink()
    again = create_snapshot()
    assert again.sha256 == sha and Path(again.path).is_file() and verify_snapshot(again)


def test_rejected_reply_alone_changes_nothing_until_a_reply_is_accepted() -> None:
    seed_corpus()
    first = create_snapshot()
    q = make_question("元気？")
    make_candidate(q, "元気です", status=Candidate.Status.REJECTED)
    assert create_snapshot().pk == first.pk  # no accepted reply: no exchange, no preference pair


@pytest.mark.django_db
def test_a_snapshot_file_missing_on_this_machine_says_which_data_dir_to_share() -> None:
    from pathlib import Path

    from annotation.datasets.snapshots import iter_conversations
    from tests.factories import make_snapshot

    snapshot = make_snapshot()
    Path(snapshot.path).unlink()
    with pytest.raises(FileNotFoundError, match="MARISA_DATA_DIR must be the volume"):
        next(iter_conversations(snapshot))
