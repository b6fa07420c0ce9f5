"""The evaluation set on the pages: the too-few-lines warning (launch, job) and the set's own page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotation.datasets.snapshots import create_snapshot
from tests.factories import client_for, make_character, make_job, make_source, make_sparse_source, make_user
from training.train.eval_set import ensure_eval_set

pytestmark = pytest.mark.django_db

WARNING = "the evaluation set holds 3 of 魔理沙&#x27;s lines; at least 20 are needed to measure"


def test_launch_and_job_pages_warn_with_the_count_when_the_set_is_too_small() -> None:
    make_character()
    make_sparse_source(scenes=40, speaking_every=8)
    staff = client_for(make_user("boss", "staff"))
    assert WARNING in staff.get(reverse("training:launch")).content.decode()
    job = make_job(snapshot=create_snapshot())
    assert WARNING in staff.get(reverse("training:job", args=[job.pk])).content.decode()


def test_no_warning_when_the_set_holds_enough_of_her() -> None:
    make_character()
    make_sparse_source(scenes=200, speaking_every=1)  # 600 of her lines: the set holds 60
    staff = client_for(make_user("boss", "staff"))
    assert "evaluation set holds" not in staff.get(reverse("training:launch")).content.decode()


@pytest.mark.parametrize(
    ("role", "status"), [("plain", 403), ("reviewer", 403), ("exporter", 200), ("staff", 200)]
)
def test_the_eval_set_page_is_for_those_who_may_read_the_corpus(role: str, status: int) -> None:
    character = make_character()
    make_source()
    ensure_eval_set(character)
    response = client_for(make_user(f"u-{role}", role)).get(reverse("training:eval_set"))
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert "Evaluation set of 魔理沙" in page and "テスト台本" in page


def test_the_eval_set_page_sends_anonymous_users_to_log_in(client) -> None:  # noqa: ANN001
    response = client.get(reverse("training:eval_set"))
    assert response.status_code == 302 and "login" in response["Location"]
