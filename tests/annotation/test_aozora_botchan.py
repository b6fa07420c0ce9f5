"""坊っちゃん (Shift_JIS, CRLF, ruby, notes) imported for real from the shared corpora."""

import re
from collections import Counter

import pytest

from annotation.importing import import_path
from annotation.models import Line, Source

pytestmark = pytest.mark.django_db

# (start of the quote, the speaker the narration names)
KNOWN_ATTRIBUTIONS = [
    ("喜んでるどころじゃない", "野だ"),
    ("教頭の職を持ってるものが", "山嵐"),
    ("教頭は角屋へ泊って悪るい", "赤シャツ"),
    ("貴様等は奸物だから", "山嵐"),
    ("おれは逃げも隠れもせん", "山嵐"),
    ("しかし君注意しないと", "赤シャツ"),
    ("教頭は全く君に好意を", "野だ"),
    ("ええなかなか込み入って", "野だ"),
    ("あの松を見たまえ", "赤シャツ"),
    ("あなたは真っ直でよいご気性だ", "清"),
    ("どうせ険呑です", "おれ"),
    ("おれも逃げも隠れもしないぞ", "おれ"),
]


@pytest.fixture
def botchan(corpora):
    path = corpora / "aozora" / "botchan.txt"
    result = import_path(path)
    lines = list(
        Line.objects.filter(conversation__source=result.source).order_by("conversation__position", "position")
    )
    return path, result, lines


def _body_without_notes(raw: str) -> str:
    body = raw.split("-------------------------------------------------------")[2].split("底本：")[0]
    return re.sub(r"［＃[^］]*］", "", body)


def test_every_body_quote_becomes_a_line(botchan):
    _, result, lines = botchan
    assert result.source.kind == "aozora"
    assert result.source.encoding == "cp932"
    assert result.source.title == "坊っちゃん"
    assert result.lines == len(lines) == 340
    assert "あなたは真っ直でよいご気性だ" in {line.text for line in lines}


def test_quotes_inside_notes_are_not_dialogue(botchan):
    path, _, lines = botchan
    raw = path.read_bytes().decode("cp932")
    body = raw.split("-------------------------------------------------------")[2].split("底本：")[0]
    note_quotes = [q for note in re.findall(r"［＃[^］]*］", body) for q in re.findall(r"「([^」]*)」", note)]
    assert len(note_quotes) == 28
    texts = Counter(line.text for line in lines)
    stripped = _body_without_notes(raw)
    for quote in set(note_quotes):
        # Only as often as the words are really spoken in the text (「うん」 is both a note and a reply).
        assert texts[quote] == stripped.count(f"「{quote}」"), quote


def test_no_ruby_note_or_gaiji_residue_in_any_line(botchan):
    _, _, lines = botchan
    leaks = [line.text for line in lines if re.search(r"[《》｜［］＃※]", line.text)]
    assert leaks == []
    assert all("\n" not in line.text and line.text == line.text.strip() for line in lines)


def test_known_attributions_name_the_right_speaker(botchan):
    _, _, lines = botchan
    for start, speaker in KNOWN_ATTRIBUTIONS:
        found = [line for line in lines if line.text.startswith(start)]
        assert len(found) == 1, start
        assert found[0].speaker == speaker, (start, found[0].speaker, found[0].context)
        assert found[0].speaker_by == Line.SpeakerBy.NARRATION


def test_to_attributions_mostly_get_a_speaker_and_the_rest_stay_unknown(botchan):
    _, result, lines = botchan
    after_to = [line for line in lines if line.context.split("「…」", 1)[1].startswith("と")]
    assert len(after_to) == 66
    named = [line for line in after_to if line.speaker]
    assert len(named) >= 25
    unknown = [line for line in lines if not line.speaker]
    assert all(line.speaker_by == Line.SpeakerBy.UNKNOWN for line in unknown)
    assert result.unknown_speaker_lines == len(unknown)
    # Narration names people, never bits of grammar.
    assert not set(result.speakers) & {"事", "声", "顔", "今度", "それ", "誰"}


def test_context_keeps_the_narration_around_the_quote(botchan):
    _, _, lines = botchan
    line = next(line for line in lines if line.text.startswith("貴様等は奸物だから"))
    assert "「…」と山嵐が云った" in line.context


def test_quotes_of_one_passage_form_one_conversation(botchan):
    _, result, lines = botchan
    assert 10 < result.conversations < 200
    by_conv = Counter(line.conversation_id for line in lines)
    assert max(by_conv.values()) > 5  # exchanges stay together
    assert Source.objects.get().conversation_count == result.conversations
