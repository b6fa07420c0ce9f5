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

from annotation.corpus.formats.aozora_speakers import (
    PRONOUN_TOPIC_RE,
    SUBJECT_IN_RE,
    Attribution,
    attribute,
    encounter,
    resolve_exchanges,
)
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
HEADING_NOTE_RE = re.compile(r"［＃[^］]*見出し］")

# Narration per first-person topic (おれは) needed before a pronoun counts as the narrator's.
NARRATOR_MIN_TOPICS = 3
NARRATOR_DENSITY = 1 / 1000  # first-person topics per character of narration
# A name the narration makes a subject this often is a character (not 看板, 電報).
CHARACTER_MIN_SUBJECTS = 3


class Characters(dict[str, int]):
    """Subject counts from the narration; `name in characters` when the name is a character's."""

    def __contains__(self, name: object) -> bool:
        return self.get(name, 0) >= CHARACTER_MIN_SUBJECTS  # type: ignore[call-overload]


@dataclass
class Quote:
    text: str
    before: str
    after: str = ""


def _first_bracket(text: str) -> str:
    for ch in text:
        if ch in "「」":
            return ch
    return ""


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
        self.title = ""
        self.pronouns: dict[str, int] = {}  # first-person topics in narration: who tells the story
        self.characters = Characters()

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
            speakers = resolve_exchanges(self.attrs, self.partners, self.narrator)
            for line, speaker in zip(self.conv, speakers, strict=True):
                line.speaker, line.speaker_by = speaker, "narration" if speaker else "unknown"
            yield ParsedConversation(self.conv, self.title)
        self.conv, self.attrs, self.partners, self.partner = [], [], [], ""

    def passage_break(self) -> Iterator[ParsedConversation]:
        yield from self._end_carry()
        yield from self._finish()
        self.narration = 0

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
        self.narration = 0
        narrator = self.narrator
        attr = attribute(quote.before, quote.after, narrator, self.characters)
        self.attrs.append(attr)
        self.partners.append(self.partner)
        self.partner_fresh = False
        if attr.speaker and attr.speaker == narrator and attr.addressee:
            self.partner = attr.addressee
        elif attr.speaker and attr.speaker != narrator:
            self.partner = attr.speaker
        context = (quote.before[-CONTEXT_CHARS:] + "「…」" + quote.after[:CONTEXT_CHARS]).strip(SPACES)
        self.conv.append(ParsedLine(attr.speaker, text, "narration" if attr.speaker else "unknown", context))

    def _narration(self, part: str) -> None:
        self.narration += len(part.strip(SPACES))
        self.narration_total += len(part)
        for pronoun in PRONOUN_TOPIC_RE.findall(part):
            self.pronouns[pronoun] = self.pronouns.get(pronoun, 0) + 1
        for name in SUBJECT_IN_RE.findall(part):
            self.characters[name] = self.characters.get(name, 0) + 1
        met = encounter(part)
        if met:
            self.partner, self.partner_fresh = met, True

    def paragraph(self, text: str) -> Iterator[ParsedConversation]:
        carried = self.carry
        if carried is not None and _first_bracket(text) != "」":
            yield from self._end_carry()  # never closed: it ends with its own paragraph
            carried = None
        segments, still_open = split_paragraph(text, open_quote=carried is not None)
        pending: Quote | None = None
        for index, (kind, part) in enumerate(segments):
            if kind == "n":
                if pending is not None:
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
                pending = Quote(part, before)
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
