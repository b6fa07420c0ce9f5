"""How the site writes a time: in the deployment's TIME_ZONE, labelled with its abbreviation.

One format for every page, the admin, form choices and API labels: "2026-12-01 22:05 JST" (TIME_ZONE
Asia/Tokyo). Django takes it for the pages and the admin from `en/formats.py` (FORMAT_MODULE_PATH);
templates write `|date:"DATETIME_FORMAT"`; Python code calls `time_label`.
"""

from __future__ import annotations

from datetime import datetime

DATETIME_FORMAT = "Y-m-d H:i T"


def time_label(value: datetime | None) -> str:
    """An aware datetime in the current time zone (TIME_ZONE), e.g. "2026-12-01 22:05 JST"; "" for None."""
    from django.utils import dateformat, timezone

    return dateformat.format(timezone.localtime(value), DATETIME_FORMAT) if value else ""
