"""GenerationJob: a model version answers a question set, N candidates per question, batched.

The Generator is loaded once per job; questions go through it in chunks so progress, heartbeat and
cancel are checked between chunks. A resumed job skips questions it already answered.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from training.generate.models import GenerationJob
from training.jobs.models import Job
from training.train.data import character_spec
from training.train.models import ModelVersion

log = logging.getLogger(__name__)

# The seed's sampling (DESIGN.md "Generate"), mirrored so the web process need not import the ML core.
SAMPLING_DEFAULTS: dict[str, Any] = {
    "temperature": 0.1,
    "top_p": 0.9,
    "top_k": 20,
    "no_repeat_ngram_size": 2,
    "repetition_penalty": 1.05,
    "max_new_tokens": 64,
    "do_sample": True,
    "seed": None,  # set for reproducible sampling
}
DEFAULT_BATCH_SIZE = 32


def sampling_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    unknown = set(overrides or {}) - set(SAMPLING_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown sampling settings: {', '.join(sorted(unknown))}")
    merged = {**SAMPLING_DEFAULTS, **(overrides or {})}
    return {k: _cast(k, v) for k, v in merged.items()}


def _cast(key: str, value: Any) -> Any:
    if key == "seed":
        return None if value in (None, "") else int(value)
    if key == "do_sample":
        return bool(value)
    return type(SAMPLING_DEFAULTS[key])(value)


def unanswered(questions: QuerySet) -> QuerySet:
    """Questions with no undecided and no accepted candidate: never answered, or every answer rejected."""
    from annotation.review.models import Candidate

    live = [Candidate.Status.PENDING, Candidate.Status.ACCEPTED, Candidate.Status.EDITED]
    return questions.exclude(candidates__status__in=live)


def launch_generation_job(
    version: ModelVersion,
    question_set: Any,
    *,
    n: int = 2,
    only_unanswered: bool = False,
    sampling: dict[str, Any] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    user: Any = None,
    send: bool = True,
) -> GenerationJob:
    if n < 1:
        raise ValueError("candidates per question must be at least 1")
    job = GenerationJob.objects.create(
        model_version=version,
        question_set=question_set,
        only_unanswered=only_unanswered,
        candidates_per_question=n,
        sampling=sampling_settings(sampling),
        params={"batch_size": max(1, int(batch_size))},
        created_by=user if getattr(user, "is_authenticated", False) else None,
        phase="waiting for a worker on the gpu queue",
    )
    if send:
        job.send()
    return job


def job_questions(job: GenerationJob) -> tuple[list[Any], int]:
    """(questions still to answer, total in scope). The scope is fixed at the first start."""
    questions = job.question_set.questions.all()
    scope = job.params.get("question_ids")
    if scope is None:
        base = unanswered(questions) if job.only_unanswered else questions
        scope = list(base.order_by("position", "id").values_list("id", flat=True))
        GenerationJob.objects.filter(pk=job.pk).update(params={**job.params, "question_ids": scope})
    done = set(questions.filter(Q(candidates__generation_job=job)).values_list("id", flat=True).distinct())
    todo_ids = [qid for qid in scope if qid not in done]
    by_id = {q.pk: q for q in questions.filter(pk__in=todo_ids)}
    return [by_id[qid] for qid in todo_ids if qid in by_id], len(scope)


def load_generator(version: ModelVersion, load_in_4bit: bool | None = None) -> Any:
    """The Generator for a version; 4-bit only where it saves memory (a GPU) unless asked."""
    from training.core.generation import Generator

    if load_in_4bit is None:
        import torch

        load_in_4bit = settings.MARISA_LOAD_IN_4BIT and torch.cuda.is_available()
    return Generator.load(
        version.base_model, version.adapter_dir or None, version.line_separator, load_in_4bit=load_in_4bit
    )


def run_generation(job: GenerationJob, listener: Any = None) -> None:
    """Answer the claimed job's questions in chunks; cancel and progress are checked between chunks."""
    from annotation.review.models import Candidate
    from training.core.sampling import SamplingSettings
    from training.core.textformat import Turn, chat_prompt

    version = job.model_version
    todo, total = job_questions(job)
    done = total - len(todo)
    job.set_phase("loading the model", total_steps=total, step=done)
    generator = load_generator(version, job.params.get("load_in_4bit"))
    character = character_spec(version.snapshot.character if version.snapshot else None)
    sampling = SamplingSettings.from_dict(job.sampling)
    n = job.candidates_per_question
    batch_size = int(job.params.get("batch_size") or DEFAULT_BATCH_SIZE)
    chunk = max(1, batch_size // n)
    started, start_done = time.monotonic(), done
    for i in range(0, len(todo), chunk):
        if job.should_stop():
            _finish(job, Job.Status.CANCELLED, "cancelled: resume answers the remaining questions", True)
            return
        questions = todo[i : i + chunk]
        prompts = [
            chat_prompt(
                [Turn(t.get("speaker", ""), t.get("text", "")) for t in q.context or []],
                q.text,
                character,
                version.line_separator,
            )
            for q in questions
        ]
        replies = generator.generate(prompts, n=n, settings=sampling, batch_size=batch_size)
        Candidate.objects.bulk_create(
            Candidate(
                question=q,
                model_version=version,
                generation_job=job,
                model_name=version.name,
                text=text,
                sampling=job.sampling,
            )
            for q, texts in zip(questions, replies, strict=True)
            for text in texts
        )
        done += len(questions)
        rate = (done - start_done) / max(time.monotonic() - started, 1e-6)
        job.set_phase(
            "generating",
            step=done,
            eta_seconds=(total - done) / rate if rate else None,
            candidates_created=Candidate.objects.filter(generation_job=job).count(),
        )
        if listener:
            listener({"step": done, "total_steps": total})
    _finish(job, Job.Status.SUCCEEDED, "done", False)


def _finish(job: GenerationJob, status: str, phase: str, resumable: bool) -> None:
    from annotation.review.models import Candidate

    job.finish(
        status, phase, resumable, candidates_created=Candidate.objects.filter(generation_job=job).count()
    )
