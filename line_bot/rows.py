"""One-statement INSERT ... RETURNING id for the webhook's hot path.

`Model.objects.create` spends most of its time in the query compiler; the webhook inserts two rows
per message, so it builds the statement once per model and prepares each value with the field's
own `get_db_prep_save` (the same conversion the ORM applies: datetimes, JSON, UUIDs, booleans).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone


@cache
def _plan(model: type[Model], vendor: str) -> tuple[str, tuple]:
    quote = connection.ops.quote_name
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks}) "
        f"RETURNING {quote(model._meta.pk.column)}"
    )
    return sql, fields


def insert(model: type[Model], **values: Any) -> int:
    """Insert one row of `model` (values by attname, e.g. chat_id); defaults as the ORM would fill them."""
    sql, fields = _plan(model, connection.vendor)
    now = timezone.now()
    params = []
    for field in fields:
        if field.attname in values:
            value = values[field.attname]
        elif getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            value = now
        else:
            value = field.get_default()  # the declared default, "" for text columns, else None
        params.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]
