"""`manage.py generate`: a GenerationJob that answers a question set with candidates for review."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation.review.models import QuestionSet
from training.generate.run import DEFAULT_BATCH_SIZE, launch_generation_job
from training.generate.tasks import run_generation_job
from training.jobs.models import Job
from training.jobs.queueing import gpu_worker_available
from training.jobs.tasks import run_here
from training.management.commands._sampling import add_sampling_arguments, sampling_from_options
from training.management.commands._wait import JobBar, follow
from training.train.models import ModelVersion


class Command(BaseCommand):
    help = "Generate N candidate replies per question of a question set with a model version."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # `--version ID` names a model version here, in place of Django's own --version flag.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--question-set", required=True, help="question set name")
        parser.add_argument("--version", type=int, help="model version id (default: the active one)")
        parser.add_argument("--n", type=int, default=2, help="candidates per question")
        parser.add_argument("--only-unanswered", action="store_true", help="skip answered questions")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
        parser.add_argument("--wait", action="store_true", help="follow the job with a progress bar")
        parser.add_argument("--inline", action="store_true", help="with --wait: run here, not on a worker")
        parser.add_argument("--json", action="store_true", help="last line: one JSON object")
        add_sampling_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            question_set = QuestionSet.objects.get(name=options["question_set"])
        except QuestionSet.DoesNotExist:
            names = ", ".join(QuestionSet.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"no question set {options['question_set']!r} (there are: {names})")
        version = self._version(options["version"])
        inline = options["wait"] and (options["inline"] or not gpu_worker_available())
        try:
            job = launch_generation_job(
                version,
                question_set,
                n=options["n"],
                only_unanswered=options["only_unanswered"],
                sampling=sampling_from_options(options),
                batch_size=options["batch_size"],
                send=not inline,
            )
        except ValueError as exc:
            raise CommandError(str(exc))
        self.stdout.write(f"generation job {job.pk}: {version.name} on {question_set.name}")
        if options["wait"]:
            bar = JobBar(f"generation {job.pk}", unit="question")
            if inline:
                self.stdout.write("no worker on the gpu queue: running the job in this process")

                run_here(run_generation_job, job.pk, listener=bar.from_progress)
            else:
                follow(job, bar)
            bar.close()
        job.refresh_from_db()
        summary = {
            "job": job.pk,
            "status": job.status,
            "questions": job.total_steps,
            "candidates": job.candidates_created,
            "error": job.error or None,
        }
        self.stdout.write(f"job {job.pk} {job.status}: {job.candidates_created} candidates")
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        if job.status == Job.Status.FAILED:
            raise CommandError(f"generation job {job.pk} failed: {job.error.splitlines()[0]}")

    def _version(self, version_id: int | None) -> ModelVersion:
        version = (
            ModelVersion.objects.filter(pk=version_id).first()
            if version_id is not None
            else ModelVersion.active()
        )
        if version is None:
            raise CommandError("no such model version (and none active): train one or pass --version ID")
        return version
