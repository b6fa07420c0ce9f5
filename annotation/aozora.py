"""Aozora Bunko novels: every 「…」 quote in the body becomes a line, its speaker guessed from narration.

No Django. The rules are general Japanese-prose rules, not fitted to one book:
- a paragraph is one physical line; ［＃…］ notes (and quotes inside them), ruby and gaiji notes go first;
- a quote left open at a paragraph's end continues into the next paragraph when that one closes it
  before opening another, and otherwise ends with its paragraph (a quote never closed);
- the speaker comes from the narration right after the quote (「…」と山嵐が云った, 「…」と云う声は清だ),
  else from the subject of the narration just before it (山嵐は大きな声で「…」と云った, 野だが「…」),
  else it is left unknown (speaker "") for a reviewer; the narration around a quote is kept as context;
- quotes of one passage form one conversation: blank lines, headings, page breaks and long stretches of
  narration end a passage.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .importers import (
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

# A name: a run of kanji/katakana/latin, optionally お- and an honorific or one final kana (野だ);
# or a first-person pronoun. Particles and verb endings never end a name.
_CORE = r"[一-龥々〆ヵヶ\u30a1-\u30fa\u30fc・ｦ-ﾟA-Za-zＡ-Ｚａ-ｚ]{1,10}"
_HONORIFIC = r"(?:さん|さま|様|君|くん|ちゃん|先生|氏|殿|どの|[だぞ])?"
_PRONOUN = r"おれ|俺|僕|ぼく|私|わたし|わたくし|あたし|わし|あたい|拙者|自分"
NAME = rf"(?:お?{_CORE}{_HONORIFIC}|{_PRONOUN})"
CONJ = r"(?:すると|そこで|それから|しかし|ところが|やがて|今度は|また|もう一度|突然|急に|再び|さらに|更に|すぐ)?、?"
SPEECH = (
    r"(?:云|言|いっ|いう|いい|いわ|いえ|聞|訊|尋|たず|きい|きく|きか|答|こたえ|問|叫|さけ|怒鳴|呶鳴|どな|"
    r"笑|わら|呼|述|話|はな|申|返|告|囁|ささや|呟|つぶや|喚|わめ|泣|嘆|頼|たの|断|命じ|教え|念を押|挨拶|"
    r"弁解|言訳|ぬかし|しゃべ|喋|促|威張|応じ|繰り返|くり返|詰|遣り込|やりこ|賞め|ほめ|褒め|罵|ののし|"
    r"怒|唸|うな|ぼや|からか|冷やか|注意|催促|説明|口を|声を|相槌|賛成|反対|質問|返答|承知|諭|さと|"
    r"叱|しか|たしなめ|誘|さそ|慰め|なぐさ|励ま|はげま|打ち明け|白状|独言|独り言|呟)"
)
# 「…」と山嵐が云った / 「…」とまた野だは笑った
AFTER_SUBJECT_RE = re.compile(rf"^と、?{CONJ}(?P<name>{NAME})(?:は|が|も)(?P<rest>[^。「」]{{0,30}})")
# 「…」と云う声は清だ / 「…」という声がした。山嵐の声だ
AFTER_VOICE_RE = re.compile(
    rf"^と(?:云|言|い)う声(?:は|が|で)、?(?P<name>{NAME})(?:の声)?(?:だ|である|であった|だった|です|らしい)"
)
# 「…」と言って、太郎は出ていった / 「…」と笑いながら花子が
AFTER_PARTICIPLE_RE = re.compile(
    rf"^と[^。「」、]{{0,8}}?(?:云|言|い|聞|訊|叫|答|笑)[^。「」、]{{0,4}}?(?:て|ながら)、?(?P<name>{NAME})(?:は|が|も)"
)
# 「…」という山嵐の声
AFTER_VOICE_OF_RE = re.compile(rf"^と(?:云|言|い)う(?P<name>{NAME})の声")
# 山嵐は大きな声で「 / 野だが、「 : the subject of the sentence that leads into the quote
BEFORE_SUBJECT_RE = re.compile(rf"^{CONJ}(?P<name>{NAME})(?:は|が|も)(?P<rest>[^。]*)$")
AFTER_SPEECH_RE = re.compile(rf"^と[^。「」]{{0,15}}?{SPEECH}")
SENTENCE_END_RE = re.compile(r"[。！？!?]")
NOT_NAMES = frozenset(
    "今度 今日 今 此 是 誰 何 事 時 方 声 顔 口 話 返事 言葉 眼 目 手 頭 心 気 中 上 下 前 後 間 所 処 者 人 "
    "皆 一同 二人 三人 両人 相手 向う 向こう 彼 彼女 それ これ あれ 訳 様子 調子 風 例 一人 誰か 何か 毎日 "
    "明日 昨日 今朝 今夜 晩 朝 夜 昼 自分 うち 家 ほか 外 みんな 先方 当人 本人 双方 連中 生徒 一方".split()
)


@dataclass
class Quote:
    text: str
    before: str
    after: str = ""


def _speech_allowed(rest: str) -> bool:
    return bool(re.search(SPEECH, rest))


def _name_ok(name: str) -> bool:
    return name not in NOT_NAMES and not name.isdigit()


CLAUSE_SPLIT_RE = re.compile(r"、|(?<=[るたうくすつだ])(?:と|から|ので|けれども|たら|ら)(?=[一-龥ァ-ヴお]|$)")
CONDITIONAL_RE = re.compile(r"(?:と|たら|ら|れば|ので|から)$")
CLAUSE_SUBJECT_RE = re.compile(rf"^{CONJ}(?P<name>{NAME})(?:は|が|も)")
JUST_BEFORE_RE = re.compile(rf"(?:^|(?<=[ぁ-ん、。」]))(?P<name>{NAME})(?:は|が|も)、?$")
# The narrator's own act: 「…」と云ってやった, 「…」と聞いてみたら (やる / みる / みせる after a speech verb).
NARRATOR_ACT_RE = re.compile(
    rf"^と[^。「」]{{0,10}}?{SPEECH}[^。「」]{{0,6}}?て(?:やっ|やる|やろ|やり|み|みせ)"
)
PRONOUN_TOPIC_RE = re.compile(rf"(?:^|(?<=[、。」]))({_PRONOUN})(?:は|が)")


def _subject_before(before: str) -> str:
    """The subject of the clause that leads into the quote, if the narration names one."""
    sentence = SENTENCE_END_RE.split(before)[-1].strip(SPACES)
    m = JUST_BEFORE_RE.search(sentence)
    if m and _name_ok(m.group("name")):
        return m.group("name")
    pieces = CLAUSE_SPLIT_RE.split(sentence)
    separators = CLAUSE_SPLIT_RE.findall(sentence)
    for index in range(len(pieces) - 1, -1, -1):
        m = CLAUSE_SUBJECT_RE.match(pieces[index].strip(SPACES))
        if m and _name_ok(m.group("name")):
            return m.group("name")
        # A conditional (…と, …たら) hands the turn to someone else: the subject before it did not speak.
        if index > 0 and CONDITIONAL_RE.search(separators[index - 1]):
            return ""
    return ""


def guess_speaker(before: str, after: str, narrator: str = "") -> str:
    """The speaker named by the narration around a quote, or "".

    `narrator` is the first-person pronoun of a first-person narrative (おれ), used when the verb after
    the quote is the narrator's own act (と云ってやった)."""
    for rule in (AFTER_VOICE_RE, AFTER_VOICE_OF_RE, AFTER_PARTICIPLE_RE):
        m = rule.match(after)
        if m and _name_ok(m.group("name")):
            return m.group("name")
    m = AFTER_SUBJECT_RE.match(after)
    if m and _name_ok(m.group("name")):
        rest = SENTENCE_END_RE.split(m.group("rest"), maxsplit=1)[0]
        if _speech_allowed(rest[:20]):
            return m.group("name")
    if AFTER_SPEECH_RE.match(after) or not after.strip(SPACES) or len(SENTENCE_END_RE.split(before)[-1]) < 40:
        name = _subject_before(before)
        if name:
            return name
    if narrator and NARRATOR_ACT_RE.match(after):
        return narrator
    return ""


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
        self.narration = 0  # characters of narration since the last quote
        self.carry: Quote | None = None  # a quote still open at the end of the previous paragraph
        self.title = ""
        self.pronouns: dict[str, int] = {}  # first-person topics in narration: who tells the story

    @property
    def narrator(self) -> str:
        if not self.pronouns:
            return ""
        name, count = max(self.pronouns.items(), key=lambda item: item[1])
        return name if count >= 3 else ""

    def passage_break(self) -> Iterator[ParsedConversation]:
        yield from self._end_carry()
        if self.conv:
            yield ParsedConversation(self.conv, self.title)
        self.conv = []
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
            if self.conv:
                yield ParsedConversation(self.conv, self.title)
            self.conv = []
        self.narration = 0
        speaker = guess_speaker(quote.before, quote.after, self.narrator)
        context = (quote.before[-CONTEXT_CHARS:] + "「…」" + quote.after[:CONTEXT_CHARS]).strip(SPACES)
        self.conv.append(ParsedLine(speaker, text, "narration" if speaker else "unknown", context))

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
                self.narration += len(part.strip(SPACES))
                for pronoun in PRONOUN_TOPIC_RE.findall(part):
                    self.pronouns[pronoun] = self.pronouns.get(pronoun, 0) + 1
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
