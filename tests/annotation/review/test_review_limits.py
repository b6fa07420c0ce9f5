"""What a reviewer or a staff member types, over its limit or out of range: a 400 with one message (the
same for the review page, which uses the API, and a script), never a 500 or a 2 MB reply stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from annotation.corpus.limits import SPEAKER_MAX, SPEAKER_TOO_LONG
from annotation.corpus.models import Line
from annotation.review import attribution
from annotation.review.limits import (
    CONTEXT_TOO_LONG,
    CONTEXT_TOO_MANY,
    CONTEXT_TURNS_MAX,
    QUESTION_MAX,
    QUESTION_TOO_LONG,
    REASON_MAX,
    REASON_TOO_LONG,
    REPLY_MAX,
    REPLY_TOO_LONG,
)
from annotation.review.models import Candidate, Question, ReviewAction
from annotation.review.questions import QuestionImportError, import_questions
from marisa_site.rest import INT_MAX
from tests.factories import (
    client_for,
    make_candidates,
    make_conversation,
    make_question_set,
    make_reviewer,
    make_source,
    token_client_for,
)

pytestmark = pytest.mark.django_db


def claimed() -> tuple[APIClient, dict]:
    make_candidates(1)
    api = token_client_for(make_reviewer("a"))
    return api, api.post("/api/review/claim/").json()


def submit(api: APIClient, item: dict, **body: object) -> object:
    return api.post(f"/api/review/{item['id']}/submit/", {"version": item["version"], **body}, format="json")


@pytest.mark.parametrize("version", [2**63, 2**64, INT_MAX + 1, -1])
def test_a_version_out_of_range_is_a_400(version: int) -> None:
    api, item = claimed()
    response = submit(api, item, action="accept", version=version)
    assert response.status_code == 400 and set(response.json()) == {"version"}
    assert Candidate.objects.get().status == "pending"


@pytest.mark.parametrize("action", ["edit", "accept", "reject", "skip"])
def test_a_reply_over_the_limit_is_a_400_whatever_the_action(action: str) -> None:
    api, item = claimed()
    response = submit(api, item, action=action, text="だぜ" * 1_000_000)  # 2 MB on one line
    assert response.status_code == 400 and response.json() == {"detail": REPLY_TOO_LONG}
    assert not ReviewAction.objects.exists()
    assert submit(api, item, action="edit", text="ぜ" * REPLY_MAX).status_code == 200


def test_a_reason_over_the_limit_is_a_400() -> None:
    api, item = claimed()
    response = submit(api, item, action="reject", reason="x" * (REASON_MAX + 1))
    assert response.status_code == 400 and response.json() == {"detail": REASON_TOO_LONG}
    assert submit(api, item, action="reject", reason="x" * REASON_MAX).status_code == 200


def test_a_long_reply_of_the_model_itself_can_still_be_accepted() -> None:
    (cand,) = make_candidates(1)
    Candidate.objects.filter(pk=cand.pk).update(text="長" * (REPLY_MAX + 10))
    api = token_client_for(make_reviewer("a"))
    item = api.post("/api/review/claim/").json()
    assert submit(api, item, action="accept", text=item["text"]).status_code == 200


# --- Questions ------------------------------------------------------------------------------------


def test_question_limits_over_the_api(staff_api: APIClient) -> None:
    qset = make_question_set("limits")

    def post(**body: object) -> object:
        return staff_api.post("/api/questions/", {"question_set": qset.pk, **body}, format="json")

    assert post(text="問" * (QUESTION_MAX + 1)).json() == {"text": [QUESTION_TOO_LONG]}
    turn = {"speaker": "ユーザー", "text": "よう"}
    too_many = post(text="q", context=[turn] * (CONTEXT_TURNS_MAX + 1))
    assert too_many.status_code == 400 and CONTEXT_TOO_MANY in str(too_many.json())
    long_turn = post(text="q", context=[{**turn, "text": "x" * (QUESTION_MAX + 1)}])
    assert long_turn.status_code == 400 and CONTEXT_TOO_LONG in str(long_turn.json())
    long_speaker = post(text="q", context=[{**turn, "speaker": "x" * (SPEAKER_MAX + 1)}])
    assert long_speaker.status_code == 400 and SPEAKER_TOO_LONG in str(long_speaker.json())
    assert post(text="問" * QUESTION_MAX, context=[turn] * CONTEXT_TURNS_MAX).status_code == 201
    assert post(text="q", position=2**63).status_code == 400


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("long.txt", "短い質問\n" + "問" * (QUESTION_MAX + 1) + "\n", f"line 2: {QUESTION_TOO_LONG}"),
        ("deep.jsonl", '{"question": "q", "context": ' + "[" * 100000 + "]" * 100000 + "}\n", "line 1:"),
        ("deep.json", "[" * 100000 + "]" * 100000, "nested too deeply"),
        (
            "ctx.jsonl",
            json.dumps(
                {"question": "q", "context": [{"speaker": "a", "text": "b"}] * (CONTEXT_TURNS_MAX + 1)}
            ),
            CONTEXT_TOO_MANY,
        ),
    ],
)
def test_question_files_keep_the_same_limits(tmp_path: Path, name: str, content: str, fragment: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(QuestionImportError) as info:
        import_questions(path)
    assert fragment in str(info.value)
    assert not Question.objects.exists()


# --- Attribution ----------------------------------------------------------------------------------


def test_attribution_refuses_long_or_nul_names_and_skips_of_missing_lines() -> None:
    conversation = make_conversation(make_source([]))
    (line,) = Line.objects.bulk_create([Line(conversation=conversation, position=0, speaker="", text="誰？")])
    reviewer = make_reviewer("a")
    assert attribution.claim_line(reviewer).pk == line.pk
    with pytest.raises(ValueError, match=SPEAKER_TOO_LONG):
        attribution.assign(line.pk, reviewer, "x" * (SPEAKER_MAX + 1))
    with pytest.raises(ValueError, match="NUL"):
        attribution.assign(line.pk, reviewer, "a\x00b")
    page = client_for(reviewer)
    for pk in (line.pk + 1000, 2**63, 2**70):  # no such line; beyond the database's integers
        response = page.post(f"/corpus/attribution/{pk}/", {"skip": "1"})
        assert response.status_code == 302
    assert attribution.assign(line.pk, reviewer, "x" * SPEAKER_MAX).speaker == "x" * SPEAKER_MAX
