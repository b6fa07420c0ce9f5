"""What every API list shares (marisa_site/rest.py): cursor pages, and text filters that refuse NUL."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import make_source

pytestmark = pytest.mark.django_db


def test_cursor_pagination_walks_every_line_once(staff_api: APIClient) -> None:
    make_source([[("霊夢", f"台詞{i}") for i in range(25)]])
    seen, url = [], "/api/lines/?page_size=10"
    while url:
        body = staff_api.get(url).json()
        seen += [line["text"] for line in body["results"]]
        url = body["next"]
    assert seen == [f"台詞{i}" for i in range(25)]


def test_nul_in_a_text_filter_is_a_400(staff_api: APIClient) -> None:
    assert staff_api.get("/api/lines/?speaker=a%00b").status_code == 400


def test_a_date_filter_takes_the_whole_day(staff_api: APIClient) -> None:
    from datetime import timedelta

    from django.utils import timezone

    make_source([[("霊夢", "今日の台詞")]])
    today = timezone.localdate()

    def count(**params: str) -> int:
        return len(staff_api.get("/api/sources/", params).json()["results"])

    assert count(created_before=today.isoformat()) == 1  # "up to this date, inclusive"
    assert count(created_after=today.isoformat()) == 1
    assert count(created_before=(today - timedelta(days=1)).isoformat()) == 0
    assert count(created_after=(today + timedelta(days=1)).isoformat()) == 0
