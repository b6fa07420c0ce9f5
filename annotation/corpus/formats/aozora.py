"""Aozora Bunko novels: every 「…」 quote in the body becomes a line, its speaker guessed from narration.

No Django. The rules are general Japanese-prose rules, not fitted to one book:
- a paragraph is one physical line; ［＃…］ notes (and quotes inside them), ruby and gaiji notes go first;
- a quote left open at a paragraph's end continues into the next paragraph when that one closes it
  before opening another, and otherwise ends with its paragraph (a quote never closed);
- the speaker is guessed from the narration around the quote by the rules in aozora_speakers.py
  (「…」と山嵐が云った, 山嵐は「…」と云った, a first-person narrator's own と云ってやった, the one spoken
  to answering, two people alternating), else left unknown (speaker "") for a reviewer; the narration
  around a quote is kept as context;
- quotes of one passage form one conversation: blank lines, headings, page breaks and long stretches of
  narration end a passage.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from annotation.corpus.formats.aozora_more import alternate, goes_on, improve
from annotation.corpus.formats.aozora_people import Characters
from annotation.corpus.formats.aozora_speakers import (
    PRONOUN_TOPIC_RE,
    SUBJECT_IN_RE,
    Attribution,
    attribute,
    encounter,
    explicit_speaker,
    resolve_exchanges,
)
from annotation.corpus.formats.aozora_turns import listeners, neighbours, take_turns, vocative
from annotation.corpus.formats.common import (
    MAX_LINES_PER_CONVERSATION,
    SCENE_HEADING_RE,
    SPACES,
    ParsedConversation,
    ParsedLine,
    aozora_body,
    heading_title,
    is_break_note,
    strip_markup,
)

# Narration between two quotes longer than this ends the passage (a few sentences of scene change).
LONG_NARRATION = 200
CONTEXT_CHARS = 100
# Narration between two quotes short enough to be only an attribution: the exchange goes on.
JOINED_NARRATION = 40
SENTENCE_END_IN_RE = re.compile(r"[。！？!?]")
# 言い、 / 言って、 / 言いながら、 / 言いまして、 go on; と答えたら、 / と言うと、 hand the turn on.
CONTINUATIVE_RE = re.compile(r"(?:[いひきしちにびみり]|[てで]|ながら|まして)、$")
HANDS_ON_RE = re.compile(r"たら|[うくすつぬむる]と、|れば|から|ので")
HEADING_NOTE_RE = re.compile(r"［＃[^］]*見出し］")

# Narration per first-person topic (おれは) needed before a pronoun counts as the narrator's.
NARRATOR_MIN_TOPICS = 3
NARRATOR_DENSITY = 1 / 1000  # first-person topics per character of narration


@dataclass
class Quote:
    text: str
    before: str
    after: str = ""
    after_para: bool = False  # `after` is the opening of the next paragraph
    lead: str = ""  # the narration paragraph just before, when the quote opens its paragraph
    lead_follows_quote: bool = False  # that paragraph came right after another quote
    ambiguous: bool = False  # `after` is one sentence that may as well open the next quote


def _first_bracket(text: str) -> str:
    for ch in text:
        if ch in "「」":
            return ch
    return ""


DEMONSTRATIVE_RE = re.compile(r"かう|こう|さう|そう|同じ")
# A sentence ending in a plain verb of saying can introduce what follows as well as close what went before.
INTRODUCING_END_RE = re.compile(
    r"(?:(?:云|言|い|叫|怒鳴|呶鳴|どな|喚)[いひびりっつ]?|尋ね|たずね|訊き|聞き|きき|問い|答え|こたえ|応え|返事を?し|返答を?し)"
    r"(?:ました|ます|た|だ)。?$"
)


def _one_sentence(text: str) -> bool:
    return not SENTENCE_END_IN_RE.search(text.strip(SPACES).rstrip("。！？!?"))


def _one_plain_sentence(text: str) -> bool:
    """One sentence ending in a plain verb of saying, without こう/そう pointing back at the quote before."""
    text = text.strip(SPACES)
    return _one_sentence(text) and bool(INTRODUCING_END_RE.search(text)) and not DEMONSTRATIVE_RE.search(text)


def split_paragraph(text: str, open_quote: bool) -> tuple[list[tuple[str, str]], bool]:
    """Segments ("n", narration) / ("q", quote) of a paragraph, and whether a quote is left open.

    With open_quote the paragraph starts inside a quote carried over from the previous one."""
    segments: list[tuple[str, str]] = []
    depth = 1 if open_quote else 0
    start = 0
    for i, ch in enumerate(text):
        if ch == "「":
            if depth == 0:
                segments.append(("n", text[start:i]))
                start = i + 1
            depth += 1
        elif ch == "」" and depth > 0:
            depth -= 1
            if depth == 0:
                segments.append(("q", text[start:i]))
                start = i + 1
    segments.append(("q" if depth else "n", text[start:]))
    return segments, depth > 0


class NovelParser:
    def __init__(self) -> None:
        self.conv: list[ParsedLine] = []
        self.attrs: list[Attribution] = []  # first-pass attributions of self.conv, for the exchange rules
        self.partners: list[str] = []  # whom the narrator was facing at each quote
        self.partner = ""
        self.partner_fresh = False  # named by the narration since the last quote
        self.narration = 0  # characters of narration since the last quote
        self.narration_total = 0
        self.carry: Quote | None = None  # a quote still open at the end of the previous paragraph
        self.waiting: Quote | None = (
            None  # a quote that ended its paragraph: the next one may name who said it
        )
        self.last_narration = ""  # the previous paragraph, when it was narration only
        self.trailing = ""  # the narration ending the previous paragraph of quotes, when left open (…て、)
        self.narration_follows_quote = False  # ...and it came right after a quote (it may be that one's)
        self.waiting_narration = 0
        self.joined: list[
            bool
        ] = []  # per quote of self.conv: no more than an attribution since the one before
        self.bare: list[bool] = []  # per quote: no narration at all next to it
        self.mentioned: list[set[str]] = []  # per quote: the subjects of the narration next to it
        self.silent: list[set[str]] = []  # per quote: whom that narration says kept silent
        self.afters: list[str] = []  # per quote: the narration right after it
        self.title = ""
        self.pronouns: dict[str, int] = {}  # first-person topics in narration: who tells the story
        self.characters = Characters()
        self.last_after = ""

    @property
    def narrator(self) -> str:
        if not self.pronouns:
            return ""
        name, count = max(self.pronouns.items(), key=lambda item: item[1])
        # A first-person story says おれは/私は all through its narration; a third-person one only in passing.
        if count < NARRATOR_MIN_TOPICS or count < self.narration_total * NARRATOR_DENSITY:
            return ""
        return name

    def _finish(self) -> Iterator[ParsedConversation]:
        if self.conv:
            speakers = alternate(
                resolve_exchanges(self.attrs, self.partners, self.narrator), self.joined, self.bare
            )
            called = [vocative(line.text) for line in self.conv]
            listening = [listeners(after) for after in self.afters]
            speakers = take_turns(speakers, self.mentioned, self.silent, self.characters, called, listening)
            for line, speaker in zip(self.conv, speakers, strict=True):
                line.speaker, line.speaker_by = speaker, "narration" if speaker else "unknown"
            yield ParsedConversation(self.conv, self.title)
        self.conv, self.attrs, self.partners, self.partner, self.joined = [], [], [], "", []
        self.bare, self.mentioned, self.silent, self.afters = [], [], [], []

    def passage_break(self) -> Iterator[ParsedConversation]:
        yield from self._end_waiting("")
        self.last_narration = self.trailing = ""
        yield from self._end_carry()
        yield from self._finish()
        self.narration = 0

    def _end_waiting(self, next_text: str) -> Iterator[ParsedConversation]:
        """Emit the quote that ended the previous paragraph; a narration paragraph after it is its `after`.

        One sentence between two quotes (Xは…云いました。) may close the first or open the second: the
        quote waits one paragraph more, and when another quote follows, that sentence names neither."""
        quote = self.waiting
        if quote is None:
            return
        if quote.after_para:  # it waited a paragraph more
            quote.ambiguous = next_text.startswith("「")
        elif next_text and not next_text.startswith("「"):
            quote.after, quote.after_para = next_text.split("「", 1)[0], True
            # 　すると次郎が答えました。「…」: one sentence that runs into a quote of its own introduces that one.
            quote.ambiguous = (
                "「" in next_text and _one_sentence(quote.after) and not quote.after.startswith("と")
            )
            if "「" not in next_text and _one_plain_sentence(next_text):
                self.waiting_narration = self.narration
                return  # decided by the paragraph after this one
        self.waiting = None
        later = self.narration - self.waiting_narration if quote.after_para and self.waiting_narration else 0
        if later:
            self.narration = self.waiting_narration
        self.waiting_narration = 0
        yield from self._emit(quote)
        self.narration = later

    def _end_carry(self) -> Iterator[ParsedConversation]:
        if self.carry is not None:
            quote, self.carry = self.carry, None
            yield from self._emit(quote)

    def _emit(self, quote: Quote) -> Iterator[ParsedConversation]:
        text = quote.text.strip(SPACES)
        if not text:
            return
        if self.narration > LONG_NARRATION or len(self.conv) >= MAX_LINES_PER_CONVERSATION:
            partner = self.partner if self.partner_fresh else ""
            yield from self._finish()
            self.partner = partner  # the narration that ended the passage may name who comes next
        self.joined.append(bool(self.conv) and self.narration <= JOINED_NARRATION)
        self.bare.append(not quote.before.strip(SPACES) and not quote.after.strip(SPACES))
        self._note_neighbours(quote)
        self.afters.append(quote.after)
        self.narration = 0
        narrator = self.narrator
        attr = self._attribute(quote, narrator)
        if (
            attr.speaker
            and not self.characters.can_speak(attr.speaker)
            and attr.speaker != explicit_speaker(quote.before, quote.after)
        ):
            attr = Attribution("", attr.reply, attr.addressee)  # 気味, 看板: a noun that is no one
        if attr.addressee and not self.characters.can_speak(attr.addressee):
            attr = Attribution(attr.speaker, attr.reply, "")
        self.attrs.append(attr)
        self.partners.append(self.partner)
        self.partner_fresh = False
        self.last_after = quote.after
        if attr.speaker and attr.speaker == narrator and attr.addressee:
            self.partner = attr.addressee
        elif attr.speaker and attr.speaker != narrator:
            self.partner = attr.speaker
        # Narration from the paragraph before or after stays apart from the quote by its line break.
        before = quote.before or (quote.lead[-CONTEXT_CHARS:] + "\n" if quote.lead else "")
        after = ("\n" if quote.after_para else "") + quote.after[:CONTEXT_CHARS]
        context = (before[-CONTEXT_CHARS - 1 :] + "「…」" + after).strip(SPACES + "\n")
        self.conv.append(ParsedLine(attr.speaker, text, "narration" if attr.speaker else "unknown", context))

    def _note_neighbours(self, quote: Quote) -> None:
        """Who the narration leading into the quote makes a subject, and whom the narration says kept silent."""
        before = quote.before if quote.before.strip(SPACES) else quote.lead
        named, silent = neighbours(before, quote.after)
        self.mentioned.append(named)
        self.silent.append(silent)

    def _attribute(self, quote: Quote, narrator: str) -> Attribution:
        after = quote.after.lstrip(SPACES) if quote.after_para else quote.after
        lead = quote.lead if not quote.before.strip(SPACES) else ""
        attr = attribute(quote.before, after, narrator, self.characters, lead)
        if not attr.speaker and after.startswith("と") and self._continues(quote):
            return Attribution(self.attrs[-1].speaker, False, self.attrs[-1].addressee)
        if not attr.speaker and (self._continues(quote) or self._goes_on(quote)):
            return Attribution(self.attrs[-1].speaker, False, self.attrs[-1].addressee)
        return improve(
            attr,
            after=after,
            after_is_next_paragraph=quote.after_para,
            ambiguous=quote.ambiguous,
            lead=quote.lead,
            lead_follows_quote=quote.lead_follows_quote,
            previous=self.attrs[-1].speaker if quote.lead_follows_quote and self.attrs else "",
            before=quote.before,
            narrator=narrator,
            known=self.characters,
        )

    def _goes_on(self, quote: Quote) -> bool:
        """「…」と花子は言った。「…」: only the first quote's attribution lies between them."""
        previous = self.attrs[-1].speaker if self.attrs else ""
        return self.last_after == quote.before and goes_on(quote.before, previous)

    def _continues(self, quote: Quote) -> bool:
        """「…」と女は、声をひそめて言い、「…」: the sentence goes on into this quote, its speaker too."""
        before = quote.before.strip(SPACES)
        return bool(
            before
            and self.attrs
            and self.attrs[-1].speaker
            and self.last_after == quote.before
            and not SENTENCE_END_IN_RE.search(before)
            and CONTINUATIVE_RE.search(before) is not None
            and not HANDS_ON_RE.search(before)
        )

    def _narration(self, part: str) -> None:
        self.narration += len(part.strip(SPACES))
        self.narration_total += len(part)
        for pronoun in PRONOUN_TOPIC_RE.findall(part):
            self.pronouns[pronoun] = self.pronouns.get(pronoun, 0) + 1
        for name in SUBJECT_IN_RE.findall(part):
            self.characters[name] = self.characters.get(name, 0) + 1
        self.characters.read(part)
        met = encounter(part)
        if met:
            self.partner, self.partner_fresh = met, True

    def paragraph(self, text: str) -> Iterator[ParsedConversation]:
        follows_quote = self.waiting is not None
        yield from self._end_waiting(text)
        if self.waiting is not None:  # this one sentence decides nothing yet
            self._narration(text)
            self.last_narration, self.narration_follows_quote, self.trailing = text, True, ""
            return
        carried = self.carry
        if carried is not None and _first_bracket(text) != "」":
            yield from self._end_carry()  # never closed: it ends with its own paragraph
            carried = None
        segments, still_open = split_paragraph(text, open_quote=carried is not None)
        pending: Quote | None = None
        # 「…」と聞いた。爺さんは息を切って、 / 「…」と云った: narration left open at the end of a paragraph
        # of quotes leads into the next paragraph's quote.
        lead, lead_follows = self.last_narration or self.trailing, self.narration_follows_quote
        last = segments[-1][1].strip(SPACES) if segments[-1][0] == "n" else ""
        self.trailing = last if len(segments) > 1 and last and not SENTENCE_END_IN_RE.search(last[-1]) else ""
        self.last_narration = text if len(segments) == 1 else ""
        self.narration_follows_quote = follows_quote
        for index, (kind, part) in enumerate(segments):
            if kind == "n":
                if pending is not None:
                    if index == len(segments) - 1 and not part.strip(SPACES):
                        self.waiting, pending = pending, None  # it ends the paragraph: wait for the next
                        continue
                    pending.after = part
                    yield from self._emit(pending)
                    pending = None
                self._narration(part)
                continue
            if pending is not None:
                yield from self._emit(pending)
            before = segments[index - 1][1] if index > 0 else ""
            if index == 0 and carried is not None:
                pending, self.carry = Quote(carried.text + part, carried.before), None
            else:
                opens = index == 1 and not before.strip(SPACES)
                pending = Quote(part, before, lead=lead if opens else "", lead_follows_quote=lead_follows)
        if pending is not None:
            if still_open:
                self.carry = pending
            else:
                yield from self._emit(pending)


def parse_aozora(lines: Iterable[str]) -> Iterator[ParsedConversation]:
    parser = NovelParser()
    for raw in aozora_body(lines):
        if is_break_note(raw) or HEADING_NOTE_RE.search(raw) or SCENE_HEADING_RE.match(raw.strip(SPACES)):
            yield from parser.passage_break()
            heading = heading_title(strip_markup(raw))
            if heading:
                parser.title = heading  # the chapter names the conversations under it
            continue
        text = strip_markup(raw).strip(SPACES)
        if not text:
            if not raw.strip(SPACES):
                yield from parser.passage_break()
            continue
        yield from parser.paragraph(text)
    yield from parser.passage_break()
