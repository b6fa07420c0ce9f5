"""What a caller can send the API of every stage (marisa_site/rest.py) and get a 400, never a 500: a
cursor edited by hand, dates at the edge of the calendar, ids out of range, a page size that is no
number, a JSON body nested thousands deep. The lists are read from the live OpenAPI schema, so a list
added later is covered too."""

from __future__ import annotations

import base64

import pytest
from rest_framework.test import APIClient

from marisa_site.rest import INVALID_CURSOR
from tests.factories import make_question_set, seed_corpus

pytestmark = pytest.mark.django_db


def list_endpoints(api: APIClient, parameter: str) -> list[str]:
    """Every GET path of the schema that takes `parameter`, with real ids filled in."""
    schema = api.get("/api/schema/?format=json").json()
    qset = make_question_set("errors")
    found = []
    for path, operations in schema["paths"].items():
        names = {p["name"] for p in operations.get("get", {}).get("parameters", [])}
        if parameter in names:
            found.append(path.replace("{id}", str(qset.pk)))
    return found


def cursor(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


TAMPERED = [
    "cD0yMDI2LTEyLTAx",  # p=2026-12-01, as in the report
    cursor("p=abc"),
    cursor("p=1.5"),
    cursor("p=-1"),
    cursor(f"p={2**63}"),
    cursor("o=-5"),
    cursor("r=x"),
    "not base64 at all!",
    "%E3%81%82",  # あ: not ASCII
]


def test_a_tampered_cursor_is_a_400_on_every_list(staff_api: APIClient) -> None:
    seed_corpus()
    endpoints = list_endpoints(staff_api, "cursor")
    assert len(endpoints) >= 12, endpoints  # every stage's lists, one nested (a set's questions)
    wrong = {}
    for path in endpoints:
        for value in TAMPERED:
            response = staff_api.get(f"{path}?cursor={value}")
            if response.status_code != 400 or response.json() != {"cursor": INVALID_CURSOR}:
                wrong[f"{path}?cursor={value}"] = (response.status_code, response.content[:200])
    assert not wrong


def test_a_cursor_the_api_wrote_still_pages(staff_api: APIClient) -> None:
    seed_corpus()
    first = staff_api.get("/api/lines/?page_size=2").json()
    second = staff_api.get(first["next"])
    assert second.status_code == 200 and second.json()["results"]
    assert staff_api.get(second.json()["previous"]).json()["results"] == first["results"]


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01",  # a day that starts before year 1 in UTC
        "0001-01-01T00:00:00",
        "9999-12-31",
        "9999-12-31T23:59:59-12:00",
        "garbage",
        "2026-13-45",
        "2026-01-01T25:00:00",
    ],
)
def test_a_date_out_of_range_or_unreadable_is_a_400(staff_api: APIClient, value: str) -> None:
    endpoints = list_endpoints(staff_api, "created_after")
    assert len(endpoints) >= 6, endpoints
    for path in endpoints:
        for name in ("created_after", "created_before"):
            response = staff_api.get(path, {name: value})
            assert response.status_code == 400, (path, name, response.content[:200])
            assert set(response.json()) == {name}


def test_dates_inside_the_calendar_still_filter(staff_api: APIClient) -> None:
    seed_corpus()
    for value in ("0002-01-01", "9998-12-31", "2026-01-01T00:00:00+09:00"):
        assert staff_api.get("/api/sources/", {"created_after": value}).status_code == 200


@pytest.mark.parametrize("value", ["abc", "1e3", "-1", str(2**63), "9" * 5000])
def test_an_id_filter_that_is_no_id_is_a_400(staff_api: APIClient, value: str) -> None:
    for path, name in [
        ("/api/lines/", "source"),
        ("/api/lines/", "conversation"),
        ("/api/conversations/", "source"),
        ("/api/questions/", "question_set"),
        ("/api/candidates/", "model_version"),
    ]:
        response = staff_api.get(path, {name: value})
        assert response.status_code == 400 and set(response.json()) == {name}, (path, response.content)


@pytest.mark.parametrize("value", ["abc", "-1", "0", str(2**70)])
def test_a_page_size_that_is_no_size_gives_the_default_page(staff_api: APIClient, value: str) -> None:
    seed_corpus()
    response = staff_api.get("/api/lines/", {"page_size": value})
    assert response.status_code == 200 and response.json()["results"]


def test_an_id_beyond_the_database_range_is_a_404(staff_api: APIClient) -> None:
    for path in ("/api/lines/", "/api/candidates/", "/api/sources/", "/api/question-sets/"):
        assert staff_api.get(f"{path}{2**64}/").status_code == 404
    assert staff_api.get(f"/api/question-sets/{2**64}/questions/").status_code == 404


@pytest.mark.parametrize("path", ["/api/questions/", "/api/characters/", "/api/question-sets/"])
def test_a_json_body_nested_thousands_deep_is_a_400(staff_api: APIClient, path: str) -> None:
    deep = "[" * 100000 + "]" * 100000
    for body in (deep, '{"name": "a", "text": "b", "context": ' + deep + "}"):
        response = staff_api.generic("POST", path, body, content_type="application/json")
        assert response.status_code == 400, response.content[:200]
        assert "nested too deeply" in response.json()["detail"]
