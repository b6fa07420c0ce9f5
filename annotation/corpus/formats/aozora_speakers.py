"""Who says a quote in a novel: general rules on the narration around 「…」, no Django, no book's words.

Per quote (`attribute`), the first rule that applies decides (a name, or "" = unknown):
1. a passive names its agent (「…」と母に叱られた -> 母); a passive without one is someone else's words;
2. a subject right after the quote: 「…」と山嵐が云った, 「…」とまた野だは笑った, 「…」と云う声は清だ,
   「…」正しく野だの声である, 「…」と言って太郎は (the quotative と binds the quote to that subject's act;
   with an act that is not speech only a known character counts: 「営業中」と看板が出ていた is nobody's);
   a group (二人, 一同), a pronoun (彼女) or a listener (耳を疑った) there: unknown;
3. the narrator's own act in a first-person story, no other subject named: と云ってやった, と聞いてみたら,
   と云ったら, と云うと, と答えたら, と云っても (not と言ってくれた / もらった: those are someone else's);
4. the subject of the sentence that leads into the quote: 山嵐は大きな声で「…」と云った;
5. the subject opening the sentence just before, when that sentence is an act, not a state:
   しばらくして山嵐はまた起立した。「…」 (山田は黙っていた。「…」 names nobody);
6. in a first-person story, と云って門を出た (a subjectless act) is the narrator's unless the narration
   just before names someone else as a subject.
Then per conversation (`resolve_exchanges`), for quotes still unknown whose speech verb has no subject
(と聞いた, と答えた, と云うから):
7. the one the quote before was spoken to answers: 野だに「…」と聞いたら「…」と答えた;
8. in a first-person story, a reply next to the narrator's line is the narrator's partner: the person the
   narration says they met, visited or called (清を尋ねたら, 山嵐に出っ喰わした, 小使を呼んで), else the
   last person who spoke or was spoken to in this passage;
9. two people alternating (A ? A with only B near) give the gap to B.
Anything else stays "" for a reviewer: a wrong name is worse than none. A name must also be able to denote
someone (aozora_people.py): 気味, 看板 are no one, whatever rule found them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from annotation.corpus.formats.aozora_people import person_noun
from annotation.corpus.formats.morph import state_subject

# A name: a run of kanji/katakana/latin, optionally お- and an honorific or one final kana (野だ);
# or a first-person pronoun. Particles and verb endings never end a name.
_CORE = r"[一-龥々〆ヵヶ\u30a1-\u30fa\u30fc・ｦ-ﾟA-Za-zＡ-Ｚａ-ｚ]{1,10}"
_HONORIFIC = r"(?:さん|さま|様|君|くん|ちゃん|先生|氏|殿|どの|[だぞ])?"
PRONOUN = r"おれ|俺|僕|ぼく|私|わたし|わたくし|あたし|わし|あたい|吾輩|我輩|拙者|自分"
NAME = rf"(?:お?{_CORE}{_HONORIFIC}|{PRONOUN})"
CONJ = (
    r"(?:すると|そこで|それから|しかし|ところが|やがて|今度は|また|もう一度|突然|急に|再び|さらに|更に|すぐ|"
    r"ふたたび|すかさず|思わず)?、?"
)
SPEECH = (
    r"(?:云|言|いっ|いう|いい|いわ|いえ|聞|訊|尋|たず|きい|きく|きか|答|こたえ|問|叫|さけ|怒鳴|呶鳴|どな|"
    r"笑|わら|呼|述|話|はな|申|返|告|囁|ささや|呟|つぶや|喚|わめ|泣|嘆|頼|たの|断|命じ|教え|念を押|挨拶|"
    r"弁解|言訳|ぬかし|しゃべ|喋|促|威張|応じ|繰り返|くり返|詰|遣り込|やりこ|賞め|ほめ|褒め|罵|ののし|"
    r"怒|唸|うな|ぼや|からか|冷やか|注意|催促|説明|口を|声を|相槌|賛成|反対|質問|返答|承知|諭|さと|"
    r"叱|しか|たしなめ|誘|さそ|慰め|なぐさ|励ま|はげま|打ち明け|白状|独言|独り言|つけ|付け|足し|加え)"
)
SENTENCE_END_RE = re.compile(r"[。！？!?]")
NOT_NAMES = frozenset(
    "今度 今日 今 此 是 誰 何 事 時 方 声 顔 口 話 返事 言葉 眼 目 手 頭 心 気 中 上 下 前 後 間 所 処 者 人 "
    "相手 向う 向こう 彼 彼女 それ これ あれ 訳 様子 調子 風 例 誰か 何か 毎日 奴 やつ 男 女 "
    "明日 昨日 今朝 今夜 晩 朝 夜 昼 自分 うち 家 ほか 外 先方 当人 本人 一方 第一".split()
)
# Someone, but not a name a reviewer could use.
PERSONS = frozenset(
    "彼 彼女 彼等 彼ら あいつ こいつ そいつ 奴 やつ 男 女 誰 誰か 相手 先方 当人 本人".split()
)
# Several people at once: the quote is theirs together, no one speaker.
GROUPS = frozenset("皆 皆んな みんな 一同 二人 三人 両人 双方 連中 一人 誰も 人々 両方 生徒一同".split())

GROUP_AFTER = ("みんな", "皆", "一同", "一斉", "口々", "揃って")
# 「…」と山嵐が云った / 「…」とまた野だは笑った
AFTER_SUBJECT_RE = re.compile(rf"^と、?{CONJ}(?P<name>{NAME})(?:は|が|も)(?P<rest>[^。「」]{{0,30}})")
# 「…」と云う声は清だ
AFTER_VOICE_RE = re.compile(
    rf"^と(?:云|言|い)う声(?:は|が|で)、?(?P<name>{NAME})(?:の声)?(?:だ|である|であった|だった|です|らしい)"
)
# 「…」と言って、太郎は出ていった / 「…」と笑いながら花子が
AFTER_PARTICIPLE_RE = re.compile(
    rf"^と[^。「」、]{{0,8}}?(?:云|言|い|聞|訊|叫|答|笑)[^。「」、]{{0,4}}?(?:て|ながら)、?(?P<name>{NAME})(?:は|が|も)"
)
# 「…」正しく野だの声である (the narration names whose voice it was)
VOICE_IDENT_RE = re.compile(
    rf"^、?(?:正しく|まさしく|確かに|たしかに|紛れもなく|まぎれもなく)?(?P<name>{NAME})の声(?:だ|である|であった|だった|です|らしい)"
)
# 「…」という山嵐の声
AFTER_VOICE_OF_RE = re.compile(
    rf"^と(?:云|言|い)[うふ](?P<name>{NAME})の(?:声|言葉|戒め|叫び|命令|教え|注意)"
)
# The listener's reaction, not the speaker's act: 「…」と太郎は耳を疑った.
LISTENER_RE = re.compile(r"耳を|聞こえ|聞き流|聞きとが|聞き咎")
# Someone reacting to what was said (「…」太郎ははっとしました): the listener, not the speaker.
REACTION_RE = re.compile(r"はっと|ぎょっと|びっくり|驚|呆|あっけ|耳を|聞こえ|聞え|黙|だま")
# The verb of the quote with no subject: と + a few words of manner + a speech verb.
SUBJECTLESS_RE = re.compile(rf"^と(?P<adv>[^。「」]{{0,8}}?){SPEECH}(?P<tail>[^。「」]{{0,10}})")
# The narrator's act: a conditional or やる/みる after the verb (と云ったら, と云うと, と聞いてみたら).
NARRATOR_FORM_RE = re.compile(
    r"^[^。「」、]{0,6}?(?:(?:たら|ても|ては|(?<=[うくすつぬむるぐぶ])と)(?![ぁ-ゖ])|てやっ|てやる|てやろ|てやり|てみ|でみ)"
)
# The conditional on any verb: 「…」とぽかりと撲ったら / とつけたら.
ANY_CONDITIONAL_RE = re.compile(
    r"^と(?![^。「」、]{0,10}?(?:書|記|聞こえ|なっ|決ま|分か|わか))[^。「」、]{0,10}?(?:たら|ても)(?![ぁ-ゖ])"
)
# A longer manner before the narrator's own conditional speech verb: と顔を後ろへ振り向けるようにして聞いたら.
SPEECH_CONDITIONAL_RE = re.compile(
    rf"^と(?P<manner>[^。「」、]{{0,24}}?){SPEECH}[^。「」、]{{0,4}}?たら(?![ぁ-ゖ])"
)
# The quote used as a noun's content, not spoken here: 「…」という噂, 「…」と云うのは, 「…」と書いた札.
NOMINAL_RE = re.compile(
    r"^と(?:いう|言う|云う|いふ|言ふ|云ふ|いった|言った|云った)(?:(?!声|返事|答|返答|挨拶)[一-龥ァ-ヴ]|の[はがでをに]|もの|こと|ような|様な)"
)
# と云って門を出た goes on to another act; と云っている (progressive) describes someone else saying it.
TE_FORM_RE = re.compile(
    r"^(?:(?:って|いて|して|て|で)(?!い[るたまれ]|る|居)|いすてて|い残して|い捨てて|いながら|ながら)"
)
SUBJECT_IN_RE = re.compile(rf"(?:^|(?<=[、。」\u3000ぁ-ゖ]))(?P<name>{NAME})(?:は|が)")
PASSIVE = r"[ぁ-ゖ]?[かがさたなばまらわ]れ(?!ば)"  # 言われ, 叱られ, 聞かされ (not 教えてくれ, 答えれば)
# The passive names the speaker as its agent: 「…」と母に叱られた, と山田に聞かれたら.
PASSIVE_AGENT_RE = re.compile(rf"^と、?(?P<name>{NAME})に(?:[^。「」]{{0,6}}?){PASSIVE}")
PASSIVE_RE = re.compile(rf"^と[^。「」]{{0,8}}?{SPEECH}{PASSIVE}")
# Someone said it for the subject: と言ってくれた, と教えてもらったら.
FAVOUR_RE = re.compile(
    rf"^と[^。「」]{{0,8}}?{SPEECH}[^。「」、]{{0,3}}?[てで](?:もら|貰|くれ|呉れ|くださ|下さ|いただ|頂)"
)
ADDRESSEE_AFTER_RE = re.compile(rf"(?P<name>{NAME})に(?:向って|向かって|むかって)?、?{SPEECH}")
ADDRESSEE_BEFORE_RE = re.compile(
    rf"(?P<name>{NAME})(?:に(?:向って|向かって|むかって|見せて|対して)?|を呼んで|を呼びとめて|を捕まえて)、?$"
)
# Whom the narrator meets, visits or calls: the other side of the exchange that follows.
ENCOUNTER_RE = re.compile(
    rf"(?:^|(?<=[、。ぁ-ゖ]))(?P<name>{NAME})(?:に(?:逢|会|出逢|出会|出っ喰わ|出くわ)|を(?:尋ね|訪ね|訪れ|呼ん|呼び|呼ぶ))"
)
PRONOUN_TOPIC_RE = re.compile(rf"(?:^|(?<=[、。」]))({PRONOUN})(?:は|が)")
CLAUSE_SPLIT_RE = re.compile(r"、|(?<=[るたうくすつだ])(?:と|から|ので|けれども|たら|ら)(?=[一-龥ァ-ヴお]|$)")
CONDITIONAL_RE = re.compile(r"(?:と|たら|ら|れば|ので|から)$")
CLAUSE_SUBJECT_RE = re.compile(rf"^{CONJ}(?P<name>{NAME})(?:は|が|も)")
STATE_END_RE = re.compile(
    r"(?:[てで](?:い|居)(?:た|る)|ている|ていた|なかった|ない|だ|である|であった|だった)$"
)
TOPIC_RE = re.compile(rf"^{CONJ}(?P<name>{NAME})は")
JUST_BEFORE_RE = re.compile(rf"(?:^|(?<=[ぁ-ん、。」]))(?P<name>{NAME})(?:は|が|も)、?$")
SPACES = " \u3000\t"


@dataclass
class Attribution:
    speaker: str = ""
    reply: bool = False  # a speech verb with no subject: someone answered (rules 5-7 may name them)
    addressee: str = ""  # whom the narration says the quote was spoken to


def name_ok(name: str) -> bool:
    return name not in NOT_NAMES and name not in GROUPS and not name.isdigit()


def _last_sentence(before: str) -> str:
    return SENTENCE_END_RE.split(before)[-1].strip(SPACES)


def _previous_sentence(before: str) -> str:
    """The sentence that ends right before the quote, when the quote opens a new sentence."""
    parts = [p.strip(SPACES) for p in SENTENCE_END_RE.split(before)]
    if parts[-1] or len(parts) < 2:
        return ""
    return parts[-2]


def subject_before(before: str) -> str:
    """The subject of the clause that leads into the quote, if the narration names one."""
    sentence = _last_sentence(before)
    m = JUST_BEFORE_RE.search(sentence)
    if m and name_ok(m.group("name")):
        return m.group("name")
    pieces = CLAUSE_SPLIT_RE.split(sentence)
    separators = CLAUSE_SPLIT_RE.findall(sentence)
    for index in range(len(pieces) - 1, -1, -1):
        piece = pieces[index].strip(SPACES)
        m = CLAUSE_SUBJECT_RE.match(piece)
        if m and _in_a_state(m.group("name"), piece[m.end() :]):
            return ""  # 気味が悪くて「…」: the subject of a state
        if m and name_ok(m.group("name")):
            # 太郎が顔を見ると、「…」: the clause of when ends at its 、 and hands the turn on.
            if index < len(pieces) - 1 and _ends_handing_on(piece, m.group(0).rstrip("、")[-1]):
                return ""
            # 仲間もみんな立って来て「…」: several people speak together, no one speaker.
            return "" if piece[m.end() :].startswith(GROUP_AFTER) else m.group("name")
        # A conditional (…と, …たら) hands the turn to someone else: the subject before it did not speak.
        if index > 0 and CONDITIONAL_RE.search(separators[index - 1]):
            return ""
    return ""


PIECE_HANDS_ON_RE = re.compile(r"(?:(?<=[るたうくすつだ])と|たら|れば|ので|から)$")


def _ends_handing_on(piece: str, particle: str) -> bool:
    """The clause ends in a conditional that hands the turn on, its subject marked by `particle`."""
    end = PIECE_HANDS_ON_RE.search(piece)
    # A topic (おれは…悪るいから、「…」と云って) goes on past と / から / ので; たら / れば still hand on.
    return end is not None and (particle != "は" or end.group(0) in ("たら", "れば"))


def _addressee(before: str, after: str, speaker: str) -> str:
    m = ADDRESSEE_BEFORE_RE.search(_last_sentence(before))
    if not m:
        m = ADDRESSEE_AFTER_RE.search(SENTENCE_END_RE.split(after, maxsplit=1)[0][:20])
    if m and name_ok(m.group("name")) and m.group("name") != speaker:
        return m.group("name")
    # 野だが逃げようとするから、おれは「…」: another subject in the sentence is the one spoken to.
    for m in SUBJECT_IN_RE.finditer(_last_sentence(before)):
        if name_ok(m.group("name")) and m.group("name") != speaker and speaker:
            return m.group("name")
    return ""


def _after_subject(after: str, known: Collection[str]) -> str | None:
    """The name right after と; "" when a group, a pronoun, a listener or a thing is there; None when nobody is.

    With a speech verb (と山嵐が云った) any name speaks; with another act (と狸はあっけに取られている,
    と父は拳を振り上げた) only a `known` character does, so that 「営業中」と看板が出ていた names nobody."""
    for rule in (AFTER_VOICE_RE, AFTER_VOICE_OF_RE, AFTER_PARTICIPLE_RE, VOICE_IDENT_RE):
        m = rule.match(after)
        if m:
            return m.group("name") if name_ok(m.group("name")) else ""
    m = AFTER_SUBJECT_RE.match(after)
    if not m:
        return None
    name, rest = m.group("name"), SENTENCE_END_RE.split(m.group("rest"), maxsplit=1)[0]
    if name in GROUPS or name in PERSONS or LISTENER_RE.search(rest[:12]):
        return ""
    if not name_ok(name):
        return None  # a word of time or manner (と今日は…): look further
    if _in_a_state(name, rest):
        return ""  # と気味が悪そうに言った: the subject of a state, not the speaker
    if _own_speech_verb(rest):
        return name
    if not re.search(SPEECH, rest[:20]) and name in known:
        return name  # と父は拳を振り上げた, と狸はあっけに取られている: the quotative binds it to them
    return ""


def _handed_on(between: str) -> bool:
    """と次郎が顔をあげると、太郎が申しました: a clause hands the speech verb to another subject."""
    return bool(re.search(rf"(?:[るたうくすつだ]と|たら|ので|から|ば)、?{CONJ}{NAME}(?:は|が)", between))


def _own_speech_verb(rest: str) -> bool:
    """What follows `Xが` holds a speech verb, and no clause hands it on to another subject first."""
    speech = re.search(SPEECH, rest[:20])
    return speech is not None and not _handed_on(rest[: speech.start()])


def _in_a_state(name: str, rest: str) -> bool:
    """気味が悪そうに: the name is the subject of a state, and no word for a person."""
    return state_subject(rest) and not person_noun(name)


def explicit_speaker(before: str, after: str) -> str:
    """「…」と山嵐が云った, 博物が「…」と云った: the name whose own speech verb follows the quote (any noun
    can be named so)."""
    m = AFTER_SUBJECT_RE.match(after)
    if not m:
        subjectless = SUBJECTLESS_RE.match(after)
        if subjectless and not SUBJECT_IN_RE.search(subjectless.group("adv")):
            return subject_before(before)
        return ""
    rest = SENTENCE_END_RE.split(m.group("rest"), maxsplit=1)[0]
    if not _own_speech_verb(rest) or _in_a_state(m.group("name"), rest):
        return ""
    return m.group("name")


def _carried_topic(before: str) -> str:
    """The subject of the sentence just before the quote, when it carries over to the quote.

    An act carries the turn on (山田は立ち上がった。「…」, しばらくして山嵐はまた起立した。「…」と言った);
    a state (山田は黙っていた) sets the scene for whoever speaks next."""
    previous = _previous_sentence(before)
    m = TOPIC_RE.match(previous) or SUBJECT_IN_RE.search(previous[:12])
    if not m or STATE_END_RE.search(previous):
        return ""
    # Only the subject that opens the sentence: not one after a clause (とつけたら、職員が笑い出した).
    if re.search(r"^と|、|たら|ると", re.sub(rf"^{CONJ}", "", previous[: m.start()])):
        return ""
    name = m.group("name")
    return name if name_ok(name) and name not in PERSONS else ""


def _last_actor(paragraph: str, known: Collection[str]) -> list[str]:
    """The last character or person (男, 彼) the paragraph makes the subject of an act (人間は…ものだ, a
    state, is none)."""
    actors = [
        m.group("name")
        for sentence in SENTENCE_END_RE.split(paragraph)
        if not STATE_END_RE.search(sentence.strip(SPACES))
        for m in SUBJECT_IN_RE.finditer(sentence)
        if m.group("name") in PERSONS or (name_ok(m.group("name")) and m.group("name") in known)
    ]
    return actors[-1:]


def attribute(
    before: str, after: str, narrator: str = "", known: Collection[str] = (), lead: str = ""
) -> Attribution:
    """Rules 1-6 for one quote, from the narration just before and just after it.

    `narrator` is the first-person pronoun of a first-person story (おれ), `known` the names the narration
    has often made the subject of a sentence (the characters), `lead` the paragraph before when the quote
    opens its own."""
    agent = PASSIVE_AGENT_RE.match(after)
    if agent and name_ok(agent.group("name")):
        return Attribution(agent.group("name"), False, narrator)
    if PASSIVE_RE.match(after):  # と聞かれた: someone unnamed spoke to the narrator or the subject
        return Attribution("", True, "")
    voice_of = AFTER_VOICE_OF_RE.match(after)
    if voice_of and name_ok(voice_of.group("name")):
        return Attribution(voice_of.group("name"), False, "")  # words recalled, not a turn of the exchange
    named = _after_subject(after, known)
    if named is not None:
        return Attribution(named, False, _addressee(before, after, named) if named else "")
    if NOMINAL_RE.match(after):
        return Attribution("", False, "")
    if FAVOUR_RE.match(after):
        return Attribution("", True, "")
    subjectless = SUBJECTLESS_RE.match(after)
    name_in_adv = subjectless and SUBJECT_IN_RE.search(subjectless.group("adv"))
    if narrator and not name_in_adv:
        if (subjectless and NARRATOR_FORM_RE.match(subjectless.group("tail"))) or ANY_CONDITIONAL_RE.match(
            after
        ):
            return Attribution(narrator, False, _addressee(before, after, narrator))
        asked = SPEECH_CONDITIONAL_RE.match(after)
        if asked and not re.search(r"[はがも]", asked.group("manner")):
            return Attribution(narrator, False, _addressee(before, after, narrator))
    leads_in = subjectless or not after.strip(SPACES) or len(_last_sentence(before)) < 40
    name = subject_before(before) if leads_in else ""
    if name:
        return Attribution(name, False, _addressee(before, after, name))
    if name_in_adv or (not subjectless and after.lstrip(SPACES).startswith("と")):
        return Attribution("", False, _addressee(before, after, ""))
    topic = _carried_topic(before)
    if topic:
        return Attribution(topic, False, _addressee(before, after, topic))
    if not subjectless:
        return Attribution("", False, _addressee(before, after, ""))
    te_form = bool(TE_FORM_RE.match(subjectless.group("tail")))
    others = [
        m.group("name")
        for s in (_last_sentence(before), _previous_sentence(before))
        for m in SUBJECT_IN_RE.finditer(s)
    ]
    # The quote opens its paragraph: the last character the paragraph before makes a subject is whose
    # acts go on.
    others += _last_actor(lead, known)
    if te_form and narrator and all(name == narrator for name in others):
        return Attribution(narrator, False, _addressee(before, after, narrator))
    # と云って着席した continues one person's acts; と答えた, と聞くから answer someone.
    return Attribution("", not te_form, _addressee(before, after, ""))


def encounter(narration: str) -> str:
    """The last person the narration says was met, visited or called, or ""."""
    found = [
        m.group("name")
        for m in ENCOUNTER_RE.finditer(narration)
        if name_ok(m.group("name")) and not re.fullmatch(PRONOUN, m.group("name"))
    ]
    return found[-1] if found else ""


def resolve_exchanges(attrs: Sequence[Attribution], partners: Sequence[str], narrator: str) -> list[str]:
    """Rules 7-9 over one conversation: speakers for subjectless replies, "" where still unknown."""
    speakers = [a.speaker for a in attrs]
    for i, attr in enumerate(attrs):
        if speakers[i] or not attr.reply:
            continue
        prev = speakers[i - 1] if i > 0 else ""
        nxt = speakers[i + 1] if i + 1 < len(speakers) else ""
        guess = ""
        if i > 0 and attrs[i - 1].addressee not in ("", prev, attr.addressee):
            guess = attrs[i - 1].addressee
        elif narrator and partners[i] and (prev == narrator or (nxt == narrator and not prev)):
            guess = partners[i]
        elif prev and prev == nxt:
            others = {s for s in speakers[max(0, i - 3) : i + 4] if s and s != prev}
            guess = others.pop() if len(others) == 1 else ""
        if guess and guess != attr.addressee:
            speakers[i] = guess
    return speakers
