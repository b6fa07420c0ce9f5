"""Every unreadable or refused input: a one-line reason, and no rows left behind."""

import json

import pytest
from django.test import override_settings

from annotation.corpus.importing import DuplicateImport, ImportFailed, import_path
from annotation.corpus.models import Conversation, Line, Source

pytestmark = pytest.mark.django_db

SCRIPT = "魔理沙「よう、霊夢」\n霊夢「何よ、また来たの」\n"


def _nothing_saved() -> None:
    assert (Source.objects.count(), Conversation.objects.count(), Line.objects.count()) == (0, 0, 0)


def _refused(path, *fragments, **kwargs) -> str:
    with pytest.raises(ImportFailed) as info:
        import_path(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message
    return message


def test_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    _refused(path, "empty")
    _nothing_saved()


def test_binary_file(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    _refused(path, "PNG", "not a text file")
    other = tmp_path / "blob.bin"
    other.write_bytes(b"abc\x00\x01\x02" * 100)
    _refused(other, "binary")
    _nothing_saved()


@pytest.mark.parametrize("encoding", ["utf-8", "cp932", "euc_jp"])
def test_truncated_multibyte_character(tmp_path, encoding):
    path = tmp_path / "cut.txt"
    path.write_bytes((SCRIPT + "魔理沙「だぜ").encode(encoding)[:-1])
    _refused(path, "truncated")
    _nothing_saved()


def test_bad_bytes_in_the_middle_roll_back_what_was_already_stored(tmp_path):
    # The bad byte lies beyond the first read chunk (1 MB): several batches are stored before it is met.
    good = "".join(f"魔理沙「{i}回目だぜ」\n霊夢「はいはい」\n\n" for i in range(25000)).encode("utf-8")
    path = tmp_path / "mixed.txt"
    path.write_bytes(good + "霊夢「壊れた」\n".encode("cp932") + good[:1000])
    _refused(path, "UTF-8", "byte")
    _nothing_saved()


def test_too_large_file_names_the_limit(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text(SCRIPT * 20, encoding="utf-8")
    with override_settings(MARISA_IMPORT_MAX_BYTES=100):
        _refused(path, "over the import limit", "100 bytes")
    _nothing_saved()


def test_same_file_twice_is_refused_naming_the_earlier_import(tmp_path):
    path = tmp_path / "scene.txt"
    path.write_text(SCRIPT, encoding="utf-8")
    first = import_path(path, title="最初の取り込み")
    copy = tmp_path / "renamed copy.txt"
    copy.write_bytes(path.read_bytes())
    with pytest.raises(DuplicateImport) as info:
        import_path(copy)
    assert "最初の取り込み" in str(info.value)
    assert first.source.imported_at.astimezone().strftime("%Y-%m-%d") in str(info.value)
    assert (Source.objects.count(), Line.objects.count()) == (1, 2)


def test_bad_jsonl_row_names_its_line(tmp_path):
    rows = [{"speaker": "魔理沙", "text": "よう"}, {"speaker": "霊夢", "text": "何よ"}]
    path = tmp_path / "lines.jsonl"
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + '\n{"speaker": "x", "text": \n', "utf-8"
    )
    _refused(path, "line 3", "JSON")
    missing = tmp_path / "missing.jsonl"
    missing.write_text('{"speaker": "魔理沙", "text": "よう"}\n{"speaker": "霊夢"}\n', "utf-8")
    _refused(missing, "line 2", "text")
    _nothing_saved()


def test_bad_csv_row_names_its_line(tmp_path):
    path = tmp_path / "lines.csv"
    path.write_text("speaker,text\n魔理沙,よう\n霊夢\n", "utf-8")
    _refused(path, "line 3")
    header = tmp_path / "header.csv"
    header.write_text("who,what\na,b\n", "utf-8")
    _refused(header, "header", fmt="csv")
    _nothing_saved()


def test_file_without_dialogue(tmp_path):
    path = tmp_path / "prose.txt"
    path.write_text("　ただの地の文。会話はない。\n", "utf-8")
    _refused(path, "no dialogue")
    _nothing_saved()
