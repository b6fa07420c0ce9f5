"""Attribution rules that read the narration with the morphological analyser (morph.py). No Django.

They run after the string rules of aozora_speakers.py, for the quotes those leave unknown:
1. a subject and a speech verb right after the quote, without と: 「…」ジョバンニは靴をぬぎながら云いました,
   「…」ゴーシュがききました; with another act only a known character counts (「…」猫は口を拭いて…);
2. the narration opening the next paragraph: 「…」 / 　と申しますと (read as if it followed the quote), or a
   paragraph whose first sentence names the speaker of a speech act (杜子春は…かう言ひました, 老人がここまで
   言ひかけると…, 閻魔大王の声は…響きました);
3. the paragraph before, when it leads into the quote (…笑いながら、 / するとかっこうが大へんまじめに), or ends
   with its subject's speech verb (楽長がどなりました。「…」);
4. (over a conversation) a run of quotes with no narration between them alternates between two people.
A pronoun or a group as the subject names nobody; a wrong name is worse than none.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from annotation.corpus.formats.aozora_speakers import Attribution
from annotation.corpus.formats.morph import (
    analyse,
    first_sentence,
    has_speech,
    opening_subject,
    speaker_of_speech,
    speech_index,
    subjects,
    voice_owner,
)

# The listener's reaction, not the speaker's act (「…」ゴーシュははっとしました).
REACTION_RE = re.compile(r"はっと|ぎょっと|びっくり|驚|呆|あっけ|耳を|聞こえ|聞え|黙|だま")
# A clause that hands the turn on: the subject before it is not the one who speaks next.
HANDING_ON = frozenset("から ので と ば たら のに".split())
SENTENCE_RE = re.compile(r"[。！？!?]")


def _named(name: str, pronoun: str, narrator: str) -> str:
    if pronoun and narrator and pronoun == narrator:
        return narrator
    return name


def after_quote(after: str, narrator: str, known: Collection[str]) -> str | None:
    """Rule 1: the sentence right after the quote (no と) names its speaker; "" = someone not nameable."""
    sentence = first_sentence(after)
    if not sentence.strip():
        return None
    owner = voice_owner(sentence)
    if owner:
        return owner
    subject = opening_subject(sentence)
    if subject is None:
        return None
    if not subject.name:
        return _named("", subject.pronoun, narrator) or ""
    if REACTION_RE.search(sentence):
        return None
    if has_speech(sentence, quoted=True) or subject.name in known:
        return subject.name
    return None


def next_paragraph(text: str, narrator: str) -> str | None:
    """Rule 2: the first sentence of the paragraph after the quote names whose speech it was."""
    sentence = first_sentence(text)
    owner = voice_owner(sentence)
    if owner:
        return owner
    if REACTION_RE.search(sentence):
        return None  # ゴーシュはびっくりして叫びました: the listener, who speaks next
    subject = speaker_of_speech(sentence)
    if subject is None:
        return None
    return _named(subject.name, subject.pronoun, narrator) or None


def lead_in(paragraph: str, narrator: str, follows_quote: bool = False) -> str | None:
    """Rule 3: the paragraph before the quote leads into it (ends without 。) or ends in its speech verb.

    A one-sentence paragraph right after another quote (杜子春は…かう言ひました。) is that quote's."""
    paragraph = paragraph.strip(" \u3000")
    if not paragraph:
        return None
    if not SENTENCE_RE.search(paragraph[-1]):
        sentence = SENTENCE_RE.split(paragraph)[-1]
        words = analyse(sentence)
        found = subjects(words)
        if not found:
            return None
        last = found[-1]
        tail = words[last.index + 1 :]
        if any(w.pos2 == "接続助詞" and w.lemma in HANDING_ON for w in tail):
            return None  # 野だが逃げようとするから、「…」: the other one speaks
        return _named(last.name, last.pronoun, narrator) or None
    sentences = SENTENCE_RE.split(paragraph.rstrip("。！？!?"))
    if follows_quote and len(sentences) < 2:
        return None
    sentence = sentences[-1]
    words = analyse(sentence)
    verb = speech_index(words)
    if verb is None or any(w.pos1 == "動詞" and w.pos2 != "非自立可能" for w in words[verb + 1 :]):
        return None  # the speech verb must end the sentence: it introduces what follows
    found = [s for s in subjects(words[:verb])]
    if not found:
        return None
    return _named(found[-1].name, found[-1].pronoun, narrator) or None


def improve(
    attr: Attribution,
    *,
    after: str,
    after_is_next_paragraph: bool,
    lead: str,
    lead_follows_quote: bool = False,
    ambiguous: bool = False,
    narrator: str,
    known: Collection[str],
) -> Attribution:
    """The morphological rules for a quote the string rules left unknown."""
    if attr.speaker:
        return attr
    after = after.strip(" \u3000")
    name: str | None = None
    if after and not after.startswith("と") and not ambiguous:
        name = (
            next_paragraph(after, narrator)
            if after_is_next_paragraph
            else after_quote(after, narrator, known)
        )
        if name == "":
            return attr  # a pronoun or a group there: nobody we can name
    if not name and lead:
        name = lead_in(lead, narrator, lead_follows_quote)
    if name:
        return Attribution(name, False, attr.addressee if attr.addressee != name else "")
    return attr


def alternate(speakers: list[str], joined: Sequence[bool], bare: Sequence[bool]) -> list[str]:
    """Rule 4: in a run of quotes with no narration between them (joined[i]: quote i follows quote i-1
    directly), two people take turns; the gaps are filled only when the named ones agree with that, and
    only quotes with no narration of their own (bare[i]) are filled."""
    result = list(speakers)
    start = 0
    for end in range(1, len(speakers) + 1):
        if end < len(speakers) and joined[end]:
            continue
        _fill_run(result, start, end, bare)
        start = end
    return result


def _fill_run(speakers: list[str], start: int, end: int, bare: Sequence[bool]) -> None:
    """Fill the bare quotes of one run between (and just past) named quotes that agree with two people
    taking turns: A ? B ? A, A ? A with B named at the other parity in the run."""
    anchors = [(i, speakers[i]) for i in range(start, end) if speakers[i]]

    def other(p: int, name: str) -> str:
        names = {n for i, n in anchors if (i - p) % 2 == 1 and n != name}
        return names.pop() if len(names) == 1 else ""

    fills: dict[int, str] = {}
    for (p, a), (q, b) in zip(anchors, anchors[1:], strict=False):
        second = b if a != b and (q - p) % 2 == 1 else other(p, a) if a == b and (q - p) % 2 == 0 else ""
        for i in range(p + 1, q):
            fills[i] = second if (i - p) % 2 else a
        if not second:
            for i in range(p + 1, q):
                fills.pop(i, None)
    if len(anchors) >= 2:
        (p, a), (q, b) = anchors[-2], anchors[-1]
        if a != b and (q - p) % 2 == 1:  # the turns go on after the last named quote
            for i in range(q + 1, end):
                fills[i] = a if (i - q) % 2 else b
    for i, name in fills.items():
        if not speakers[i] and bare[i] and name:
            speakers[i] = name
