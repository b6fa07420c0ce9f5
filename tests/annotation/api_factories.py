"""Small factories for the snapshot, export and API tests (owned by helper api)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from django.contrib.auth.models import Group, Permission, User

from annotation.corpus.models import Character, Conversation, Line, Source
from annotation.review.models import Candidate, Question, QuestionSet

_seq = itertools.count(1)


def make_source(dialogue: Sequence[Sequence[tuple[str, str]]], title: str | None = None) -> Source:
    """A source whose conversations are lists of (speaker, text)."""
    n = next(_seq)
    source = Source.objects.create(
        title=title or f"source {n}", kind=Source.Kind.SCRIPT, encoding="utf-8", sha256=f"{n:064x}"
    )
    for pos, turns in enumerate(dialogue):
        conv = Conversation.objects.create(source=source, position=pos)
        Line.objects.bulk_create(
            Line(conversation=conv, position=i, speaker=speaker, text=text)
            for i, (speaker, text) in enumerate(turns)
        )
    source.conversation_count = len(dialogue)
    source.line_count = sum(len(t) for t in dialogue)
    source.save()
    return source


def make_question(text: str, set_name: str = "demo", context: list | None = None) -> Question:
    qs, _ = QuestionSet.objects.get_or_create(name=set_name)
    return Question.objects.create(question_set=qs, text=text, context=context or [])


def make_candidate(question: Question, text: str, status: str = "pending", final_text: str = "") -> Candidate:
    return Candidate.objects.create(question=question, text=text, status=status, final_text=final_text)


def seed_corpus() -> Character:
    character = Character.default()
    make_source(
        [
            [
                ("霊夢", "また来たの？"),
                ("魔理沙", "よう、霊夢。遊びに来たぜ"),
                ("霧雨魔理沙", "お茶はまだか？"),
            ],
            [("アリス", "何の用？"), ("まりさ", "本を借りに来ただけだぜ")],
        ],
        title="博麗神社",
    )
    return character


def make_user(name: str, role: str) -> User:
    """role: anonymous-less roles 'reviewer', 'exporter' (reviewer + export permission), 'staff'."""
    user = User.objects.create_user(name, password="pw-" + name)
    if role in ("reviewer", "exporter"):  # "none": a user in no group
        user.groups.add(Group.objects.get_or_create(name="Reviewers")[0])
    if role == "exporter":
        user.user_permissions.add(
            Permission.objects.get(codename="export_dataset", content_type__app_label="annotation")
        )
    if role == "staff":
        user.is_staff = True
        user.save()
    return user
