"""GenerationJob: a model version answers a question set, N candidates per question, batched.

The generator is loaded (or connected to the inference engine) once per job; questions go through it in chunks so progress, heartbeat and
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
        job.params = {**job.params, "question_ids": scope}
        GenerationJob.objects.filter(pk=job.pk).update(params=job.params)
    done = set(questions.filter(Q(candidates__generation_job=job)).values_list("id", flat=True).distinct())
    todo_ids = [qid for qid in scope if qid not in done]
    by_id = {q.pk: q for q in questions.filter(pk__in=todo_ids)}
    return [by_id[qid] for qid in todo_ids if qid in by_id], len(scope)


def load_generator(version: ModelVersion, load_in_4bit: bool | None = None) -> Any:
    """The generator for a version: its adapter on the inference engine, or loaded here."""
    from training.core.engine import BASE_MODEL_NAME, adapter_name

    return model_generator(
        version.base_model,
        version.adapter_dir or None,
        version.line_separator,
        engine_model=adapter_name(version.pk) if version.adapter_dir else BASE_MODEL_NAME,
        load_in_4bit=load_in_4bit,
    )


def model_generator(
    base_model: str,
    adapter_dir: str | None,
    line_separator: str,
    *,
    engine_model: str,
    load_in_4bit: bool | None = None,
) -> Any:
    """Where replies come from, for jobs, chat and the bot: the engine when MARISA_INFERENCE_URL is set, else
    this process (4-bit only where it saves memory, a GPU, unless asked)."""
    from training.core.engine import make_generator

    url = settings.MARISA_INFERENCE_URL
    if load_in_4bit is None and not url:
        import torch

        load_in_4bit = settings.MARISA_LOAD_IN_4BIT and torch.cuda.is_available()
    return make_generator(
        base_model,
        adapter_dir,
        line_separator,
        inference_url=url,
        engine_model=engine_model,
        load_in_4bit=bool(load_in_4bit),
    )


def run_generation(job: GenerationJob, listener: Any = None) -> None:
    """Answer the claimed job's questions in chunks; cancel and progress are checked between chunks."""
    from annotation.review.models import Candidate
    from training.core.sampling import SamplingSettings

    version = job.model_version
    todo, total = job_questions(job)
    done = total - len(todo)
    where = "connecting to the inference engine" if settings.MARISA_INFERENCE_URL else "loading the model"
    job.set_phase(where, total_steps=total, step=done)
    generator = load_generator(version, job.params.get("load_in_4bit"))
    character = character_spec(version.snapshot.character if version.snapshot else None)
    sampling = SamplingSettings.from_dict(job.sampling)
    n = job.candidates_per_question
    batch_size = int(job.params.get("batch_size") or DEFAULT_BATCH_SIZE)
    chunk = max(1, batch_size // n)
    dups = {**NO_DUPLICATES, **job.params.get("duplicates", {})}  # a resumed job keeps counting
    started, start_done = time.monotonic(), done
    for i in range(0, len(todo), chunk):
        if job.should_stop():
            _finish(job, Job.Status.CANCELLED, "cancelled: resume answers the remaining questions", True)
            return
        questions = todo[i : i + chunk]
        prompts = [_prompt(q, character, version.line_separator) for q in questions]
        replies = distinct_replies(
            generator, prompts, [q.pk for q in questions], n, sampling, batch_size, dups
        )
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
        job.params = {**job.params, "duplicates": dups}
        job.set_phase(
            "generating",
            step=done,
            eta_seconds=(total - done) / rate if rate else None,
            candidates_created=Candidate.objects.filter(generation_job=job).count(),
            params=job.params,
        )
        if listener:
            listener({"step": done, "total_steps": total})
    _finish(job, Job.Status.SUCCEEDED, "done", False)


def _prompt(question: Any, character: Any, sep: str) -> str:
    from training.core.textformat import Turn, chat_prompt

    context = [Turn(t.get("speaker", ""), t.get("text", "")) for t in question.context or []]
    return chat_prompt(context, question.text, character, sep)


# The rule for exact duplicates, counted in job.params["duplicates"]: a sampled reply equal to another reply
# to the same question (in this job or stored before) is sampled again, at most RESAMPLE_ROUNDS times; what is
# still a duplicate then is left out (the question gets fewer candidates). Greedy replies are never sampled
# again (the same prompt gives the same reply): one is kept.
RESAMPLE_ROUNDS = 2
NO_DUPLICATES: dict[str, Any] = {
    "rule": f"sampled again up to {RESAMPLE_ROUNDS} times, then one kept",
    "found": 0,  # replies that duplicated another reply to their question
    "replaced": 0,  # of those, replaced by a new reply sampled again
    "left_out": 0,  # candidates not stored: still duplicates after the last round (or greedy)
}


def distinct_replies(
    generator: Any,
    prompts: list[str],
    question_ids: list[int],
    n: int,
    sampling: Any,
    batch_size: int,
    stats: dict[str, Any],
) -> list[list[str]]:
    """Up to n replies per prompt, none an exact duplicate of another reply to the same question."""
    import dataclasses

    from annotation.review.candidates import new_distinct, stored_texts
    from training.core.decoding import sampling as is_sampling

    seen = stored_texts(question_ids)
    kept: list[list[str]] = []
    replies = generator.generate(prompts, n=n, settings=sampling, batch_size=batch_size)
    for qid, texts in zip(question_ids, replies, strict=True):
        fresh, dropped = new_distinct(texts, seen.setdefault(qid, set()))
        kept.append(fresh)
        stats["found"] += dropped
    for round_no in range(1, RESAMPLE_ROUNDS + 1 if is_sampling(sampling) else 1):
        short = [j for j, texts in enumerate(kept) if len(texts) < n]
        if not short:
            break
        # A fixed seed would draw the same replies again: each round has its own (still reproducible) seed.
        again = (
            sampling
            if sampling.seed is None
            else dataclasses.replace(sampling, seed=sampling.seed + 7919 * round_no)
        )
        replies = generator.generate([prompts[j] for j in short], n=n, settings=again, batch_size=batch_size)
        for j, texts in zip(short, replies, strict=True):
            fresh, _ = new_distinct(texts, seen[question_ids[j]])
            take = fresh[: n - len(kept[j])]
            kept[j].extend(take)
            stats["replaced"] += len(take)
    stats["left_out"] += sum(n - len(texts) for texts in kept)
    return kept


def _finish(job: GenerationJob, status: Any, phase: str, resumable: bool) -> None:
    from annotation.review.models import Candidate

    job.finish(
        status, phase, resumable, candidates_created=Candidate.objects.filter(generation_job=job).count()
    )
