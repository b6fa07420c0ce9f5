"""The novel rules on text written here (not botchan): general attribution and passage rules."""

from annotation.aozora import parse_aozora

NOVEL = """第一章
　朝になった。母が「ご飯よ」と呼んだ。
「いま行く」と太郎が答えた。
「早くしなさい」と言って、母は台所へ戻った。
「待ってよ」という花子の声がした。
　私は「おはよう」と挨拶した。
「今日は雨ね」
　花子は窓の外を見ていた。彼は「そうだね」と言った。
「何だと」と云う声は兄だ。
第二章
「誰もいないのか」"""


def _parsed(text: str) -> list[list[tuple[str, str]]]:
    return [[(line.speaker, line.text) for line in conv.lines] for conv in parse_aozora(text.split("\n"))]


def test_speakers_from_narration_after_and_before_the_quote():
    assert _parsed(NOVEL) == [
        [
            ("母", "ご飯よ"),
            ("太郎", "いま行く"),
            ("母", "早くしなさい"),
            ("花子", "待ってよ"),
            ("私", "おはよう"),
            ("", "今日は雨ね"),  # nobody named: left for a reviewer
            ("", "そうだね"),  # a pronoun is not a name
            ("兄", "何だと"),
        ],
        [("", "誰もいないのか")],  # a chapter heading starts a new passage
    ]


def test_a_conditional_hands_the_turn_to_someone_else():
    # 私が聞くと「…」: the one asked answers, not 私.
    assert _parsed("　私が名前を聞くと「花子です」と答えた。") == [[("", "花子です")]]


def test_long_narration_and_blank_lines_split_passages():
    filler = "　" + "長い地の文が続く。" * 30
    text = f"「一つ目」と太郎が言った。\n{filler}\n「二つ目」と花子が言った。\n\n「三つ目」と太郎が言った。"
    assert [len(c) for c in _parsed(text)] == [1, 1, 1]


def test_nested_quotes_stay_inside_and_notes_never_become_lines():
    text = "「先生は『明日』と言ったよ」と太郎が言った。［＃「明日」に傍点］\n　花子はうなずいた［＃「うなずいた」は太字］。"
    assert _parsed(text) == [[("太郎", "先生は『明日』と言ったよ")]]


def test_narrator_of_a_first_person_story_speaks_when_the_verb_is_their_own_act():
    text = "　おれは腹が立った。おれは黙っていた。おれは帰った。\n「馬鹿野郎」と云ってやった。"
    assert _parsed(text) == [[("おれ", "馬鹿野郎")]]
