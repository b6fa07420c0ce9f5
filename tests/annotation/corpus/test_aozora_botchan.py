"""坊っちゃん (Shift_JIS, CRLF, ruby, notes) imported for real from the shared corpora."""

import re
from collections import Counter

import pytest

from annotation.corpus.importing import import_path
from annotation.corpus.models import Line, Source

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


# Hand-labelled from reading the novel: the start of each 「…」と… quote and who really says it (as the
# novel calls them). "" marks a quote several people say together: it must stay unknown.
GOLD_TO_ATTRIBUTIONS = [
    ("あなたは真っ直でよいご気性だ", "清"),
    ("行く事は行くがじき帰る", "おれ"),
    ("何を見やげに買って来てやろう", "おれ"),
    ("越後の笹飴が食べたい", "清"),
    ("おれの行く田舎には笹飴は", "おれ"),
    ("そんなら、どっちの見当です", "清"),
    ("西の方だよ", "おれ"),
    ("箱根のさきですか手前ですか", "清"),
    ("もうお別れになるかも知れません", "清"),
    ("おい君どこに宿ってるか", "山嵐"),
    ("あまり早くて分からんけれ", "生徒"),
    ("おい君は宿直じゃないか", "山嵐"),
    ("うん、宿直だ", "おれ"),
    ("宿直が無暗に出てあるくなんて", "山嵐"),
    ("ちっとも不都合なもんか", "おれ"),
    ("君のずぼらにも困るな", "山嵐"),
    ("校長にはたった今逢った", "おれ"),
    ("バッタた何ぞな", "生徒"),
    ("バッタを知らないのか", "おれ"),
    ("さっきのバッタを持ってこい", "おれ"),
    ("もう掃溜へ棄ててしまいましたが", "小使"),
    ("うんすぐ拾って来い", "おれ"),
    ("どうもお気の毒ですが、生憎夜で", "小使"),
    ("バッタたこれだ", "おれ"),
    ("そりゃ、イナゴぞな", "生徒"),
    ("篦棒め、イナゴもバッタも", "おれ"),
    ("なもしと菜飯とは違うぞな", "生徒"),
    ("そんなに云われなきゃ", "おれ"),
    ("それじゃ、まだ釣りの味は", "赤シャツ"),
    ("あの松を見たまえ", "赤シャツ"),
    ("全くターナーですね", "野だ"),
    ("君が来たんで生徒も大いに", "赤シャツ"),
    ("喜んでるどころじゃない", "野だ"),
    ("しかし君注意しないと", "赤シャツ"),
    ("どうせ険呑です", "おれ"),
    ("教頭は全く君に好意を", "野だ"),
    ("ええなかなか込み入って", "野だ"),
    ("無論悪るい事をしなければ", "赤シャツ"),
    ("実に今回のバッタ事件", "野だ"),
    ("私は徹頭徹尾反対です", "おれ"),
    ("……そんな頓珍漢な", "おれ"),
    ("一体生徒が全然悪るいです", "おれ"),
    ("生徒がわるい事も", "博物"),
    ("私は教頭及びその他諸君", "山嵐"),
    ("私は正に宿直中に温泉に", "おれ"),
    ("マドンナに逢うのも精神的娯楽", "おれ"),
    ("あなたの云う事はもっともですが、僕は増給", "おれ"),
    ("何遍でもやるさいいか", "おれ"),
    ("へえ？", "狸"),
    ("今九時十二分ばかりだ", "山嵐"),
    ("なに今夜はきっとくるよ", "山嵐"),
    ("教頭の職を持ってるものが", "山嵐"),
    ("教頭は角屋へ泊って悪るい", "赤シャツ"),
    ("べらんめえの坊っちゃんた何だ", "おれ"),
    ("いえ君の事を云ったんじゃない", "野だ"),
    ("だまれ", "山嵐"),
    ("無法でたくさんだ", "山嵐"),
    ("貴様のような奸物は", "山嵐"),
    ("もうたくさんだ", "赤シャツ"),
    ("貴様もたくさんか", "おれ"),
    ("無論たくさんだ", "野だ"),
    ("貴様等は奸物だから", "山嵐"),
    ("おれは逃げも隠れもせん", "山嵐"),
    ("おれも逃げも隠れもしないぞ", "おれ"),
    ("赤シャツも野だも訴えなかった", ""),  # と二人は大きに笑った: both of them
]


def _after_to(lines):
    return [line for line in lines if line.context.split("「…」", 1)[1].startswith("と")]


def test_to_attributions_mostly_get_a_speaker(botchan):
    _, result, lines = botchan
    after_to = _after_to(lines)
    assert len(after_to) == 66
    named = [line for line in after_to if line.speaker]
    assert len(named) / len(after_to) > 0.6
    assert all(line.speaker_by == Line.SpeakerBy.NARRATION for line in named)
    unknown = [line for line in lines if not line.speaker]
    assert all(line.speaker_by == Line.SpeakerBy.UNKNOWN for line in unknown)
    assert result.unknown_speaker_lines == len(unknown)
    # Narration names people, never bits of grammar, pronouns or groups.
    assert not set(result.speakers) & {"事", "声", "顔", "今度", "それ", "誰", "奴", "二人", "一人", "彼"}


def test_to_attributions_name_the_right_speaker_or_nobody(botchan):
    _, _, lines = botchan
    after_to = _after_to(lines)
    assert len(GOLD_TO_ATTRIBUTIONS) >= 40
    guessed = {}
    for start, truth in GOLD_TO_ATTRIBUTIONS:
        found = [line for line in after_to if line.text.startswith(start)]
        assert len(found) == 1, start
        guessed[start] = (found[0].speaker, truth)
    with_speaker = {start: pair for start, pair in guessed.items() if pair[0] and pair[1]}
    right = [start for start, (got, truth) in with_speaker.items() if got == truth]
    wrong = {start: pair for start, pair in with_speaker.items() if pair[0] != pair[1]}
    assert len(right) / len(with_speaker) >= 0.85, wrong
    assert len(with_speaker) / len(GOLD_TO_ATTRIBUTIONS) > 0.6  # not right by saying little
    # A quote that is nobody's in particular stays unknown rather than wrong.
    assert [start for start, (got, truth) in guessed.items() if not truth and got] == []


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
