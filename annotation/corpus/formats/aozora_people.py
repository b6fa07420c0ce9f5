"""Who in a novel can be a speaker: the book's characters and nouns that denote a person. No Django.

A rule that finds the subject next to a quote can pick a noun that is no one (「…」一郎は気味が悪かった ->
気味, 「…」と看板が出ていた -> 看板). A name is kept only when it can denote someone:
- a first-person pronoun (the narrator), or a proper noun that is not a place (unidic 固有名詞, not 地名);
- a noun phrase whose head denotes a person or an animal character (男, 老人, 猟師, 狐, お母さん), or that
  carries an honorific or a person suffix (〜さん, 〜様, 〜君, 〜者, 〜師);
- a name the narration makes its topic (Xは) often: the book's own characters (赤シャツ, うらなり), whatever
  their part of speech. Its subject as a state (気味が悪い) does not count.
"""

from __future__ import annotations

from annotation.corpus.formats.morph import FIRST_PERSON, GROUP_WORDS, analyse

# A name the narration makes a subject this often is a character (not 看板, 電報).
CHARACTER_MIN_SUBJECTS = 3
# Topics (Xは) of the narration that make any noun a character of the book.
CHARACTER_MIN_TOPICS = 3
NARRATION_KEPT = 2_000_000  # characters of narration kept for those counts (a novel; a huge file stops)

# Common nouns for people and for the animals of tales: lemmas as unidic gives them.
PERSON_NOUNS = frozenset(
    "人 男 女 子 子供 娘 息子 青年 少年 少女 若者 老人 老婆 婆 爺 翁 媼 母 父 母親 父親 親 兄 弟 姉 妹 "
    "兄さん 姉さん 祖父 祖母 伯父 叔父 伯母 叔母 夫 妻 女房 亭主 主人 主婦 奥さん 旦那 客 先生 生徒 学生 "
    "医者 和尚 坊主 坊さん 僧 尼 神 神様 仏 仙人 鬼 悪魔 天狗 王 大王 王様 女王 王子 姫 殿 殿様 家来 侍 "
    "武士 兵 兵隊 兵士 将軍 巡査 警官 泥棒 盗人 百姓 商人 職人 猟師 漁師 船頭 車夫 女中 下女 下男 小僧 "
    "番頭 丁稚 小使 給仕 書生 車掌 運転手 門番 紳士 婦人 夫人 令嬢 博士 教師 校長 教頭 社長 村長 町長 役人 乞食 旅人 友達 友人 仲間 "
    "赤ん坊 坊や 坊ちゃん お嬢さん 嬢 爺さん 婆さん 叔父さん 小母さん 小父さん 母さん 父さん "
    "狐 狸 猫 犬 熊 鳥 馬 牛 鼠 野鼠 兎 蛙 猿 鹿 狼 虎 獅子 象 蛇 亀 鶏 雀 烏 鳩 蜂 蟻 鯉 山猫 子供達".split()
)
# Suffixes that make a noun a person: honorifics and 〜者 / 〜師 / 〜長 / 〜員 of a trade or a rank.
# The last character of a two-character noun of rank or trade (校長, 医者, 猟師, 商人, 将軍 is listed).
PERSON_END_CHARS = frozenset("長者師士官員人将王主夫婦嬢姫僧")
PERSON_SUFFIXES = frozenset(
    "さん 様 さま 君 くん ちゃん 殿 どの 氏 先生 者 師 士 長 員 官 夫 婦 嬢 子".split()
)


def person_noun(name: str) -> bool:
    """The name, read with the analyser, can denote someone by its words alone."""
    if name in FIRST_PERSON:
        return True
    words = [w for w in analyse(name) if w.pos1 != "補助記号"]
    if not words:
        return False
    if any(w.pos2 == "固有名詞" and w.pos3 != "地名" for w in words):
        return True
    last = words[-1]
    if any(w.lemma in GROUP_WORDS or w.surface in GROUP_WORDS for w in words):
        return False  # 夫婦, 全員: several people at once
    if last.pos1 == "接尾辞" and (last.surface in PERSON_SUFFIXES or last.lemma in PERSON_SUFFIXES):
        return True
    nouns = [w for w in words if w.pos1 == "名詞"]
    head = nouns[-1] if nouns else last
    if head.lemma in PERSON_NOUNS or head.surface in PERSON_NOUNS:
        return True
    if len(head.surface) >= 2 and head.surface[-1] in PERSON_END_CHARS:
        return True  # 校長, 医者, 猟師, 商人, 坊主: a word of rank or trade ends so
    return "".join(w.surface for w in words[-2:]).lstrip("お") in PERSON_NOUNS


class Characters(dict[str, int]):
    """Subject counts from the narration; `name in characters` when the name is a character's.

    A phrase the name pattern cannot see (狸の子, 野ねずみのお母さん) is counted in the narration read so far
    when it is asked about, so the analyser never has to read all of the narration."""

    def __init__(self) -> None:
        super().__init__()
        self.narration: list[str] = []
        self.size = 0
        self.confirmed: set[str] = set()
        self.people: dict[str, bool] = {}
        self._text = ""
        self._parts = 0  # how many parts of the narration self._text joins

    def text(self) -> str:
        """The narration read so far, joined once per change rather than once per question."""
        if self._parts != len(self.narration):
            self._text, self._parts = "".join(self.narration), len(self.narration)
        return self._text

    def read(self, part: str) -> None:
        if self.size < NARRATION_KEPT:
            self.narration.append(part)
            self.size += len(part)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str) or not name:
            return False
        if self.get(name, 0) >= CHARACTER_MIN_SUBJECTS or name in self.confirmed:
            return True
        text = self.text()
        if sum(text.count(name + particle) for particle in "はが") >= CHARACTER_MIN_SUBJECTS:
            self.confirmed.add(name)
            return True
        return False

    def topics(self, name: str) -> int:
        """How often the narration read so far makes the name its topic: `Xは`, not a state's `Xが`."""
        return self.text().count(name + "は")

    def can_speak(self, name: str) -> bool:
        """The name can be someone's: a pronoun, a person's noun or one of the book's characters."""
        if not name:
            return False
        # A no is asked again: the narration read so far grows, and with it the name's topics.
        if name not in self.people or not self.people[name]:
            self.people[name] = person_noun(name) or self.topics(name) >= CHARACTER_MIN_TOPICS
        return self.people[name]
