"""A generation job stores no exact duplicate candidates for one question: it samples again (at most
RESAMPLE_ROUNDS times), then keeps one, and counts what it did in job.params["duplicates"]."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import make_candidate, make_questions, make_version
from training.generate.run import RESAMPLE_ROUNDS, launch_generation_job
from training.generate.tasks import run_generation_job
from training.jobs.models import Job
from training.jobs.tasks import run_here

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("one_torch_thread"),
]

TEXTS = ("好きなものは？", "今日は何をする？", "霊夢をどう思う？")


def _run(version, questions, n: int, sampling: dict) -> Job:
    job = launch_generation_job(version, questions, n=n, batch_size=6, sampling=sampling, send=False)
    job = run_here(run_generation_job, job.pk)
    assert job.status == Job.Status.SUCCEEDED, job.error
    return job


def _texts_by_question(questions) -> list[list[str]]:
    return [
        list(q.candidates.values_list("text", flat=True)) for q in questions.questions.order_by("position")
    ]


def test_greedy_duplicates_are_kept_once(demo_model_dir: Path) -> None:
    version = make_version(name="demo-base", base_model=str(demo_model_dir), adapter_dir="")
    questions = make_questions(texts=TEXTS)
    job = _run(version, questions, 3, {"do_sample": False, "max_new_tokens": 12})
    # Greedy gives one reply per prompt: three asked, one stored, never sampled again.
    assert [len(texts) for texts in _texts_by_question(questions)] == [1, 1, 1]
    assert job.params["duplicates"] == {
        "rule": f"sampled again up to {RESAMPLE_ROUNDS} times, then one kept",
        "found": 6,
        "replaced": 0,
        "left_out": 6,
    }
    assert job.candidates_created == 3


def test_sampled_duplicates_are_sampled_again_and_none_is_stored(demo_model_dir: Path) -> None:
    version = make_version(name="demo-base", base_model=str(demo_model_dir), adapter_dir="")
    questions = make_questions(texts=TEXTS)
    # The seed's low temperature (0.1) on the demo model repeats itself often: duplicates are found.
    job = _run(version, questions, 4, {"max_new_tokens": 12, "seed": 11})
    stats = job.params["duplicates"]
    assert stats["found"] > 0
    assert stats["found"] == stats["replaced"] + stats["left_out"]
    for texts in _texts_by_question(questions):
        assert texts and len(texts) == len(set(texts))
    assert job.candidates_created == 4 * len(TEXTS) - stats["left_out"]


def test_a_reply_already_stored_for_the_question_is_not_stored_again(demo_model_dir: Path) -> None:
    version = make_version(name="demo-base", base_model=str(demo_model_dir), adapter_dir="")
    questions = make_questions(texts=TEXTS[:1])
    greedy = {"do_sample": False, "max_new_tokens": 12}
    first = _run(version, questions, 1, greedy)
    [[reply]] = _texts_by_question(questions)
    question = questions.questions.get()
    make_candidate(question, "別の人が書いた返事")  # another reply stored before: kept, not a duplicate
    again = _run(version, questions, 1, greedy)
    assert again.candidates_created == 0 and again.params["duplicates"]["left_out"] == 1
    assert sorted(_texts_by_question(questions)[0]) == sorted([reply, "別の人が書いた返事"])
    assert first.candidates_created == 1
