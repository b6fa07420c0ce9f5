"""Small factories for the training-job tests: a corpus, a snapshot, users, jobs, questions."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth import get_user_model

from annotation.corpus.models import Conversation, Line, Source
from annotation.review.models import Question, QuestionSet
from training.train.models import ModelVersion, TrainingJob

SCENES = [
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


def make_corpus(title: str = "テスト台本", scenes: list[list[tuple[str, str]]] | None = None) -> Source:
    scenes = scenes or SCENES
    body = repr(scenes).encode()
    source = Source.objects.create(
        title=title,
        kind=Source.Kind.SCRIPT,
        encoding="utf-8",
        sha256=hashlib.sha256(body + title.encode()).hexdigest(),
        conversation_count=len(scenes),
        line_count=sum(len(s) for s in scenes),
    )
    for i, scene in enumerate(scenes):
        conv = Conversation.objects.create(source=source, position=i)
        Line.objects.bulk_create(
            Line(conversation=conv, position=j, speaker=speaker, text=text)
            for j, (speaker, text) in enumerate(scene)
        )
    return source


def make_snapshot() -> Any:
    from annotation.datasets.snapshots import create_snapshot

    make_corpus()
    return create_snapshot()


def make_user(name: str = "staff", staff: bool = True) -> Any:
    return get_user_model().objects.create_user(name, password="pw-" + name, is_staff=staff)


def make_questions(
    name: str = "テスト質問", texts: tuple[str, ...] = ("好きなものは？", "今日は何をする？")
) -> QuestionSet:
    qs = QuestionSet.objects.create(name=name)
    for i, text in enumerate(texts):
        Question.objects.create(question_set=qs, position=i, text=text)
    return qs


def make_job(snapshot: Any = None, **fields: Any) -> TrainingJob:
    snapshot = snapshot or make_snapshot()
    fields.setdefault("base_model", "")
    fields.setdefault("params", {"max_steps": 10})
    return TrainingJob.objects.create(snapshot=snapshot, **fields)


def make_version(job: TrainingJob | None = None, **fields: Any) -> ModelVersion:
    fields.setdefault("name", "v-test")
    fields.setdefault("base_model", "demo")
    fields.setdefault("adapter_dir", "/nonexistent")
    return ModelVersion.objects.create(training_job=job, snapshot=job.snapshot if job else None, **fields)
