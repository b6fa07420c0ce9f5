"""The test factories every test package shares: users, the corpus, questions and candidates, snapshots, jobs.

Each maker writes real rows through the ORM and returns what it made. Users get the password
`password_for(name)`, so a browser test can log in as any of them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotation.corpus.models import Character, Conversation, Line, Source
from annotation.datasets.models import DatasetSnapshot
from annotation.review.models import Candidate, Question, QuestionSet
from training.generate.models import GenerationJob
from training.train.models import ModelVersion, TrainingJob

# A turn is (speaker, text), or a dict of Line fields for lines that need more (speaker_by, context).
Turn = tuple[str, str] | dict[str, Any]

_seq = itertools.count(1)

# --- Users ------------------------------------------------------------------------------------

ROLES = ("plain", "reviewer", "exporter", "staff", "superuser")


def password_for(name: str) -> str:
    return f"pw-{name}"


def make_user(name: str = "user", role: str = "plain", password: str | None = None) -> User:
    """role: 'plain' (in no group), 'reviewer' (the Reviewers group), 'exporter' (a reviewer who may
    download exports), 'staff' (is_staff, in no group), 'superuser'."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    password = password or password_for(name)
    if role == "superuser":
        return User.objects.create_superuser(name, password=password)
    user = User.objects.create_user(name, password=password, is_staff=role == "staff")
    if role in ("reviewer", "exporter"):
        user.groups.add(Group.objects.get_or_create(name="Reviewers")[0])
    if role == "exporter":
        user.user_permissions.add(
            Permission.objects.get(codename="export_dataset", content_type__app_label="annotation")
        )
    return user


def make_reviewer(name: str = "rev") -> User:
    return make_user(name, "reviewer")


def make_staff(name: str = "staff") -> User:
    return make_user(name, "staff")


def client_for(user: User) -> Client:
    """A Django test client logged in as the user."""
    client = Client()
    client.force_login(user)
    return client


def token_client_for(user: User) -> APIClient:
    """An API client that authenticates with the user's API token, as a script does."""
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


# --- Corpus -----------------------------------------------------------------------------------

SCENES: list[list[Turn]] = [
    [
        ("霊夢", "また来たの。お賽銭なら入れてってよね"),
        ("魔理沙", "賽銭箱に入れるくらいなら、私はキノコを買うぜ"),
        ("霊夢", "じゃあ帰りなさい"),
        ("魔理沙", "冷たいこと言うなよ。お茶請けを持ってきてやったんだぜ"),
    ],
    [
        ("アリス", "こんな森の奥で何をしているの"),
        ("魔理沙", "キノコ探しだぜ。新しい魔法の材料になるんだ"),
        ("アリス", "また怪しい実験ね"),
        ("魔理沙", "怪しくないぜ。ちょっと爆発するだけだ"),
    ],
    [
        ("咲夜", "お嬢様の図書館から本が消えたのだけど"),
        ("魔理沙", "借りてるだけだぜ。死ぬまでな"),
        ("咲夜", "それを泥棒と言うのよ"),
        ("霧雨魔理沙", "人聞きが悪いな、ちゃんと返すつもりだろ"),
    ],
    [
        ("霊夢", "今日は何の用？"),
        ("魔理沙", "暇だから遊びに来たんだぜ"),
        ("霊夢", "掃除を手伝ってくれるなら歓迎するわ"),
        ("まりさ", "それは遠慮しておくぜ"),
    ],
    [
        ("パチュリー", "本を返しなさい"),
        ("魔理沙", "まだ読み終わってないんだ"),
        ("パチュリー", "もう一年になるわよ"),
        ("魔理沙", "魔導書は一年じゃ読めないぜ"),
    ],
    [
        ("にとり", "新しい発明を見せてあげるよ"),
        ("魔理沙", "お、面白そうだな。爆発するのか？"),
        ("にとり", "しないよ！"),
        ("魔理沙", "なんだ、つまらないぜ"),
    ],
]
"""Six scenes, enough of Marisa to train on: the default corpus of `make_source`."""

SHRINE: list[list[Turn]] = [
    [
        ("霊夢", "また来たの？"),
        ("魔理沙", "よう、霊夢。遊びに来たぜ"),
        ("霧雨魔理沙", "お茶はまだか？"),
    ],
    [("アリス", "何の用？"), ("まりさ", "本を借りに来ただけだぜ")],
]
"""Two short conversations, Marisa under three spellings: the corpus of `seed_corpus`."""


def make_character() -> Character:
    """The default character (霧雨魔理沙), as the importer and setup_demo make her."""
    return Character.default()


def make_lines(conversation: Conversation, turns: Sequence[Turn], start: int = 0) -> list[Line]:
    """Lines appended to a conversation from position `start` on."""
    return [
        Line.objects.create(
            conversation=conversation,
            position=start + i,
            **(turn if isinstance(turn, dict) else {"speaker": turn[0], "text": turn[1]}),
        )
        for i, turn in enumerate(turns)
    ]


def make_conversation(
    source: Source, turns: Sequence[Turn] = (), position: int | None = None
) -> Conversation:
    if position is None:
        position = source.conversations.count()
    conversation = Conversation.objects.create(source=source, position=position)
    make_lines(conversation, turns)
    return conversation


def make_source(
    dialogue: Sequence[Sequence[Turn]] = SCENES, title: str = "テスト台本", kind: str = Source.Kind.SCRIPT
) -> Source:
    """A source whose conversations are lists of turns, with its counts filled in."""
    n = next(_seq)
    source = Source.objects.create(
        title=title,
        kind=kind,
        encoding="utf-8",
        sha256=f"{n:064x}",
        conversation_count=len(dialogue),
        line_count=sum(len(turns) for turns in dialogue),
    )
    for position, turns in enumerate(dialogue):
        make_conversation(source, turns, position)
    return source


def make_sparse_source(scenes: int = 40, speaking_every: int = 8, title: str = "まばらな台本") -> Source:
    """A source in which most scenes lack her: she speaks (three lines) only in every `speaking_every`-th."""
    dialogue: list[list[Turn]] = []
    for i in range(scenes):
        if i % speaking_every == 0:
            dialogue.append(
                [
                    ("霊夢", f"場面{i}、何の用？"),
                    ("魔理沙", f"場面{i}だぜ"),
                    ("魔理沙", f"場面{i}、また来るぜ"),
                    ("魔理沙", f"場面{i}、じゃあな"),
                ]
            )
        else:
            dialogue.append([("霊夢", f"場面{i}、いい天気ね"), ("咲夜", f"場面{i}、お茶をどうぞ")])
    return make_source(dialogue, title=title)


def seed_corpus() -> Character:
    """The default character and a small source (博麗神社) of two conversations, five lines."""
    character = make_character()
    make_source(SHRINE, title="博麗神社")
    return character


# --- Questions and candidates -----------------------------------------------------------------


def make_question_set(name: str = "demo") -> QuestionSet:
    return QuestionSet.objects.get_or_create(name=name)[0]


def make_question(
    text: str, set_name: str = "demo", context: list | None = None, position: int = 0
) -> Question:
    return Question.objects.create(
        question_set=make_question_set(set_name), text=text, context=context or [], position=position
    )


def make_questions(
    name: str = "テスト質問", texts: Sequence[str] = ("好きなものは？", "今日は何をする？")
) -> QuestionSet:
    """A question set with one question per text, in that order."""
    for position, text in enumerate(texts):
        make_question(text, name, position=position)
    return make_question_set(name)


def make_candidate(
    question: Question, text: str, status: str = Candidate.Status.PENDING, final_text: str = "", **fields: Any
) -> Candidate:
    return Candidate.objects.create(
        question=question, text=text, status=status, final_text=final_text, **fields
    )


def make_candidates(n: int, per_question: int = 1, set_name: str = "test set") -> list[Candidate]:
    """n pending candidates imported from "demo", per_question to a question (each with a context)."""
    made = []
    for i in range(n):
        if i % per_question == 0:
            question = make_question(
                f"質問{i}　好きな食べ物は？",
                set_name,
                context=[
                    {"speaker": "ユーザー", "text": "こんにちは"},
                    {"speaker": "魔理沙", "text": "よう"},
                ],
                position=i,
            )
        made.append(make_candidate(question, f"キノコだぜ{i}", model_name="demo"))
    return made


def seed_reviewed_corpus() -> Question:
    """seed_corpus, and one question reviewed: a reply corrected by the reviewer, another rejected."""
    seed_corpus()
    question = make_question("好きな食べ物は？")
    make_candidate(
        question, "きのこです。", status=Candidate.Status.EDITED, final_text="きのこに決まってるだろ！"
    )
    make_candidate(question, "わかりません", status=Candidate.Status.REJECTED)
    return question


# --- Snapshots --------------------------------------------------------------------------------


def make_snapshot() -> DatasetSnapshot:
    """A snapshot of the six-scene corpus (`make_source()`)."""
    from annotation.datasets.snapshots import create_snapshot

    make_source()
    return create_snapshot()


def make_reviewed_snapshot() -> DatasetSnapshot:
    """A snapshot of `seed_reviewed_corpus()`: two conversations, one correction, one rejected reply."""
    from annotation.datasets.snapshots import create_snapshot

    seed_reviewed_corpus()
    return create_snapshot()


# --- Jobs and model versions ------------------------------------------------------------------


def make_job(snapshot: DatasetSnapshot | None = None, **fields: Any) -> TrainingJob:
    """A training job row (queued unless told), on a fresh snapshot unless one is given."""
    snapshot = snapshot or make_snapshot()
    fields.setdefault("base_model", "")
    fields.setdefault("params", {"max_steps": 10})
    return TrainingJob.objects.create(snapshot=snapshot, **fields)


def make_version(job: TrainingJob | None = None, **fields: Any) -> ModelVersion:
    """A model version (of the job's snapshot when a job is given); its adapter is not on disk."""
    fields.setdefault("name", "v-test")
    fields.setdefault("base_model", "demo")
    fields.setdefault("adapter_dir", "/nonexistent")
    fields.setdefault("snapshot", job.snapshot if job else None)
    return ModelVersion.objects.create(training_job=job, **fields)


def make_generation_job(
    version: ModelVersion | None = None, question_set: QuestionSet | None = None, **fields: Any
) -> GenerationJob:
    """A generation job row (queued unless told) for a version and a question set, made if not given."""
    return GenerationJob.objects.create(
        model_version=version or make_version(), question_set=question_set or make_questions(), **fields
    )


# --- The arena ----------------------------------------------------------------------------------


def make_arena_matches(
    n: int, version_a: ModelVersion | None = None, version_b: ModelVersion | None = None
) -> list[Any]:
    """n open arena matches between two versions (made if not given), each on its own question with a context."""
    from annotation.review.arena_models import ArenaMatch

    version_a = version_a or make_version(name="v1")
    version_b = version_b or make_version(name="v2")
    character = make_character()
    made = []
    for i in range(n):
        question = make_question(
            f"アリーナ質問{i}", "arena set", context=[{"speaker": "霊夢", "text": "また来たの？"}], position=i
        )
        made.append(
            ArenaMatch.objects.create(
                character=character,
                question=question,
                question_text=question.text,
                context=question.context,
                source="arena set",
                version_a=version_a,
                version_b=version_b,
                reply_a=f"キノコ狩りだぜ{i}",
                reply_b=f"今日は寝ますわ{i}",
            )
        )
    return made


def make_preference_snapshot(questions: int = 12, identical: int = 1) -> DatasetSnapshot:
    """The six-scene corpus plus reviewed questions, then a snapshot. Each question has an edited candidate (a
    polite model text corrected into her way of speaking) and a rejected one; `identical` of them also have a
    rejected reply equal to the accepted one (a pair with nothing to learn)."""
    from annotation.datasets.snapshots import create_snapshot

    make_source()
    topics = ("キノコ", "魔法", "本", "霊夢", "お茶", "箒", "星", "森", "図書館", "神社", "実験", "弾幕")
    for i in range(questions):
        topic = f"{topics[i % len(topics)]}{i // len(topics) or ''}"
        question = make_question(f"{topic}はどう？", "preference set", position=i)
        make_candidate(
            question, f"{topic}が好きです", status=Candidate.Status.EDITED, final_text=f"{topic}が好きだぜ"
        )
        make_candidate(question, f"{topic}は知りません", status=Candidate.Status.REJECTED)
        if i < identical:
            make_candidate(question, f"{topic}が好きだぜ", status=Candidate.Status.REJECTED)
    return create_snapshot()
