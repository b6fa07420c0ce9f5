"""Two people taking turns fill the unnamed quotes of a plain two-person exchange, and nothing else."""

from annotation.corpus.formats.aozora_turns import take_turns
from tests.annotation.corpus.formats.novel import novel_speakers

# Both are characters of the story: the narration makes each of them a subject again and again.
CAST = "　太郎は山へ行きました。太郎は木を切りました。太郎は休みました。花子は川へ行きました。花子は洗いました。花子は帰りました。\n"


def test_the_unnamed_quote_between_two_of_a_persons_is_the_other_persons():
    text = CAST + "「どこへ行くの」と太郎が言いました。\n「山の向こうよ」\n「そうか」と太郎が言いました。"
    assert novel_speakers(text) == ["太郎", "花子", "太郎"]


def test_a_gap_that_fits_the_turns_fills_in_turn():
    assert take_turns(["太郎", "", "", "花子"], [set()] * 4, [set()] * 4, {"太郎", "花子"}) == [
        "太郎",
        "花子",
        "太郎",
        "花子",
    ]


def test_a_gap_that_does_not_fit_the_turns_stays_unknown():
    # 太郎 ? 花子: either of them may have spoken twice.
    assert take_turns(["太郎", "", "花子"], [set()] * 3, [set()] * 3, {"太郎", "花子"}) == [
        "太郎",
        "",
        "花子",
    ]


def test_a_third_person_in_the_passage_stops_the_turns():
    # 花子 and 太郎 talk, 次郎 is there too: the unnamed quote may be either 花子's or 次郎's.
    mentioned = [set(), set(), set(), {"次郎"}]
    speakers = ["花子", "太郎", "", "太郎"]
    assert take_turns(speakers, mentioned, [set()] * 4, {"太郎", "花子", "次郎"}) == speakers


def test_the_one_who_spoke_before_leading_into_the_quote_goes_on():
    # 太郎は少し考えてから、「…」: the narration leading into the gap makes 太郎 its subject.
    mentioned = [set(), {"太郎"}, set()]
    speakers = ["太郎", "", "太郎"]
    assert take_turns(speakers, mentioned, [set()] * 3, {"太郎", "花子"}) == speakers


def test_the_one_the_narration_says_kept_silent_did_not_speak():
    text = (
        CAST
        + "「どこへ行くの」と太郎が言いました。花子は黙っていました。\n「答えないのか」\n「まあいい」と太郎が言いました。"
    )
    assert novel_speakers(text)[1] == ""


def test_one_person_never_makes_an_exchange():
    assert take_turns(["太郎", "", "太郎"], [set()] * 3, [set()] * 3, {"太郎"}) == ["太郎", "", "太郎"]
