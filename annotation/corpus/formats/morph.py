"""Who does the speaking in a sentence of narration, read with a morphological analyser.

No Django. fugashi (MeCab) with the unidic-lite dictionary splits the narration next to a quote into words
with their part of speech and dictionary form, so the rules can ask general questions instead of matching
one book's spelling: is there a speech verb (云いました, 呶鳴る, 問ひかけ, 答をしました: one lemma each, any
kana usage), is it negated or only intended (返事もしませんでした, 答えようとした), and which noun phrase is
its subject (ゴーシュが, 片目眇の老人は, 野ねずみのお母さんは). A pronoun or a group there names nobody.

fugashi is imported on first use, so a process that never imports a novel never loads the dictionary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

# Speech verbs by their UniDic lemma (the dictionary form, whatever the kana usage: 云ひ, 言い, いっ).
SPEECH_LEMMAS = frozenset(
    "言う 申す 答える 叫ぶ 喚く 怒鳴る 尋ねる 問う 訊く 囁く 呟く 述べる 話す 語る 告げる 罵る 促す 呼ぶ "
    "叱る 叱り付ける 怒鳴り付ける 言い付ける 言い掛ける 言い張る 言い返す 言い捨てる 問い掛ける 問い返す "
    "聞き返す 付け加える 言い足す 呼び掛ける 嘆く 頼む 詫びる 謝る 誓う 脅す 嚇す 命じる 諭す 宥める "
    "励ます 慰める 応える 返す 唸る 呻く 嘯く".split()
)
# Nouns that speak with する: 答をしました, 返事をした, 言上しました.
SPEECH_NOUNS = frozenset(
    "答え 返事 返答 返辞 挨拶 質問 言上 命令 白状 説明 相槌 催促 弁解 独り言 独言 注意".split()
)
# Verbs that speak only when the quotative と is right before them (と聞いた, と笑った): alone they listen
# (言葉を聞くと) or react.
QUOTATIVE_ONLY = frozenset("聞く 笑う 泣く 頷く 微笑む".split())
NEGATIONS = frozenset("ない ぬ ず まい".split())
PASSIVES = frozenset("れる られる".split())
# A subject that is several people: 仲間もみんな, 鬼どもは一斉に, 二人は.
GROUP_WORDS = frozenset(
    "皆 みんな 一同 一斉 二人 三人 両人 連中 人々 皆んな 口々 めいめい 全員 夫婦 両親 一家".split()
)
GROUP_SUFFIXES = frozenset("たち 達 ども 共 ら 等 がた 方".split())
# Nouns that are never someone's name, even as a subject: time, manner, body, things said.
NOT_PEOPLE = frozenset(
    "事 こと 時 方 声 顔 口 話 言葉 眼 目 手 頭 心 気 中 上 下 前 後 間 所 者 人 物 もの 様子 調子 風 "
    "返事 答え 今度 今日 明日 昨日 今 朝 夜 昼 晩 内 うち 外 ほか 通り 為 訳 筈 程 位 方角 声色 調べ".split()
)
SUBJECT_PARTICLES = frozenset("は が も".split())
SENTENCE_ENDS = frozenset("。！？!?")


@dataclass(frozen=True, slots=True)
class Morph:
    surface: str
    pos1: str
    pos2: str
    pos3: str
    lemma: str
    form: str  # the conjugated form: 意志推量形 (答えよう) says an intention, not an act


@lru_cache(maxsize=1)
def _tagger():  # type: ignore[no-untyped-def]
    import fugashi

    return fugashi.Tagger()


@lru_cache(maxsize=8192)
def analyse(text: str) -> tuple[Morph, ...]:
    """The words of `text` (cached: the same narration is looked at by several rules)."""
    words = []
    for word in _tagger()(text):
        f = word.feature
        lemma = f.lemma or word.surface
        words.append(Morph(word.surface, f.pos1, f.pos2, f.pos3, lemma.split("-")[0], f.cForm or ""))
    return tuple(words)


def _is_nominal(m: Morph) -> bool:
    return m.pos1 in ("名詞", "接頭辞", "接尾辞") or (m.pos1 == "代名詞")


def _noun_phrase_before(words: Sequence[Morph], end: int) -> tuple[int, str]:
    """The noun phrase ending just before words[end] (its start and its text); Xの Y chains are one phrase
    (狸の子, 野ねずみのお母さん), a leading modifier (一ばん若い) is not part of it."""
    start = end
    while start > 0 and _is_nominal(words[start - 1]):
        start -= 1
        if start >= 2 and words[start - 1].surface == "の" and _is_nominal(words[start - 2]):
            start -= 1
    while start < end and words[start].surface == "の":
        start += 1
    # ある時自分は, 今日太郎は: a word of time before the head is an adverb, not part of the name.
    while start < end - 1 and words[start].pos3 == "副詞可能" and words[start + 1].surface != "の":
        start += 1
    return start, "".join(m.surface for m in words[start:end])


@dataclass(frozen=True, slots=True)
class Subject:
    name: str  # "" when the subject is someone not nameable (a pronoun, a group)
    index: int  # the particle's position
    head: Morph
    pronoun: str = ""  # a first-person pronoun as written (私, おれ): the narrator of the story


FIRST_PERSON = frozenset("おれ 俺 僕 ぼく 私 わたし わたくし あたし わし あたい 吾輩 我輩 拙者 自分".split())


def subjects(words: Sequence[Morph]) -> list[Subject]:
    """Every `X は/が/も` of the sentence with its noun phrase."""
    found = []
    for i, m in enumerate(words):
        if m.surface not in SUBJECT_PARTICLES or m.pos1 != "助詞" or i == 0:
            continue
        if m.surface == "が" and m.pos2 != "格助詞":
            continue  # the conjunction が (…ましたが) is no subject marker
        start, phrase = _noun_phrase_before(words, i)
        if start == i:
            continue
        head = words[i - 1]
        found.append(
            Subject(_person(phrase, head, words, i), i, head, phrase if phrase in FIRST_PERSON else "")
        )
    return found


def _person(phrase: str, head: Morph, words: Sequence[Morph], particle: int) -> str:
    """The phrase as a speaker's name, or "" for a pronoun, a group, a thing or a word of time."""
    after = "".join(m.surface for m in words[particle + 1 : particle + 3])
    if head.pos1 == "代名詞" or head.surface in GROUP_SUFFIXES or head.lemma in GROUP_WORDS:
        return ""
    if any(word in after for word in GROUP_WORDS):
        return ""  # 仲間もみんな: several people
    if head.surface in NOT_PEOPLE or head.lemma in NOT_PEOPLE or head.pos3 in ("副詞可能", "助数詞可能"):
        return ""
    if head.pos2 == "数詞" or phrase.isdigit() or len(phrase) > 16:
        return ""
    return phrase


def _speech_at(words: Sequence[Morph], i: int, quotative: bool) -> bool:
    """words[i] is a speech act that happens (not negated, not only intended, not a noun like 尋ね方)."""
    m = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else None
    if m.pos1 == "動詞":
        asks = m.lemma == "聞く" and [w.lemma for w in words[i + 1 : i + 3]] == ["て", "見る"]
        if m.lemma not in SPEECH_LEMMAS and not (quotative and m.lemma in QUOTATIVE_ONLY) and not asks:
            return False  # 聞いて見た asks; 聞いた alone may only listen
        if nxt is not None and nxt.pos1 == "接尾辞":
            return False  # 尋ね方: the way of asking
        if m.lemma == "言う" and _kana(m.surface) and not quotative:
            return False  # ほどはいってきました is 入って, not 言って: kana alone is too ambiguous
        nominal = m.form.startswith("連体形") and nxt is not None and nxt.pos1 == "名詞"
        if m.lemma == "言う" and nominal and i > 0 and words[i - 1].surface == "と":
            return False  # 殺したと云う自覚: "that", not a speech act (かう言ふ内に is one)
    elif m.pos1 == "名詞" and m.lemma in SPEECH_NOUNS:
        tail = [w.lemma for w in words[i + 1 : i + 3]]
        if "為る" not in tail:
            return False
    else:
        return False
    if m.form.startswith("意志推量"):
        return False
    following = words[i + 1 : i + 6]
    if any(w.pos1 == "助動詞" and w.lemma in PASSIVES for w in following[:2]):
        return False  # 嚇されても: the subject was spoken to
    return not any(w.pos1 == "助動詞" and w.lemma in NEGATIONS for w in following) and not any(
        w.form.startswith("意志推量") for w in following[:3]
    )


def _kana(text: str) -> bool:
    return all("\u3041" <= ch <= "\u309f" for ch in text)


def speech_index(words: Sequence[Morph], quoted: bool = False) -> int | None:
    """The position of the first speech act in the words, or None. `quoted`: the words follow the quote
    they speak (「…」次郎がききました), so ききました asks rather than listens."""
    for i in range(len(words)):
        if _speech_at(words, i, _quotative(words, i) or quoted or i == 0):
            return i
    return None


def _quotative(words: Sequence[Morph], i: int) -> bool:
    """と right before words[i] quotes something; after an adverb (からからと笑った) it is manner."""
    return (
        i > 0
        and words[i - 1].surface == "と"
        and words[i - 1].pos1 == "助詞"
        and (i < 2 or words[i - 2].pos1 != "副詞")
    )


def reports_speech(sentence: str) -> bool:
    """自分はただ待っていると答えた: the sentence's speech act carries its own words (…と答えた), so it
    reports a turn of its own rather than naming who said the quote next to it."""
    words = analyse(sentence)
    verb = speech_index(words)
    return verb is not None and verb >= 2 and _quotative(words, verb)


def first_sentence(text: str) -> str:
    for i, ch in enumerate(text):
        if ch in SENTENCE_ENDS or ch in "「」":
            return text[:i]
    return text


# Conjunctive particles that end a clause of its own (not て: 立ち上がって申しました is one subject's).
CLAUSE_ENDS = frozenset("ので から と ば たら のに けれど けれども が".split())


def _in_clause(words: Sequence[Morph], subject: Subject, verb: int) -> bool:
    if words[subject.index].surface != "が":
        return False
    between = words[subject.index + 1 : verb]
    if any(w.pos2 == "接続助詞" and w.lemma in CLAUSE_ENDS for w in between):
        return True
    # ので read as の + で: 来たので
    return any(a.pos2 == "準体助詞" and b.lemma == "だ" for a, b in zip(between, between[1:], strict=False))


def speaker_of_speech(sentence: str) -> Subject | None:
    """The subject of the first speech act of the sentence: 杜子春は…かう言ひました -> 杜子春,
    老人がここまで言ひかけると、杜子春は… -> 老人. None when the sentence has no speech act or no subject."""
    words = analyse(sentence)
    verb = speech_index(words)
    if verb is None:
        return None
    before = [s for s in subjects(words[:verb]) if s.index < verb]
    marked = [s for s in before if words[s.index].surface in ("は", "が")]
    before = marked or before  # 森羅殿も崩れる程: も inside a clause of manner is no subject of the act
    # 太郎は、次郎が来たので、こう申しました: a が-subject inside a clause that ends before the verb is
    # that clause's, not the speaker.
    before = [s for s in before if not _in_clause(words, s, verb)]
    if not before:
        return None
    # The nearest subject speaks; a voice (閻魔大王の声は) is its owner's.
    return before[-1]


def quotative_subject(after: str) -> Subject | None:
    """「…」と一ばん若い客が、呶鳴るように言いました: the subject of the speech verb right after the quotative
    と, when it comes before any other verb (a verb first makes a clause of its own: と言われて太郎は…)."""
    words = analyse(first_sentence(after[1:]))
    verb = speech_index(words, quoted=True)
    if verb is None:
        return None
    marked = [s for s in subjects(words[:verb]) if words[s.index].surface in ("は", "が")]
    if len(marked) != 1 or any(w.pos1 == "動詞" for w in words[: marked[0].index]):
        return None
    return marked[0]


def opening_subject(sentence: str) -> Subject | None:
    """The subject opening the sentence (after a conjunction such as すると): ゴーシュは窓を指さしました."""
    words = analyse(sentence)
    found = subjects(words)
    if not found:
        return None
    first = found[0]
    lead = words[: first.index]
    start, _ = _noun_phrase_before(words, first.index)
    if any(w.pos1 not in ("接続詞", "副詞", "補助記号") for w in lead[:start]):
        return None  # a clause comes first: its subject is not the sentence's
    return first


def has_speech(sentence: str, quoted: bool = False) -> bool:
    return speech_index(analyse(sentence), quoted) is not None


def state_subject(rest: str) -> bool:
    """The words after `Xが` make X the subject of a state, not of an act: 気味が悪かった, 気味が悪そうに."""
    words = analyse(rest[:8])
    return bool(words) and words[0].pos1 in ("形容詞", "形状詞")


def voice_owner(sentence: str) -> str:
    """閻魔大王の声は雷のやうに響きました / 杜子春の声には…: whose voice the sentence opens with."""
    words = analyse(sentence)
    for i in range(1, min(len(words), 12)):
        if words[i].surface == "声" and words[i - 1].surface == "の":
            start, phrase = _noun_phrase_before(words, i - 1)
            if start < i - 1 and all(w.pos1 in ("接続詞", "副詞", "補助記号") for w in words[:start]):
                return _person(phrase, words[i - 2], words, i)
    return _voice_identified(words)


# What says the voice was someone's: 〜の声だ / でした / である, 〜の声に違いない / 相違ない.
IDENTIFYING = frozenset("だ です である".split())


def _voice_identified(words: Sequence[Morph]) -> str:
    """それは確かに母親の声に違いありません / たしかに兄の声だ: the sentence says whose the voice was."""
    for i in range(2, len(words) - 1):
        if words[i].surface != "声" or words[i - 1].surface != "の" or words[i - 2].pos1 != "名詞":
            continue
        tail = words[i + 1 : i + 3]
        said = tail[0].pos1 == "助動詞" and tail[0].lemma in IDENTIFYING
        sure = len(tail) > 1 and tail[0].surface == "に" and tail[1].lemma in ("違い", "相違")
        if said or sure:
            start, phrase = _noun_phrase_before(words, i - 1)
            return _person(phrase, words[i - 2], words, i) if start < i - 1 else ""
    return ""
