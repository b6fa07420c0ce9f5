"""Script, SS and play files: `名前「台詞」`, `名前：台詞`, `名前: 台詞` and the play layout `名前　　台詞`.

No Django. A state machine over the lines: a speech may run over several lines, stage directions （…）
are dropped, a cast list (人物：) tells names from setting words, and scene headings, scene-changing
directions （暗転）, page breaks and narration after a blank line start a new conversation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from annotation.corpus.formats.common import (
    HEADING_MARKS,
    MAX_LINES_PER_CONVERSATION,
    SCENE_HEADING_RE,
    SPACES,
    ParsedConversation,
    ParsedLine,
    aozora_body,
    clean_speaker,
    heading_title,
    is_break_note,
    strip_markup,
)

# --- Script / SS / play -----------------------------------------------------------------------------
_NAME = r"[^\s「」『』（）()\[\]［］【】：:、。，,！？!?…‥\"'“”]{1,16}"
SS_RE = re.compile(rf"^({_NAME}?)(?:[（(][^）)]*[）)])?[ \u3000]*([「『])(.*)$")
COLON_RE = re.compile(rf"^({_NAME})[ \u3000]*[：:][ \u3000]*(.*)$")
PLAY_RE = re.compile(r"^([^\s「」『』（）()［］【】：:、。，,！？!?…]{1,10}?)(?:\u3000+|\t+| {2,})(\S.*)$")
DIRECTION_RE = re.compile(r"（[^（）]*）")
CAST_HEAD_RE = re.compile(r"^(?:登場)?人物[：:]?$|^キャスト[：:]?$|^配役[：:]?$")
SETTING_NAMES = frozenset(
    {"時", "所", "場所", "時代", "場面", "舞台", "とき", "ところ", "季節", "人物", "登場人物"}
)
# 幕 only as the curtain or an act (幕, 幕が下りる, 幕間, 第二幕, 一幕, 序幕, 終幕, 閉幕), never inside another
# word (弾幕, 字幕, 天幕, 黒幕, 煙幕) or in 幕府 / 幕末.
CURTAIN = r"(?:(?<![一-龥々])|(?<=[一二三四五六七八九十百千〇0-9０-９第序終開閉]))幕(?![府僚末臣舎営内])"
SCENE_WORDS_RE = re.compile(rf"暗転|場面|転換|翌|{CURTAIN}")
PARTICLE_END_RE = re.compile(r"[はがをにもへとで]$")
INDENT_START_RE = re.compile(r"［＃ここから[０-９0-9一二三四五六七八九]+字下げ］")
INDENT_END_RE = re.compile(r"［＃ここ(?:で字下げ終わり|から)")
JOINT_RE = re.compile(r"[と・、＆&]")
# The time of a scene, after its place: 茶の間　　朝.
TIME_RE = re.compile(
    r"(?:[同翌前]?(?:日の)?)?(?:朝|昼|夜|晩|夕|夕方|夕刻|午前|午後|深夜|真夜中|明け方|黄昏|宵)(?:[ \u3000].*)?"
)
CLOSERS = {"「": "」", "『": "』"}
# The common well-formed lines, 名前「台詞」 and 名前：台詞, with no markup, directions or nesting.
FAST_SPEECH_RE = re.compile(
    rf"^({_NAME})(?:「([^「」（［《｜]*)」|[：:][ \u3000]*([^\s「（［《｜][^（［《｜]*))$"
)


def strip_directions(text: str) -> tuple[str, bool]:
    """Stage directions （…） removed; the flag says a direction was left open at the end of the line."""
    while "（" in text:
        new = DIRECTION_RE.sub("", text)
        if new == text:
            break
        text = new
    if "（" in text:
        return text[: text.index("（")], True
    return text, False


def _bad_name(name: str) -> bool:
    return (
        not name
        or name.isdigit()
        or name[0] in HEADING_MARKS
        or name.lower().startswith("http")
        or bool(PARTICLE_END_RE.search(name) or SCENE_HEADING_RE.match(name))
    )


def match_speech(line: str) -> tuple[str, str, str] | None:
    """(name, rest, style) for a line that opens a speech; style is "ss" (rest after the bracket), "colon"
    or "play". Lines indented with spaces are never speech openers (they continue or narrate)."""
    if not line or line[0] in SPACES:
        return None
    m = SS_RE.match(line)
    if m and m.group(1) and not _bad_name(m.group(1)):
        return m.group(1), m.group(2) + m.group(3), "ss"
    m = COLON_RE.match(line)
    if m and not _bad_name(m.group(1)) and m.group(2).strip(SPACES):
        return m.group(1), m.group(2), "colon"
    m = PLAY_RE.match(line)
    if m and not _bad_name(m.group(1)):
        return m.group(1), m.group(2), "play"
    return None


def _close_ss(text: str) -> tuple[str, bool]:
    """`text` starts with an opening bracket: (the quoted words, closed?) counting nested brackets."""
    opener = text[0]
    closer = CLOSERS[opener]
    if text.count(opener) == 1:  # no nesting: no need to walk the characters
        end = text.find(closer)
        return (text[1:end], True) if end >= 0 else (text[1:], False)
    depth = 0
    for i, ch in enumerate(text):
        if ch == opener:
            depth += 1
        elif ch == closer:
            depth -= 1
            if depth == 0:
                return text[1:i], True
    return text[1:], False


class ScriptParser:
    """State machine over script lines; see parse_script."""

    def __init__(self) -> None:
        self.cast: set[str] = set()
        self.in_cast = False
        self.conv: list[ParsedLine] = []
        self.speaker: str | None = None  # the open speech, still taking continuation lines
        self.parts: list[str] = []
        self.style = ""
        self.in_direction = False
        self.blank_since_speech = False
        self.direction_since_blank = False
        self.force_break = False
        self.names: dict[str, str | None] = {}
        self.title = ""  # the last scene heading: the title of the conversations under it
        self.last_speaker = ""  # who spoke last: an indented block after a speech is theirs
        self.indented = False  # inside ［＃ここから１字下げ］ … ［＃ここで字下げ終わり］
        self.done: list[ParsedConversation] = []

    def feed(self, raw: str) -> None:
        """Take one raw line; finished conversations collect in self.done."""
        fast = FAST_SPEECH_RE.match(raw)
        if fast is not None and not (self.in_cast or self.in_direction):
            name = self._speaker_name(fast.group(1))
            if name:
                quoted = fast.group(2)
                self._open(name, "" if quoted is not None else fast.group(3), "colon")
                if quoted is not None:  # a closed 名前「台詞」: the commonest line, stored at once
                    self.speaker = None
                    text = quoted.strip(SPACES)
                    if text:
                        self.conv.append(ParsedLine(name, text))
                return
        if is_break_note(raw):
            self.force_break = True
        if "［＃" in raw:
            self._indent_note(raw)
        if not raw.strip(SPACES):
            self.indented = False
        elif (
            self.indented
            and self.last_speaker
            and "［＃" not in raw
            and not raw.lstrip(SPACES).startswith("（")
        ):
            self._indented_line(raw)
            return
        line = strip_markup(raw) if ("［＃" in raw or "《" in raw or "｜" in raw) else raw
        stripped = line.strip(SPACES)
        if not stripped:
            if not raw.strip(SPACES):  # a real blank line; a line of notes only is not one
                self._blank()
            return
        if self.in_cast:
            if self._cast_line(stripped):
                return
        if CAST_HEAD_RE.match(stripped):
            self._close_speech()
            self.in_cast = True
            return
        if self.in_direction:
            if "）" not in line:
                return
            line = line[line.index("）") + 1 :]
            self.in_direction = False
            stripped = line.strip(SPACES)
            if not stripped:
                return
        speech = match_speech(line)
        name = self._speaker_name(speech[0]) if speech else None
        if speech and name and self._place_and_time(name, speech[1], speech[2]):
            self.flush()
            self.title = heading_title(stripped)
            return
        if speech and name:
            self._open(name, speech[1], speech[2])
            return
        self._unprefixed(stripped)

    def _indent_note(self, raw: str) -> None:
        """An indented block opened right after a speech (no blank line between) continues it; any other
        layout note (ここから改行天付き…, 字下げ終わり) ends it."""
        if INDENT_START_RE.search(raw):
            self.indented = self.speaker is not None or bool(self.conv and not self.blank_since_speech)
        elif INDENT_END_RE.search(raw):
            self.indented = False

    def _indented_line(self, raw: str) -> None:
        """A line of an indented block (a song, a letter read out) belongs to the speech before it."""
        text = strip_markup(raw).strip(SPACES)
        if self.speaker is None:
            self._open(self.last_speaker, "", "play")
        self._add(text)

    def _place_and_time(self, name: str, rest: str, style: str) -> bool:
        """茶の間　　朝 before the first speech is a heading (a place and a time), not a speaker."""
        if style != "play" or self.last_speaker:
            return False
        rest = rest.strip(SPACES)
        return bool(TIME_RE.fullmatch(rest)) or bool(self.cast and name not in self.cast and len(rest) <= 12)

    def _cast_line(self, stripped: str) -> bool:
        if match_speech(stripped) and stripped.split()[0] in SETTING_NAMES:
            self.in_cast = False
            return False
        name = re.split(r"[\s（(、・,]", stripped, maxsplit=1)[0]
        if name:
            self.cast.add(clean_speaker(name))
        return True

    def _speaker_name(self, written: str) -> str | None:
        """The cleaned speaker for a name prefix, or None when it is no speaker (時, 所, a number...)."""
        if written in self.names:
            return self.names[written]
        name = clean_speaker(written)
        ok = name and not _bad_name(written) and (name not in SETTING_NAMES or name in self.cast)
        if len(self.names) < 10000:  # names repeat: the cache keeps a big script fast
            self.names[written] = name if ok else None
        return name if ok else None

    def _blank(self) -> None:
        if self.in_cast and self.cast:
            self.in_cast = False
        self._close_speech()
        if self.conv and not self.blank_since_speech:
            # The first blank after a speech; directions met from here on mark a pause, not a new scene.
            self.blank_since_speech = True
            self.direction_since_blank = False

    def _open(self, name: str, rest: str, style: str) -> None:
        if self.speaker is not None:
            self._close_speech()
        if self.force_break or (self.blank_since_speech and not self.direction_since_blank):
            self.flush()
        elif len(self.conv) >= MAX_LINES_PER_CONVERSATION:
            self.flush()
        self.force_break = self.blank_since_speech = self.direction_since_blank = False
        self.speaker, self.style, self.parts = name, style, []
        self.last_speaker = name
        if rest:
            self._add(rest)

    def _unprefixed(self, stripped: str) -> None:
        if self.speaker is not None:
            self._add(stripped)
            return
        text, open_direction = strip_directions(stripped)
        if not text.strip(SPACES):  # a stage direction on its own line
            # A pause （間） keeps the scene; （暗転） or （翌朝） starts a new one.
            if SCENE_WORDS_RE.search(stripped):
                self.force_break = True
            self.direction_since_blank = True
            self.in_direction = open_direction
        elif SCENE_HEADING_RE.match(stripped):
            self.flush()
            self.title = heading_title(stripped)
        elif self.blank_since_speech:
            self.force_break = True  # narration opening a new block in an SS script

    def _add(self, text: str) -> None:
        self.parts.append(text)
        if self.style == "ss":
            joined = "".join(self.parts)
            if joined and joined[0] in CLOSERS and _close_ss(joined)[1]:
                self._close_speech()

    def _close_speech(self) -> None:
        if self.speaker is None:
            return
        joined = "".join(self.parts)
        if self.style == "ss" and joined[:1] in CLOSERS:
            joined = _close_ss(joined)[0]
        text, self.in_direction = strip_directions(joined)
        text = text.strip(SPACES)
        if text:
            self.conv.append(self._line(self.speaker, text))
        self.speaker, self.parts, self.style = None, [], ""

    def _line(self, speaker: str, text: str) -> ParsedLine:
        """A joint speaker (母と兄, 夫・妻: every part a cast member) is nobody alone: unknown, said as such."""
        parts = JOINT_RE.split(speaker)
        if len(parts) > 1 and self.cast and all(part in self.cast for part in parts):
            note = f"{speaker}: {'・'.join(parts)}が一緒に言う台詞 (joint speakers: both, or one of them)"
            return ParsedLine("", text, "unknown", note)
        return ParsedLine(speaker, text)

    def flush(self) -> None:
        self._close_speech()
        if self.conv:
            lines, self.conv = self._fix_cast_typos(self.conv), []
            self.done.append(ParsedConversation(lines, self.title))

    def _fix_cast_typos(self, lines: list[ParsedLine]) -> list[ParsedLine]:
        """A speaker missing from the cast list, between two turns of one member in a two-person exchange,
        is that member's partner (a typo such as 奏 for 妻): reassigned, marked as a guess."""
        if len(self.cast) < 2:
            return lines
        for i, line in enumerate(lines):
            if line.speaker in self.cast or not 0 < i < len(lines) - 1:
                continue
            before, after = lines[i - 1].speaker, lines[i + 1].speaker
            others = self.cast - {before}
            if before == after and before in self.cast and len(others) == 1:
                guess = next(iter(others))
                line.context = f"「{line.speaker}」は人物表にない名前: 前後の話者から{guess}と推定"
                line.speaker, line.speaker_by = guess, "narration"
        return lines


def parse_script(lines: Iterable[str]) -> Iterator[ParsedConversation]:
    parser = ScriptParser()
    feed, done = parser.feed, parser.done
    for raw in aozora_body(lines):
        feed(raw)
        if done:
            yield from done
            done.clear()
    parser.flush()
    yield from done
