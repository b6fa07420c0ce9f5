"""More novel attribution rules, each on short sentences written here: who can be a speaker, whose turn a
sentence of narration between two quotes introduces, voices recognised, names called."""

from annotation.corpus.formats.aozora_people import person_noun
from annotation.corpus.formats.aozora_turns import vocative
from tests.annotation.corpus.formats.novel import FIRST_PERSON, novel_speakers


def test_a_noun_that_is_no_one_is_never_a_speaker():
    # The subject of a state (気味が悪い) leading into the quote, or right after と.
    assert novel_speakers("　一郎は気味が悪くなって、\n「おい」と云いました。") == [""]
    assert novel_speakers("「なに」と気味が悪そうに言いました。") == [""]
    # A person's name in the same place speaks.
    assert novel_speakers("「なに」と太郎が嬉しそうに言いました。") == ["太郎"]


def test_words_for_people_and_animals_can_speak_and_things_cannot():
    for name in ("太郎", "老人", "猟師", "お母さん", "狐", "片目の老人", "王様", "私"):
        assert person_noun(name), name
    for name in ("気味", "看板", "東京", "風"):
        assert not person_noun(name), name


def test_a_speech_verb_handed_on_to_another_subject_is_not_the_first_ones():
    assert novel_speakers("「おい」と次郎が顔をあげると、太郎がこう申しました。") == [""]


def test_one_sentence_running_into_a_quote_of_its_own_introduces_that_quote():
    assert novel_speakers("「おい」\n　すると次郎が答えました。「なんだ」") == ["", "次郎"]


def test_an_answer_between_two_quotes_belongs_to_neither_when_either_is_possible():
    assert novel_speakers("「どこへ行く」\n　次郎は答えました。\n「山へ」") == ["", ""]


def test_a_sentence_between_two_quotes_introduces_the_second_when_the_first_is_someone_elses():
    text = "「どこへ行く」と太郎が言いました。\n　次郎は答えました。\n「山へ」"
    assert novel_speakers(text) == ["太郎", "次郎"]


def test_a_subject_inside_a_clause_of_manner_is_not_the_one_who_speaks():
    text = "「どこへ行く」と太郎が言いました。\n　次郎は屋根も揺れる程、大きな声で叫びました。\n「山へ」"
    assert novel_speakers(text) == ["太郎", "次郎"]


def test_the_narration_saying_whose_voice_it_was_names_the_speaker():
    assert novel_speakers("「おかえり」\n　それはたしかに母の声に違いありません。") == ["母"]
    assert novel_speakers("「おかえり」\n　たしかに兄の声でした。") == ["兄"]


def test_a_quote_opening_by_calling_someone_is_spoken_to_them():
    assert vocative("太郎さん、もう帰りましょう") == "太郎"
    assert vocative("おい、お母さん、見て") == "母"
    assert vocative("もう帰りましょう") == ""


def test_in_a_two_person_exchange_the_one_called_is_not_the_speaker():
    text = (
        "「どこへ行くの」と花子が言いました。\n「山へ行くんだ」と太郎が言いました。\n"
        "「太郎さん、もう帰りましょう」\n　夕日が山の向うに沈みました。"
    )
    assert novel_speakers(text) == ["花子", "太郎", "花子"]
    # Calling oneself by name is no one's line the rules can trust.
    assert novel_speakers("「おい、次郎、行くぞ」と次郎が言った。") == [""]


def test_the_quotative_binds_a_character_who_is_surprised_to_the_quote():
    known = "　太郎は走った。太郎は転んだ。太郎は泣いた。\n"
    assert novel_speakers(known + "「火事だ」と、太郎はびっくりしました。") == ["太郎"]


def test_a_topic_reaches_past_a_clause_of_when_and_a_subject_with_ga_does_not():
    assert novel_speakers("　太郎は花子の顔を見ると、「なあに」と言った。") == ["太郎"]
    assert novel_speakers("　太郎が花子の顔を見ると、「なあに」と言った。") == [""]
    assert novel_speakers("　太郎は花子の顔を見ると、\n「なあに」と言った。") == ["太郎"]
    assert novel_speakers("　太郎は腹が立ったので、「帰れ」と言った。") == ["太郎"]
    # たら hands the turn on even after a topic: the one asked answers.
    assert novel_speakers("　太郎はしばらく考えたら、「帰れ」と言った。") == [""]


def test_in_a_two_person_exchange_the_one_who_listened_in_silence_did_not_speak():
    text = (
        "「どこへ行くの」と花子が言いました。\n「山へ行くんだ」と太郎が言いました。\n"
        "「本当のことを言いなさい」\n　太郎はこう叱られても、黙っていました。"
    )
    assert novel_speakers(text) == ["花子", "太郎", "花子"]


def test_the_subject_of_the_speech_verb_after_to_may_carry_a_modifier():
    assert novel_speakers("「静かに」と、その時一ばん若い客がどなりました。") == ["客"]
    # A verb before the subject makes a clause of its own: the one spoken to answers.
    assert novel_speakers("「静かに」と言われて太郎は答えた。") == [""]


def test_the_attribution_between_two_quotes_of_a_paragraph_covers_the_second():
    assert novel_speakers("「静かに」と花子は言った。「誰か来るわ」") == ["花子", "花子"]
    assert novel_speakers("「静かに」と花子は言った。そして戸口を見た。「誰か来るわ」") == ["花子", "花子"]
    # Someone else acting in between: the second quote may be theirs.
    assert novel_speakers("「静かに」と花子が言うと、太郎は笑った。「誰か来るわ」") == ["花子", ""]


def test_the_subject_of_a_state_in_the_sentence_before_is_not_the_one_who_answers():
    narrator = "　おれは朝早く出た。おれは歩いた。おれは疲れた。\n"
    assert novel_speakers(narrator + "　おれは仕方がないから、こう答えた。\n「それは困ります」") == ["おれ"]


def test_a_subject_inside_a_clause_before_the_speech_verb_is_not_the_speaker():
    assert novel_speakers("「おい」\n　太郎は、次郎が来たので、こう申しました。") == ["太郎"]
    # The one who spoke to someone is the speaker, not the one spoken to.
    assert novel_speakers("「おい」\n　太郎が次郎に申しました。") == ["太郎"]
    assert novel_speakers("「おい」と、太郎が次郎に申しました。") == ["太郎"]


def test_a_reply_reported_in_the_next_paragraph_says_the_quote_was_the_other_ones():
    # 私はただ待っていると答えた: 私 answered in the narration; the quote before was someone else's.
    assert novel_speakers(FIRST_PERSON + "「ここで待っていて下さい」\n　私はただ待っていると答えた。") == [""]


def test_a_question_reported_in_the_paragraph_before_is_answered_by_the_quote():
    text = "「もう帰るよ」と花子が言った。\n　太郎は、いつ戻るかねと聞いた。\n「明日です」"
    assert novel_speakers(text)[1] != "太郎"


def test_to_iu_before_a_noun_is_no_speech_act():
    assert novel_speakers("「お前が悪い」\n　太郎は、自分が悪いと云う気持ちになった。") == [""]
    # かう言ふ内に is one: the speaker goes on.
    assert novel_speakers("「もう行くよ」\n　太郎はこう言う内に、歩き出していた。") == ["太郎"]


def test_laughing_after_an_onomatopoeia_with_to_is_a_reaction_not_the_quotes_verb():
    assert novel_speakers("「西へ行くんですか」\n　船の男はからからと笑った。") == [""]


def test_someone_saying_it_progressively_is_not_the_first_person_narrator():
    assert novel_speakers(FIRST_PERSON + "「大きなもんだなあ」と云っている。") == [""]
    assert novel_speakers(FIRST_PERSON + "「さようなら」と言い捨てて門を出た。") == ["私"]


def test_the_narrators_subjectless_act_is_not_theirs_after_another_ones_acts():
    text = FIRST_PERSON + "　若い男が、私の方を振り向いて、\n「見事なものだ」と云って賞め出した。"
    assert novel_speakers(text) != ["私"]


def test_narration_left_open_after_a_quote_leads_into_the_next_paragraphs_quote():
    text = "「家はどこかね」と聞いた。爺さんは長い息を途中で切って、\n「臍の奥だよ」と云った。"
    assert novel_speakers(text) == ["", "爺さん"]


def test_asking_with_te_miru_introduces_the_question_and_a_word_of_time_is_no_name():
    text = FIRST_PERSON + "　ある時私は、船の男を捕まえて聞いて見た。\n「この船は西へ行くんですか」"
    assert novel_speakers(text) == ["私"]


def test_the_subject_inside_the_narration_leading_into_the_quote_is_found_by_the_analyser():
    assert novel_speakers("　すると耳の元で花子が大きな声で「洗いましょう」と云った。") == ["花子"]
    # A vague someone there is no name.
    assert novel_speakers("　すると左の方に居た顔の丸い奴が「違うよ」と言った。") == [""]


def test_the_narrators_conditional_question_after_a_longer_manner_is_the_narrators():
    text = (
        FIRST_PERSON
        + "「どうして解る」と顔を後ろへ振り向けるようにして聞いたら、「だって鳴くもの」と答えた。"
    )
    assert novel_speakers(text)[0] == "私"


def test_a_person_acting_right_after_the_quote_said_it_and_a_thing_did_not():
    assert novel_speakers("「これはどういうんだ」ひとりの紳士は顔をしかめました。") == ["ひとりの紳士"]
    assert novel_speakers("「営業中」看板が出ていました。") == [""]
