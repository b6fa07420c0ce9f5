"""Two people taking turns: the quotes of a two-person exchange that the narration leaves unnamed. No Django.

Runs after the per-quote rules, over one conversation (a passage). In an exchange between two people A and B
the turns alternate, so an unnamed quote between A and A is B's, and unnamed quotes between A and B fill in
turn when their number fits (A ? ? B -> A B A B). It only applies when the exchange is plainly two people:
- both are established: named as a speaker in the passage, or (the listener) made the subject of its
  narration and a known character of the book;
- nobody else is: no third name among the passage's speakers or the subjects of its narration;
- the narration leading into a filled quote names neither a third person nor the one who spoke before as
  its subject (閻魔大王は…喚きました。「…」 is A going on), and no narration next to it says the one
  whose turn it would be kept silent (杜子春は…返答をしずにゐました: B did not speak); a thing made a
  subject (竹杖は, 月の色は) is no person: only the book's characters count;
- the gap is short (at most MAX_GAP quotes).
A name ends another (片目眇の老人 / 老人): one person. In such an exchange a quote that opens by calling one of
them (「太郎さん、…」) or that the narration after it says one of them heard in silence or was told
(太郎はこう叱られても、黙っていました) is the other one's; a quote calling its own speaker by name names nobody.
Anything else stays unknown.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from annotation.corpus.formats.aozora_speakers import NAME
from annotation.corpus.formats.morph import PASSIVES, SPEECH_LEMMAS, analyse, first_sentence, subjects

MAX_GAP = 3
# Someone does not speak: the turn is not theirs.
SILENCE_RE = re.compile(
    r"黙|だま|返事(?:も|を)?(?:し|せ)[なずぬ]|返答(?:も|を)?(?:し|せ)[なずぬ]|口を噤|答へ?え?[なずぬ]"
)


SENTENCE_RE = re.compile(r"(?<=[。！？!?\n])")
# A quote that opens by calling someone (「太郎さん、…」, 「おい、次郎、…」) is spoken to them, not by them.
VOCATIVE_RE = re.compile(
    rf"^(?:(?:おい|もし|もしもし|ねえ|なあ|ああ|こら|さあ|やあ|これ|まあ)[、，！!]?)?(?P<name>{NAME})(?:[、，！!]|よ、|や、)"
)
HONORIFIC_RE = re.compile(r"(?:さん|さま|様|君|くん|ちゃん|殿|どの|先生)$")


def vocative(quote: str) -> str:
    """The name the quote opens by calling, as written less お- and an honorific (お母さん -> 母), or ""."""
    m = VOCATIVE_RE.match(quote.strip(" \u3000"))
    if not m:
        return ""
    return HONORIFIC_RE.sub("", m.group("name")).removeprefix("お") or m.group("name")


def _sentences(narration: str) -> list[str]:
    return [s for s in SENTENCE_RE.split(narration) if s.strip()]


def neighbours(before: str, after: str) -> tuple[set[str], set[str]]:
    """The people the narration leading into the quote makes subjects (read with the analyser: 思はず or
    夜気は are nobody), and those the narration on either side says kept silent (老人は…黙つて)."""
    named: set[str] = set()
    silent: set[str] = set()
    for sentence in _sentences(before) + _sentences(after):
        names = {s.name for s in subjects(analyse(sentence)) if s.name}
        if SILENCE_RE.search(sentence):
            silent |= names
    for sentence in _sentences(before):
        named |= {s.name for s in subjects(analyse(sentence)) if s.name}
    return named, silent


def listeners(after: str) -> set[str]:
    """Who the sentence right after the quote says kept silent or was spoken to: 太郎はこう叱られても、
    黙っていました / 太郎は返事をしませんでした. They listened; the quote is the other one's."""
    words = analyse(first_sentence(after.lstrip(" \u3000")))
    spoken_to = any(
        w.pos1 == "動詞"
        and w.lemma in SPEECH_LEMMAS
        and any(n.pos1 == "助動詞" and n.lemma in PASSIVES for n in words[i + 1 : i + 3])
        for i, w in enumerate(words)
    )
    if not spoken_to and not SILENCE_RE.search("".join(w.surface for w in words)):
        return set()
    found = [s for s in subjects(words) if s.name]
    return {found[0].name} if found else set()


def _same(a: str, b: str) -> bool:
    return a == b or a.endswith(b) or b.endswith(a)


def _person(name: str, people: list[str]) -> str:
    """The established person `name` denotes, added to `people` when new."""
    for p in people:
        if _same(p, name):
            return p
    people.append(name)
    return name


def _two_people(
    speakers: Sequence[str], mentioned: Sequence[Collection[str]], known: Collection[str]
) -> list[str] | None:
    """The two people of the passage, or None when it is not plainly a two-person exchange."""
    people: list[str] = []
    for name in speakers:
        if name:
            _person(name, people)
    for names in mentioned:
        for name in names:
            if any(_same(p, name) for p in people) or name in known:
                _person(name, people)
    return people if len(people) == 2 else None


def _gap_ok(
    i: int, turn: str, mentioned: Sequence[Collection[str]], silent: Sequence[Collection[str]]
) -> bool:
    """The narration next to quote i names nobody but `turn` as its subject, and not as keeping silent."""
    quiet = set(silent[i]) | (
        set(silent[i - 1]) if i > 0 else set()
    )  # the narration since the quote before too
    return not any(_same(n, turn) for n in quiet) and all(_same(n, turn) for n in mentioned[i])


def take_turns(
    speakers: Sequence[str],
    mentioned: Sequence[Collection[str]],
    silent: Sequence[Collection[str]],
    known: Collection[str] = (),
    called: Sequence[str] = (),
    listening: Sequence[Collection[str]] = (),
) -> list[str]:
    """Speakers for one conversation with the gaps of a two-person exchange filled; `mentioned[i]` are the
    subjects the narration leading into quote i names, `silent[i]` those it says kept silent, `called[i]`
    the name quote i opens by calling, `listening[i]` those the narration after it says listened to it
    (the one called or listening is spoken to: the other one speaks)."""
    called = list(called) or [""] * len(speakers)
    listening = list(listening) or [set()] * len(speakers)
    result = [s if not (s and called[i] and _same(s, called[i])) else "" for i, s in enumerate(speakers)]
    speakers = list(result)
    mentioned = [
        {n for n in names if n in known or any(_same(n, s) for s in speakers if s)} for names in mentioned
    ]
    pair = _two_people(speakers, mentioned, known)
    if pair is None:
        return result
    anchors = [i for i, s in enumerate(speakers) if s]
    for p, q in zip(anchors, anchors[1:], strict=False):
        gap = q - p - 1
        if not 0 < gap <= MAX_GAP:
            continue
        a, b = _person(speakers[p], list(pair)), _person(speakers[q], list(pair))
        other = pair[1] if _same(a, pair[0]) else pair[0]
        fits = (a == b and gap % 2 == 1) or (a != b and gap % 2 == 0)
        if not fits:
            continue
        turns = {i: other if (i - p) % 2 else a for i in range(p + 1, q)}
        if all(
            _gap_ok(i, turn, mentioned, silent) and not _same(turn, called[i] or "\0")
            for i, turn in turns.items()
        ):
            for i, turn in turns.items():
                result[i] = turn
    for i in range(len(result)):
        spoken_to = {p for p in pair for n in [called[i], *listening[i]] if n and _same(n, p)}
        if result[i] or len(spoken_to) != 1:
            continue
        other = pair[1] if spoken_to == {pair[0]} else pair[0]
        if _gap_ok(i, other, mentioned, silent):
            result[i] = other  # 「太郎さん、…」 between 太郎 and 花子, or 太郎 said nothing back: 花子 speaks
    return result
