"""Attribution rules that read the narration with the morphological analyser (morph.py). No Django.

They run after the string rules of aozora_speakers.py, for the quotes those leave unknown:
1. a subject and a speech verb right after the quote, without と: 「…」ジョバンニは靴をぬぎながら云いました,
   「…」ゴーシュがききました; with another act only a known character counts (「…」猫は口を拭いて…);
2. the narration opening the next paragraph: 「…」 / 　と申しますと (read as if it followed the quote), or a
   paragraph whose first sentence names the speaker of a speech act (杜子春は…かう言ひました, 老人がここまで
   言ひかけると…, 閻魔大王の声は…響きました);
3. the paragraph before, when it leads into the quote (…笑いながら、 / するとかっこうが大へんまじめに), or ends
   with its subject's speech verb (楽長がどなりました。「…」); a topic reaches past a clause of when or why
   (太郎は…振り返ると、「…」), a が-subject does not (太郎が顔を見ると、「…」: the other one answers); one
   sentence between two quotes (次郎は答えました。) introduces the second when the first is someone else's;
4. the subject of the speech verb right after と, modifiers and all (「…」と一ばん若い客がどなりました);
5. an attribution between two quotes of one paragraph covers the second (「…」と花子は言った。「…」);
6. (over a conversation) a run of quotes with no narration between them alternates between two people.
A pronoun or a group as the subject names nobody, nor does the subject of a state (仕方がないから);
a wrong name is worse than none.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from annotation.corpus.formats.aozora_people import person_noun
from annotation.corpus.formats.aozora_speakers import (
    PERSONS,
    REACTION_RE,
    SUBJECT_IN_RE,
    Attribution,
    explicit_speaker,
)
from annotation.corpus.formats.morph import (
    Morph,
    Subject,
    analyse,
    first_sentence,
    has_speech,
    opening_subject,
    quotative_subject,
    reports_speech,
    speaker_of_speech,
    speech_index,
    subjects,
    voice_owner,
)

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
    if has_speech(sentence, quoted=True) or subject.name in known or person_noun(subject.name):
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
    if subject is None or reports_speech(sentence):
        return None  # 自分はただ待っていると答えた: the reply is reported, the quote was the other's
    return _named(subject.name, subject.pronoun, narrator) or None


def lead_in(paragraph: str, narrator: str, follows_quote: bool = False, previous: str = "") -> str | None:
    """Rule 3: the paragraph before the quote leads into it (ends without 。) or ends in its speech verb.

    A one-sentence paragraph right after another quote (杜子春は…かう言ひました。) is that quote's, unless
    that quote is already someone else's (`previous`): then the sentence can only introduce this one."""
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
        handing_on = {w.lemma for w in tail if w.pos2 == "接続助詞" and w.lemma in HANDING_ON}
        if any(w.lemma == "た" and w.form.startswith("仮定形") for w in tail):
            handing_on.add("たら")  # 考えたら: the analyser reads たら as た in its conditional form
        # 野だが逃げようとするから、「…」: the other one speaks. A topic (Xは) reaches past a clause of
        # when or why (…振り返ると、「…」と言った): X goes on to speak; past たら / ば it does not.
        topic = words[last.index].surface == "は"
        if handing_on and not (topic and handing_on <= {"と", "から", "ので"}):
            return None
        return _named(last.name, last.pronoun, narrator) or None
    sentences = SENTENCE_RE.split(paragraph.rstrip("。！？!?"))
    between = follows_quote and len(sentences) < 2
    if between and not previous:
        return None
    sentence = sentences[-1]
    words = analyse(sentence)
    verb = speech_index(words)
    if verb is None or any(w.pos1 == "動詞" and w.pos2 != "非自立可能" for w in words[verb + 1 :]):
        return None  # the speech verb must end the sentence: it introduces what follows
    if reports_speech(sentence):
        return None  # 自分は、いつ来るかねと聞いた: a turn of its own, answered by the quote
    found = subjects(words[:verb])
    # 大王は森羅殿も崩れる程…喚きました: も inside a clause of manner is no subject of the act.
    found = [s for s in found if words[s.index].surface in ("は", "が")] or found
    # おれは仕方がないから、こう答えた: 仕方 is the subject of a state, not of the answer.
    found = [s for s in found if not _state(words, s)]
    if not found:
        return None
    name = _named(found[-1].name, found[-1].pronoun, narrator)
    if between and (not name or name.endswith(previous) or previous.endswith(name)):
        return None
    return name or None


def _state(words: Sequence[Morph], subject: Subject) -> bool:
    after = words[subject.index + 1] if subject.index + 1 < len(words) else None
    return after is not None and after.pos1 in ("形容詞", "形状詞") and not person_noun(subject.name)


def goes_on(before: str, previous: str) -> bool:
    """「…」と花子は言った。「…」 (or …言った。そして戸口を見た。「…」): the narration between two quotes of
    one paragraph is only the first one's attribution and the acts that follow it, with no other subject:
    the same person goes on speaking."""
    sentences = [x for x in SENTENCE_RE.split(before.strip(" \u3000")) if x.strip(" \u3000")]
    if not previous or not sentences or len(sentences) > 2 or SENTENCE_RE.search(before.strip()[-1:]) is None:
        return False
    if explicit_speaker("", sentences[0] + "。") != previous:
        return False
    others = [m.group("name") for x in sentences for m in SUBJECT_IN_RE.finditer(x)]
    return all(name == previous for name in others)


def improve(
    attr: Attribution,
    *,
    after: str,
    after_is_next_paragraph: bool,
    lead: str,
    lead_follows_quote: bool = False,
    previous: str = "",
    before: str = "",
    ambiguous: bool = False,
    narrator: str,
    known: Collection[str],
) -> Attribution:
    """The morphological rules for a quote the string rules left unknown; `previous` is the speaker of the
    quote before, when a paragraph of narration between them is all that `lead` holds; `before` the
    narration of the quote's own paragraph leading into it."""
    if attr.speaker:
        return attr
    after = after.strip(" \u3000")
    name: str | None = None
    if after.startswith("と") and not ambiguous:
        subject = quotative_subject(after)
        if subject is not None:
            name = _named(subject.name, subject.pronoun, narrator)
            if not name or name in PERSONS:
                return attr  # と皆が… / と背の高い奴が…: nobody we can name
    elif after and not ambiguous:
        name = (
            next_paragraph(after, narrator)
            if after_is_next_paragraph
            else after_quote(after, narrator, known)
        )
        if name == "":
            return attr  # a pronoun or a group there: nobody we can name
    leading = before.strip(" \u3000")
    if not name and leading and not SENTENCE_RE.search(leading[-1]):
        name = lead_in(leading, narrator)  # すると耳の元で白い男が大きな声で「…」と云った
        if name in PERSONS:
            return attr  # 顔の丸い奴が「…」: someone, not a name (the exchange rules may still say who)
    if not name and lead:
        name = lead_in(lead, narrator, lead_follows_quote, previous)
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
