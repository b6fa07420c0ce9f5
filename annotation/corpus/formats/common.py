"""What the format parsers share: the parsed line and conversation, Aozora Bunko markup (notes, ruby,
gaiji, the legend block, the colophon, the title), speaker-name cleaning and scene headings. No Django.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

# Long scripts without scene breaks are cut so one conversation never holds a whole file in memory;
# training windows conversations at line boundaries anyway.
MAX_LINES_PER_CONVERSATION = 1000


@dataclass(slots=True)
class ParsedLine:
    speaker: str
    text: str
    speaker_by: str = "prefix"  # prefix | narration | unknown (the values of Line.SpeakerBy)
    context: str = ""


@dataclass(slots=True)
class ParsedConversation:
    lines: list[ParsedLine] = field(default_factory=list)
    title: str = ""


# --- Aozora Bunko markup, shared by novels and plays ----------------------------------------------
NOTE_RE = re.compile(r"※?［＃[^］]*］")
RUBY_RE = re.compile(r"《[^》]*》")
BREAK_NOTE_RE = re.compile(r"［＃[^］]*(?:改ページ|改丁|改段|改見開き|見出し)[^］]*］")
GAIJI_UNICODE_RE = re.compile(r"U\+([0-9A-Fa-f]{4,6})")
GAIJI_JIS_RE = re.compile(r"第[34]水準(\d)-(\d{1,2})-(\d{1,2})")
GAIJI_KANA_RE = re.compile(r"^※［＃(?:小書き|濁点付き|半濁点付き)?(?:平仮名|片仮名)([ぁ-ゖァ-ヺ])")
# An editor's remark in 〔…〕: Japanese words about the text (空白, 判読, 欠, ママ…), never a quote's words.
EDITORIAL_RE = re.compile(
    r"〔[^〔〕]*(?:空白|判読|欠|脱|不明|ママ|原文|底本|以下|以上|数字|数文字|一字|二字)[^〔〕]*〕"
)
LEGEND_RULE_RE = re.compile(r"^-{5,}\s*$")
COLOPHON_RE = re.compile(r"^底本[：:]")
SPACES = " \t\u3000"


def _gaiji(match: re.Match[str]) -> str:
    """A gaiji note ※［＃「…」、第3水準1-84-77］ becomes its character when the code says which; else nothing."""
    note = match.group(0)
    if not note.startswith("※"):
        return ""
    code = GAIJI_UNICODE_RE.search(note)
    if code:
        return chr(int(code.group(1), 16))
    jis = GAIJI_JIS_RE.search(note)
    if jis:
        plane, row, cell = (int(x) for x in jis.groups())
        raw = bytes([0xA0 + row, 0xA0 + cell]) if plane == 1 else bytes([0x8F, 0xA0 + row, 0xA0 + cell])
        try:
            return raw.decode("euc_jis_2004")
        except UnicodeDecodeError:
            pass
    # No code point: a small or voiced kana (※［＃小書き平仮名ん、…］) falls back to its base character, so
    # 僕※［＃小書き平仮名ん］とこ stays 僕んとこ rather than losing a sound.
    base = GAIJI_KANA_RE.search(note)
    return base.group(1) if base else ""


def strip_markup(line: str) -> str:
    """Remove ［＃…］ notes (quotes inside them included), gaiji descriptions, ruby 《…》 / ｜ and the
    editors' remarks 〔以下数文字分空白〕 (not the accented Latin that Aozora also writes in 〔…〕)."""
    if "［＃" in line:
        line = NOTE_RE.sub(_gaiji, line)
    if "〔" in line:
        line = EDITORIAL_RE.sub("", line)
    if "《" in line:
        line = RUBY_RE.sub("", line)
    return line.replace("｜", "")


def is_break_note(line: str) -> bool:
    return "［＃" in line and bool(BREAK_NOTE_RE.search(line))


def aozora_body(lines: Iterable[str]) -> Iterator[str]:
    """The body lines: the title/author lines and the ----- legend block dropped, stop at the 底本 colophon.

    The legend is only looked for near the top, so a long file without one streams straight through.
    """
    head: list[str] = []
    it = iter(lines)
    for line in it:
        head.append(line)
        if LEGEND_RULE_RE.match(line):
            for inner in it:  # skip to the closing rule
                if LEGEND_RULE_RE.match(inner):
                    break
            head = []
            break
        if len(head) >= 40:
            break
    for line in head:
        if COLOPHON_RE.match(line):
            return
        yield line
    for line in it:
        if COLOPHON_RE.match(line):
            return
        yield line


def aozora_title(head: Sequence[str]) -> str | None:
    """The work's title: the first line, when the file has the Aozora legend block below it."""
    if any(LEGEND_RULE_RE.match(line) for line in head[:40]):
        for line in head:
            if line.strip(SPACES):
                return strip_markup(line).strip(SPACES)[:300]
    return None


# A trailing note in brackets is an off-stage voice or a direction (名前（声）, 霊夢(小声で)); a group of
# digits only is no note but part of the name (男（30）, alert(43)) and stays.
SPEAKER_NOTE_RE = re.compile(r"[（(](?![0-9０-９]+[）)]$)[^（()）]*[）)]$")
# Line breaks, tabs and runs of spaces inside a name become one space; the full-width space is data.
INNER_SPACE_RE = re.compile(r"[^\S\u3000]+")


def clean_speaker(name: str) -> str:
    """Spaces trimmed at the ends; an off-stage voice (名前の声, 名前（声）) is that speaker's line.

    Otherwise the name is kept as written: full-width letters and spaces are data (NFKC is for matching
    only), and a trailing group of digits (男（30）) is part of the name."""
    name = name.strip(SPACES)
    name = SPEAKER_NOTE_RE.sub("", name).strip(SPACES)
    if name.endswith("の声") and len(name) > 2:
        name = name[:-2]
    return INNER_SPACE_RE.sub(" ", name)


SCENE_HEADING_RE = re.compile(
    r"^(?:第[一二三四五六七八九十百〇0-9０-９]+[場幕景章話部回節](?:[ \u3000].*)?|[一二三四五六七八九十]+|[0-9０-９]+|"
    r"序幕|終幕|[―—-]+幕[―—-]+|幕|[■◆◇□]+.*|[＊*☆★◇]{1,5}|[―—-]{3,}|【[^】]*】)$"
)
HEADING_MARKS = "■◆◇□◎●○★☆※＊*#＃"


def heading_title(line: str) -> str:
    """A scene or chapter heading as a conversation title: ■ 第一話　博麗神社 -> 第一話　博麗神社."""
    return line.strip(SPACES + HEADING_MARKS + "―—-")[:300]
