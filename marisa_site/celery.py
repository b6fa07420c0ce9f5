"""The Celery app. Queues: `gpu` (training, generation; one task at a time) and `default`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marisa_site.settings")

app = Celery("marisa_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each stage keeps its tasks in its own package.
app.autodiscover_tasks(
    [
        "training.jobs",
        "training.train",
        "training.generate",
        "training.playground",
        "training.arena",
        "line_bot",
    ]
)
