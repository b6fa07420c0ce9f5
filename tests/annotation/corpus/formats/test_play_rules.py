"""Plays: the cast list, a place-and-time heading, an indented song, joint and off-stage speakers."""

from annotation.corpus.formats.script import parse_script

PLAY = """人物
母
兄
弟

茶の間　　朝

母　　（歌ひながら）
［＃ここから１字下げ］
タラ　ラ　ラ　ラ　ラ　ラア
タララ　タララ　タララア
［＃ここで字下げ終わり］
兄　　うるさいな。
母と兄　　さうだ。
弟の声　　待つて。"""


def _convs():
    return list(parse_script(PLAY.split("\n")))


def test_a_place_and_time_before_the_first_speech_is_a_heading_not_a_speaker():
    convs = _convs()
    assert convs[0].title == "茶の間　　朝"
    assert "茶の間" not in {line.speaker for c in convs for line in c.lines}


def test_an_indented_block_after_a_speech_is_that_speakers():
    first = _convs()[0].lines[0]
    assert first.speaker == "母"
    assert first.text.startswith("タラ")
    assert "タララア" in first.text


def test_a_joint_speaker_is_left_unknown_and_said_as_such():
    joint = next(line for c in _convs() for line in c.lines if line.text == "さうだ。")
    assert (joint.speaker, joint.speaker_by) == ("", "unknown")
    assert "母・兄" in joint.context


def test_an_off_stage_voice_is_its_speakers():
    assert [line.speaker for line in _convs()[0].lines] == ["母", "兄", "", "弟"]
