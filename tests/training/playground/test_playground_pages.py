"""The playground's pages: who may use it, what it refuses, and a real worker answering two versions."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from tests.factories import client_for, make_character, make_reviewer, make_user, make_version
from training.playground.models import PlaygroundTurn

pytestmark = pytest.mark.django_db


def _post(client, version_a: str, message: str, version_b: str = "", **extra: str):
    data = {
        "conversation": str(uuid.uuid4()),
        "version_a": version_a,
        "version_b": version_b,
        "message": message,
        "temperature": "0.1",
        "top_p": "0.9",
        "top_k": "20",
        "repetition_penalty": "1.05",
        "no_repeat_ngram_size": "2",
        "max_new_tokens": "16",
        **extra,
    }
    return client.post("/training/playground/send/", data, HTTP_HX_REQUEST="true")


def test_users_without_the_reviewer_role_get_the_reason_not_the_playground() -> None:
    client = client_for(make_user("nobody"))
    page = client.get("/training/playground/")
    assert page.status_code == 403
    assert "reviewer role" in page.content.decode()
    assert _post(client, "base", "こんにちは").status_code == 403
    assert not PlaygroundTurn.objects.exists()


def test_an_empty_or_overlong_message_is_refused_with_the_reason_and_nothing_is_queued() -> None:
    client = client_for(make_reviewer("rev"))
    blank = _post(client, "base", "　 ")  # a full-width space alone is still nothing to answer
    assert blank.status_code == 400 and "Write a message first." in blank.content.decode()
    long = _post(client, "base", "あ" * 2001)
    assert long.status_code == 400 and "at most 2000 characters" in long.content.decode()
    bad = _post(client, "base", "やあ", temperature="9")
    assert bad.status_code == 400
    assert not PlaygroundTurn.objects.exists()


def test_a_reviewer_cannot_read_another_reviewers_turns() -> None:
    owner, other = make_reviewer("owner"), make_reviewer("other")
    assert _post(client_for(owner), "base", "やあ").status_code == 200
    turn = PlaygroundTurn.objects.get()
    assert client_for(other).get(f"/training/playground/turns/{turn.pk}/").status_code == 404


def test_the_page_lists_every_version_and_the_base_and_says_the_demo_model_is_a_toy(settings) -> None:
    settings.MARISA_BASE_MODEL = ""
    make_version(name="v7 · abc")
    page = client_for(make_reviewer("rev")).get("/training/playground/").content.decode()
    assert "v7 · abc" in page and "base model (no adapter)" in page
    assert "babbles by design" in page and "MARISA_BASE_MODEL" in page


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_answers_two_versions_side_by_side_each_with_its_own_history(
    worker_env: dict[str, str], demo_model_dir: Path, tmp_path: Path
) -> None:
    from tests import servers
    from tests.training.train.test_rescore import _untrained_adapter

    make_character()
    adapter = _untrained_adapter(demo_model_dir, tmp_path / "adapter")
    version = make_version(name="v1 · test", base_model=str(demo_model_dir), adapter_dir=str(adapter))
    env = {**worker_env, "MARISA_DEMO_MODEL_DIR": str(demo_model_dir), "MARISA_BASE_MODEL": ""}
    worker = servers.start_celery_worker(env, queues="default")
    try:
        client = client_for(make_reviewer("rev"))
        conversation = str(uuid.uuid4())
        for message in ("こんにちは", "魔法の話をして"):
            response = _post(
                client, str(version.pk), message, "base", conversation=conversation, do_sample=""
            )
            assert response.status_code == 200
            assert message in response.content.decode()
        deadline = time.monotonic() + 300  # a loaded machine: the first reply loads the model
        while PlaygroundTurn.objects.exclude(status=PlaygroundTurn.Status.DONE).exists():
            failed = PlaygroundTurn.objects.filter(status=PlaygroundTurn.Status.FAILED).first()
            assert failed is None, failed.error if failed else ""
            assert time.monotonic() < deadline, worker.log()
            time.sleep(0.5)
    finally:
        worker.stop()
    turns = list(PlaygroundTurn.objects.order_by("pk"))
    assert [(t.side, t.version_id) for t in turns] == [("a", version.pk), ("b", None)] * 2
    assert all(t.reply for t in turns) and all(t.sampling["do_sample"] is False for t in turns)
    page = client.get(f"/training/playground/?conversation={conversation}").content.decode()
    assert "v1 · test" in page and "base model (no adapter)" in page
    assert all(t.reply in page for t in turns)
