"""How the site writes a time: in the deployment's TIME_ZONE, labelled with its abbreviation.

One format per language for every page, the admin, form choices and API labels: "2026-12-01 22:05 JST" in
English, "2026年12月1日 22:05 JST" in Japanese (TIME_ZONE Asia/Tokyo, the zone always written). Django takes it
for the pages and the admin from `en/formats.py` and `ja/formats.py` (FORMAT_MODULE_PATH); templates write
`|date:"DATETIME_FORMAT"`; Python code calls `time_label`, which follows the active language the same way.
"""

from __future__ import annotations

from datetime import datetime

DATETIME_FORMAT = "Y-m-d H:i T"


def time_label(value: datetime | None) -> str:
    """An aware datetime in the current time zone (TIME_ZONE), e.g. "2026-12-01 22:05 JST"; "" for None."""
    from django.utils import dateformat, formats, timezone

    return (
        dateformat.format(timezone.localtime(value), formats.get_format("DATETIME_FORMAT")) if value else ""
    )
