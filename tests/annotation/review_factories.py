"""Small factories for the review queue tests."""

from __future__ import annotations

from django.contrib.auth.models import Group, User

from annotation.review.models import Candidate, Question, QuestionSet


def make_reviewer(name: str = "rev", password: str = "pw-secret-1") -> User:
    user = User.objects.create_user(name, password=password)
    group, _ = Group.objects.get_or_create(name="Reviewers")
    user.groups.add(group)
    return user


def make_candidates(n: int, per_question: int = 1, set_name: str = "test set") -> list[Candidate]:
    qset, _ = QuestionSet.objects.get_or_create(name=set_name)
    made = []
    for i in range(n):
        if i % per_question == 0:
            question = Question.objects.create(
                question_set=qset,
                position=i,
                text=f"質問{i}　好きな食べ物は？",
                context=[
                    {"speaker": "ユーザー", "text": "こんにちは"},
                    {"speaker": "魔理沙", "text": "よう"},
                ],
            )
        made.append(Candidate.objects.create(question=question, text=f"キノコだぜ{i}", model_name="demo"))
    return made
