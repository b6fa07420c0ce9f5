"""The Celery app. Queues: `gpu` (training, generation; one task at a time) and `default`."""

import os

from celery import Celery
from celery.signals import worker_init

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


@worker_init.connect
def lower_priority(**_kwargs) -> None:
    """Before the pool forks: the worker and its children run at MARISA_WORKER_NICE (see settings)."""
    from django.conf import settings

    wanted = settings.MARISA_WORKER_NICE or 0
    current = os.nice(0)
    if wanted > current:  # raising the priority again would need privileges; never try
        os.nice(wanted - current)
