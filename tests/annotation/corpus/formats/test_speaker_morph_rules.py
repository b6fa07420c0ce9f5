"""Speaker rules that read the narration with the morphological analyser, on text written here."""

from annotation.corpus.formats.aozora import parse_aozora
from tests.annotation.corpus.formats.novel import FIRST_PERSON, novel_speakers


def _lines(text: str):
    return [line for conv in parse_aozora(text.split("\n")) for line in conv.lines]


def test_a_name_and_a_speech_verb_right_after_the_quote_without_to():
    assert novel_speakers("「もう帰ろう」太郎は靴をぬぎながら云いました。") == ["太郎"]
    assert novel_speakers("「何だと」次郎がききました。") == ["次郎"]
    assert novel_speakers("「おはよう」狸の子は大きな声で言いました。") == ["狸の子"]


def test_after_the_quote_a_pronoun_a_group_or_a_listener_names_nobody():
    assert novel_speakers("「行こう」彼は言いました。") == [""]
    assert novel_speakers("「行こう」みんなは口々に言いました。") == [""]
    assert novel_speakers("「火事だ」太郎はびっくりしました。") == [""]


def test_the_attribution_opening_the_next_paragraph_with_to():
    text = FIRST_PERSON + "「お金は明日お返しします」\n　と申しますと、主人は黙って頷いた。"
    assert novel_speakers(text) == ["私"]
    assert novel_speakers("「待て」\n　と太郎が大声を挙げた。") == ["太郎"]


def test_the_next_paragraph_names_who_spoke_when_it_says_so():
    assert novel_speakers(
        "「いや、お金はもう要らない」\n　太郎は不平そうな顔をしながら、こう言いました。"
    ) == ["太郎"]
    assert novel_speakers("「その先は」\n　花子がここまで言いかけると、太郎は手を挙げた。") == ["花子"]
    assert novel_speakers("「こら」\n　大王の声は雷のように響きました。") == ["大王"]
    # Did not answer, was only spoken to, or only meant to: not the speaker.
    assert novel_speakers("「返事をしろ」\n　太郎は暫く返事もしませんでした。") == [""]
    assert novel_speakers("「白状しろ」\n　太郎はこう脅されても、黙っていました。") == [""]


def test_one_sentence_between_two_quotes_names_neither_when_it_could_be_either():
    text = "「何だと」\n　花子は眼をこすりながら云いました。\n「はい、そうです」"
    assert novel_speakers(text) == ["", ""]


def test_the_paragraph_leading_into_the_quote_names_its_speaker():
    assert novel_speakers("　すると太郎が大へんまじめに\n「ええ、そうです」と云いました。") == ["太郎"]
    assert novel_speakers("　楽長が両手を鳴らしました。楽長がどなりました。\n「やり直し」") == ["楽長"]
    # A clause that hands the turn on: the one addressed speaks, not the subject.
    assert novel_speakers("　太郎が花子の顔を見ると、\n「なあに」と言った。") == [""]


def test_a_continuative_speech_verb_carries_the_speaker_into_the_next_quote():
    text = "「静かに」と花子は、声をひそめて言い、「誰か来るわ」と戸口を見た。"
    assert novel_speakers(text) == ["花子", "花子"]
    # と答えたら、 hands the turn on.
    assert novel_speakers(FIRST_PERSON + "「そうだ」と答えたら、「嘘をつけ」と言った。")[1] != "私"


def test_a_name_between_two_quotes_of_one_paragraph_covers_both():
    text = "　太郎は朝から怒っていた。太郎は窓を開けた。太郎は座った。\n「帰って来るのです」太郎は必死で言い張った。「きっとです」"
    assert novel_speakers(text) == ["太郎", "太郎"]


def test_two_people_taking_turns_fill_the_bare_quotes_between_them():
    text = (
        "　太郎は笑って\n「音楽だと」\n　すると花子がまじめに\n「ええ、そうです」と云いました。\n"
        "「むずかしいもんか」\n「むずかしいんです」\n「ちがわないね」\n「ちがいます」"
    )
    assert novel_speakers(text) == ["太郎", "花子", "太郎", "花子", "太郎", "花子"]


def test_words_recalled_as_someones_are_theirs_and_answer_nothing():
    text = "　太郎は黙っていた。ふと思い出したのは、「決して口を利くな」という仙人の戒めの言葉です。"
    assert novel_speakers(text) == ["仙人"]


def test_the_narration_after_the_quote_is_its_context_even_in_the_next_paragraph():
    (line,) = _lines("「お金は明日お返しします」\n　と申しますと、主人は黙って頷いた。")
    assert line.context.startswith("「…」\nと申しますと")
