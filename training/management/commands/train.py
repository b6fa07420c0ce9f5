"""`manage.py train`: launch a QLoRA training job on a dataset snapshot, or dry-run the data set.

Without --wait the job is queued for a worker on the gpu queue and the command returns at once.
With --wait it shows a tqdm bar until the job ends; when no worker consumes the gpu queue (or with
--inline) the job runs right here, in this process, through the same code a worker runs.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation.datasets.models import DatasetSnapshot
from training.jobs.models import Job
from training.jobs.queueing import gpu_worker_available
from training.management.commands._wait import JobBar, follow
from training.train.launch import launch_training_job
from training.train.metrics import headline_metrics
from training.train.models import ModelVersion, TrainingJob
from training.train.params import STAGES


class Command(BaseCommand):
    help = "Train a LoRA adapter on a dataset snapshot (a TrainingJob), or --dry-run the data set."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--snapshot", type=int, help="snapshot id (default: a snapshot of current data)")
        parser.add_argument("--base-model", default=None, help="HF id or path (default: MARISA_BASE_MODEL)")
        parser.add_argument("--max-steps", type=int, default=None, help="stop after N optimizer steps")
        parser.add_argument("--epochs", type=float, default=None, help="epochs (default 1)")
        parser.add_argument("--batch-size", type=int, default=None, help="per-device batch size")
        parser.add_argument("--learning-rate", type=float, default=None)
        parser.add_argument("--lora-r", type=int, default=None)
        parser.add_argument("--max-seq-length", type=int, default=None)
        parser.add_argument("--save-steps", type=int, default=None, help="checkpoint every N steps")
        parser.add_argument("--no-4bit", action="store_true", help="plain LoRA on a 16/32-bit base model")
        parser.add_argument(
            "--stage", choices=STAGES, default="sft", help="sft (her lines), or a preference stage: dpo, kto"
        )
        parser.add_argument(
            "--from-version",
            type=int,
            default=None,
            help="continue this model version's adapter (dpo/kto default: the active version)",
        )
        parser.add_argument("--beta", type=float, default=None, help="dpo/kto: how far from the parent")
        parser.add_argument(
            "--min-examples", type=int, default=None, help="dpo/kto: fewest pairs/rows to train"
        )
        parser.add_argument(
            "--pref-ftx", type=float, default=None, help="dpo: weight of an SFT loss on chosen"
        )
        parser.add_argument("--activate", action="store_true", help="make the result the active version")
        parser.add_argument("--wait", action="store_true", help="follow the job with a progress bar")
        parser.add_argument("--inline", action="store_true", help="with --wait: run here, not on a worker")
        parser.add_argument("--dry-run", action="store_true", help="build the data set, do not train")
        parser.add_argument("--json", action="store_true", help="last line: one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        snapshot = self._snapshot(options["snapshot"])
        if options["dry_run"]:
            self._dry_run(snapshot, options)
            return
        params = self._params(options)
        inline = options["wait"] and (options["inline"] or not gpu_worker_available())
        parent = self._version(options["from_version"])
        try:
            job = launch_training_job(
                snapshot,
                options["base_model"],
                params,
                send=not inline,
                stage=options["stage"],
                from_version=parent,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        continues = f", continuing {job.from_version.name}" if job.from_version else ""
        self.stdout.write(
            f"{job.stage} training job {job.pk} on {snapshot} ({snapshot.conversation_count} conversations{continues})"
        )
        if options["wait"]:
            job = self._wait(job, inline)
        elif not gpu_worker_available():
            self.stdout.write(
                "queued, but no worker consumes the gpu queue yet: start one "
                "(celery -A marisa_site worker -Q gpu -c 1) or use --wait to run it here"
            )
        self._report(job, options["json"])

    def _snapshot(self, snapshot_id: int | None) -> DatasetSnapshot:
        if snapshot_id is not None:
            try:
                return DatasetSnapshot.objects.get(pk=snapshot_id)
            except DatasetSnapshot.DoesNotExist:
                raise CommandError(f"no dataset snapshot {snapshot_id}")
        from annotation.datasets.snapshots import create_snapshot

        snapshot = create_snapshot()
        if not snapshot.conversation_count:
            raise CommandError("there is no data to train on: import a corpus (manage.py setup_demo) first")
        return snapshot

    def _version(self, version_id: int | None) -> ModelVersion | None:
        if version_id is None:
            return None
        version = ModelVersion.objects.filter(pk=version_id).first()
        if version is None:
            raise CommandError(f"no model version {version_id}")
        return version

    def _params(self, options: dict[str, Any]) -> dict[str, Any]:
        chosen = {
            "max_steps": options["max_steps"],
            "num_train_epochs": options["epochs"],
            "per_device_batch_size": options["batch_size"],
            "learning_rate": options["learning_rate"],
            "lora_r": options["lora_r"],
            "max_seq_length": options["max_seq_length"],
            "save_steps": options["save_steps"],
            "beta": options["beta"],
            "min_examples": options["min_examples"],
            "pref_ftx": options["pref_ftx"],
        }
        params = {k: v for k, v in chosen.items() if v is not None}
        if options["no_4bit"]:
            params["load_in_4bit"] = False
        if options["activate"]:
            params["activate_when_done"] = True
        return params

    def _wait(self, job: TrainingJob, inline: bool) -> TrainingJob:
        bar = JobBar(f"job {job.pk}")
        try:
            if inline:
                self.stdout.write("no worker on the gpu queue: running the job in this process")
                from training.jobs.tasks import run_here
                from training.train.tasks import run_training_job

                run_here(run_training_job, job.pk, listener=bar.from_progress)
                job.refresh_from_db()
            else:
                job = follow(job, bar)
        except KeyboardInterrupt:
            bar.close()
            raise CommandError(f"stopped following; job {job.pk} goes on (cancel it on its page)")
        bar.close()
        return job

    def _report(self, job: TrainingJob, as_json: bool) -> None:
        job.refresh_from_db()
        version = getattr(job, "model_version", None) if job.status == Job.Status.SUCCEEDED else None
        summary: dict[str, Any] = {
            "job": job.pk,
            "status": job.status,
            "step": job.step,
            "total_steps": job.total_steps,
            "loss": job.loss,
            "stage": job.stage,
            "from_version": job.from_version_id,
            "model_version": version.pk if version else None,
            "metrics": version.metrics if version else {},
            "adapter_dir": version.adapter_dir if version else None,
            "error": job.error or None,
        }
        if version:
            self.stdout.write(f"model version {version.pk} ({version.name}) in {version.adapter_dir}")
            for key, value in headline_metrics(version.metrics):
                self.stdout.write(
                    f"  {key}: {value:.4g}" if isinstance(value, float) else f"  {key}: {value}"
                )
        elif job.is_finished:
            self.stdout.write(f"job {job.pk} {job.status}: {job.error or job.phase}")
        if as_json:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        if job.status == Job.Status.FAILED:
            raise CommandError(
                f"training job {job.pk} failed: {job.error.splitlines()[0] if job.error else ''}"
            )

    def _dry_run(self, snapshot: DatasetSnapshot, options: dict[str, Any]) -> None:
        from training.train.run import dry_run

        if options["stage"] != "sft":
            self._dry_run_preference(snapshot, options)
            return
        report = dry_run(snapshot, options["base_model"], options["max_seq_length"])
        self.stdout.write(
            f"{snapshot}: {report['examples']} examples, {report['tokens']} tokens, "
            f"{report['trained_tokens']} trained tokens (nothing was trained)"
        )
        if not options["json"]:
            for sample in report.get("samples", [])[:3]:
                self.stdout.write(f"  trained: {sample!r}"[:300])
        # A dry run always ends with the report as one JSON object (with or without --json).
        self.stdout.write(json.dumps(report, ensure_ascii=False))

    def _dry_run_preference(self, snapshot: DatasetSnapshot, options: dict[str, Any]) -> None:
        from training.train.run import dry_run_preference

        stage = options["stage"]
        parent = self._version(options["from_version"])
        base = options["base_model"] or (parent.base_model if parent else None)
        report = dry_run_preference(snapshot, stage, base)
        unit = "pairs" if stage == "dpo" else "rows"
        self.stdout.write(
            f"{snapshot}: {report['train']} {unit} to train on, {report['held_out']} held out, "
            f"{report['identical_dropped']} identical dropped (nothing was trained)"
        )
        if not options["json"]:
            for sample in report["samples"][:3]:
                self.stdout.write(f"  {sample!r}"[:300])
        self.stdout.write(json.dumps(report, ensure_ascii=False))
