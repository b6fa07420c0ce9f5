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
