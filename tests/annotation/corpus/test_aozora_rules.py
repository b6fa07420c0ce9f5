"""The novel rules on text written here (not botchan): general attribution and passage rules."""

from annotation.corpus.formats.aozora import parse_aozora

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


# A first-person story needs its narrator to say 私は / おれは through the narration before the rules use it.
FIRST_PERSON = "　私は朝早く家を出た。私は駅まで歩いた。私は少し疲れていた。\n"


def _speakers(text: str) -> list[str]:
    return [speaker for conv in _parsed(text) for speaker, _ in conv]


def test_a_subject_named_after_the_quote_speaks():
    assert _speakers("「行くぞ」と太郎が言った。") == ["太郎"]
    assert _speakers("「ふうん」とまた兄は笑った。") == ["兄"]
    assert _speakers("「ねえ」と彼女が言った。") == [""]  # someone, but no name to give


def test_another_act_after_the_quote_names_a_character_but_not_a_thing():
    father = "　父は新聞を読んでいた。父が顔を上げた。父は怒っていた。\n"
    assert _speakers(father + "「だまれ」と父は拳を振り上げた。") == ["父"]  # と binds the quote to that act
    assert _speakers(father + "「営業中」と看板が出ていた。") == [""]


def test_a_subject_before_the_quote_in_the_same_sentence_speaks():
    assert _speakers("　花子は「いやよ」と答えた。") == ["花子"]
    assert _speakers("　すると山田が大きな声で「待て」と叫んだ。") == ["山田"]


def test_the_one_spoken_to_is_not_the_speaker_and_answers_next():
    text = "「待て」と太郎が次郎に言うと、「いやだ」と答えた。"
    assert _speakers(text) == ["太郎", "次郎"]
    assert _speakers(FIRST_PERSON + "　次郎に「待て」と言うと、「いやだ」と答えた。") == ["私", "次郎"]


def test_the_narrators_own_acts_are_the_narrators():
    text = FIRST_PERSON + "「ふん」と云ってやった。「どこへ行く」と聞いてみたら、「さあね」と笑った。"
    assert _speakers(text)[:2] == ["私", "私"]
    assert _speakers(FIRST_PERSON + "「さようなら」と言い捨てて門を出た。") == ["私"]


def test_without_a_first_person_narrator_nobody_gets_the_narrators_acts():
    text = "　太郎は朝早く家を出た。花子は駅まで歩いた。\n「ふん」と云ってやった。「さようなら」と言い捨てて門を出た。"
    assert _speakers(text) == ["", ""]


def test_the_person_the_narrator_meets_answers_the_narrator():
    text = (
        FIRST_PERSON
        + "　角で伯父に出逢った。「どこへ行く」と聞くから「駅です」と答えたら、「気をつけろ」と言った。"
    )
    assert _speakers(text) == ["伯父", "私", "伯父"]


def test_the_topic_of_the_sentence_before_carries_over_to_a_subjectless_quote():
    text = FIRST_PERSON + "　山田は黙って立ち上がった。「じゃ失敬」と言って出て行った。"
    assert _speakers(text) == ["山田"]
    # A state sets the scene for whoever speaks next: no guess.
    assert _speakers("　山田は黙っていた。「何か言えよ」と言った。") == [""]


def test_a_group_or_a_vague_person_is_never_a_speaker():
    assert _speakers("「やった」と二人は笑った。") == [""]
    assert _speakers("「おい」と背の高い奴が言った。") == [""]
    assert _speakers("「静かに」と一同が言った。") == [""]


def test_a_voice_named_by_the_narration_after_the_quote():
    assert _speakers("「もう大丈夫ですね」正しく兄の声である。") == ["兄"]


def test_two_people_alternating_fill_the_gap_and_three_do_not():
    two = "「おはよう」と花子が言った。\n「おはよう」と太郎が言った。\n「眠いの」と聞いた。\n「少しね」と太郎が答えた。"
    assert _speakers(two) == ["花子", "太郎", "花子", "太郎"]
    three = "「おはよう」と花子が言った。\n「やあ」と次郎が言った。\n「おはよう」と太郎が言った。\n「眠いの」と聞いた。\n「少しね」と太郎が答えた。"
    assert _speakers(three)[3] == ""


def test_a_reaction_of_the_listener_is_not_the_speaker():
    assert _speakers("「火事だ」と花子は耳を疑った。") == [""]


def test_the_passive_names_its_agent_as_the_speaker():
    assert _speakers("「早く寝なさい」と母に叱られた。") == ["母"]
    # 花子 was asked: she is the listener, and the asker is not named.
    assert _speakers("「どこへ行くの」と花子は聞かれた。") == [""]
    assert _speakers(FIRST_PERSON + "「どうした」と聞かれたら、黙っているしかない。") == [""]


def test_a_favour_received_is_someone_elses_words():
    assert _speakers(FIRST_PERSON + "「大丈夫だよ」と言ってもらったら、少し安心した。") == [""]
    assert _speakers(FIRST_PERSON + "「こっちだ」と教えてくれた。") == [""]
    assert _speakers(FIRST_PERSON + "「こっちだ」と山田が教えてくれた。") == ["山田"]


def test_the_sentence_just_before_a_closing_quote_names_its_speaker():
    assert _speakers("　王は、憫笑した。「仕方の無いやつじゃ」") == ["王"]
    assert _speakers("　しばらくして山田はまた起立した。「言い落としました」") == ["山田"]
    # The listeners' reaction to the previous quote does not make them speak the next one.
    assert _speakers("「そうだ」と太郎が言うと、一同が笑い出した。「おかしいか」と言った。")[1] != "一同"
    text = "「そうだ」と言ったら、職員がみな笑い出した。「おかしいか」と言って座った。"
    assert _speakers(text) == ["", ""]


def test_someone_speaking_to_the_narrator_gets_the_narrators_answer():
    text = FIRST_PERSON + "　山田は私に「元気か」と聞いた。「まあね」と答えた。"
    assert _speakers(text) == ["山田", "私"]


def test_a_quote_used_as_a_name_or_a_writing_is_nobodys():
    text = (
        FIRST_PERSON
        + "　角で伯父に出逢った。「お元気ですか」と聞いてみた。「幽霊が出る」という噂を思い出した。"
    )
    assert _speakers(text) == ["私", ""]
    assert _speakers(FIRST_PERSON + "「押すな」と書いてあっても、押した。") == [""]
    assert _speakers(FIRST_PERSON + "「なもし」と云うのは、この土地の言葉だ。") == [""]
