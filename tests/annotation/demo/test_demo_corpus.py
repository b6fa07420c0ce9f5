"""The bundled demo corpus and questions: enough of Marisa, in her voice, among other speakers."""

import re
from collections import Counter

from annotation.corpus.models import DEFAULT_STYLE_MARKERS
from annotation.demo.setup import CORPUS_PATH, QUESTIONS_PATH

MARISA = {"魔理沙", "まりさ", "霧雨魔理沙"}
UTTERANCE = re.compile(r"^(?P<speaker>[^「（■\s]+)「(?P<text>.+)」$")


def utterances() -> list[tuple[str, str]]:
    out = []
    for line in CORPUS_PATH.read_text(encoding="utf-8").splitlines():
        match = UTTERANCE.match(line)
        if match:
            out.append((match["speaker"], match["text"]))
    return out


def test_corpus_has_at_least_300_utterances_in_script_format() -> None:
    lines = [line for line in CORPUS_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
    speech = utterances()
    assert len(speech) >= 300
    # Everything else is a scene heading or a stage direction: no malformed speech lines.
    others = [line for line in lines if not UTTERANCE.match(line)]
    assert all(line.startswith(("■", "（")) for line in others), others[:5]


def test_marisa_speaks_at_least_a_third_of_the_lines_including_aliases() -> None:
    speakers = Counter(speaker for speaker, _ in utterances())
    marisa = sum(speakers[name] for name in MARISA)
    assert marisa * 3 >= sum(speakers.values())
    assert speakers["まりさ"] >= 1 and speakers["霧雨魔理沙"] >= 1


def test_at_least_four_other_speakers_and_twelve_scenes() -> None:
    speakers = {speaker for speaker, _ in utterances()} - MARISA
    assert {"霊夢", "アリス", "パチュリー"} <= speakers
    assert len(speakers) >= 4
    text = CORPUS_PATH.read_text(encoding="utf-8")
    assert len(re.findall(r"^■", text, flags=re.M)) >= 12


def test_most_of_marisas_lines_carry_her_style_markers() -> None:
    hers = [text for speaker, text in utterances() if speaker in MARISA]
    marked = [text for text in hers if any(marker in text for marker in DEFAULT_STYLE_MARKERS)]
    assert len(marked) >= 0.7 * len(hers)
    assert sum("だぜ" in text for text in hers) >= 40
    # Her first person is 私; she never speaks in です/ます.
    assert any("私" in text for text in hers)
    assert not any(text.endswith(("です", "ます", "です。", "ます。")) for text in hers)


def test_questions_file_has_100_distinct_questions() -> None:
    questions = QUESTIONS_PATH.read_text(encoding="utf-8").splitlines()
    assert len(questions) == 100
    assert all(q.strip() == q and q for q in questions)
    assert len(set(questions)) == 100
