"""The engine being down, and the engine's command line: no engine process needed."""

from __future__ import annotations

import json

import pytest

from line_bot import replies
from line_bot.models import Message
from tests import servers
from tests.factories import make_questions, make_version
from tests.line_bot.conftest import post_event, text_event

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def engine_down(line_settings, demo_model_dir):
    """MARISA_INFERENCE_URL names a loopback port nothing listens on."""
    from line_bot import answering

    line_settings.MARISA_INFERENCE_URL = f"http://127.0.0.1:{servers.free_port()}/v1"
    line_settings.MARISA_BASE_MODEL = ""
    line_settings.MARISA_DEMO_MODEL_DIR = demo_model_dir
    answering._cache.clear()
    yield line_settings
    answering._cache.clear()


def test_healthz_names_the_engine_when_it_is_down(client, engine_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["engine"] is False and "engine" in body["down"]
    assert engine_down.MARISA_INFERENCE_URL in body["message"]


def test_healthz_does_not_ask_for_an_engine_when_none_is_set(client, settings):
    settings.MARISA_INFERENCE_URL = ""
    assert "engine" not in client.get("/healthz").json()["checks"]


def test_a_line_user_gets_an_apology_when_the_engine_is_down(client, engine_down, line_standin):
    from line_bot import tasks

    post_event(client, text_event("Udown", "よう"))
    inbound = Message.objects.get(direction="in")
    assert tasks.generate_reply(inbound.pk) == "sent"
    inbound.refresh_from_db()
    answer = Message.objects.get(direction="out")
    assert answer.kind == "apology" and answer.text == replies.APOLOGY
    assert inbound.status == "failed" and "inference engine at http://127.0.0.1:" in inbound.error
    [reply] = line_standin.recorded("/v2/bot/message/reply")
    assert reply["body"]["messages"][0]["text"] == replies.APOLOGY


@pytest.mark.django_db(transaction=True)
def test_a_generation_job_fails_with_a_clear_error_when_the_engine_is_down(engine_down, demo_model_dir):
    from training.generate.run import launch_generation_job
    from training.generate.tasks import run_generation_job
    from training.jobs.models import Job
    from training.jobs.tasks import run_here

    version = make_version(name="demo-base", base_model=str(demo_model_dir), adapter_dir="")
    job = launch_generation_job(version, make_questions(), n=2, send=False)
    job = run_here(run_generation_job, job.pk)
    assert job.status == Job.Status.FAILED
    assert job.error.startswith("EngineError: the inference engine at http://127.0.0.1:")
    assert "make engine" in job.error and job.candidates_created == 0


def test_chat_says_in_one_line_that_the_engine_is_down(engine_down, demo_model_dir):
    from io import StringIO

    from django.core.management import CommandError, call_command

    version = make_version(name="demo-base", base_model=str(demo_model_dir), adapter_dir="")
    with pytest.raises(CommandError, match="inference engine at http://127.0.0.1:.*unreachable"):
        call_command("chat", "--version", str(version.pk), stdin=StringIO("よう\n"), stdout=StringIO())


def test_the_engine_command_line_serves_the_base_model_and_every_stored_adapter(
    settings, tmp_path, demo_model_dir
):
    from marisa_site.engine_cmd import engine_arguments

    settings.MARISA_BASE_MODEL = ""
    settings.MARISA_DEMO_MODEL_DIR = demo_model_dir
    adapter = tmp_path / "v1"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(json.dumps({"r": 96}))
    on_disk = make_version(name="v1", adapter_dir=str(adapter))
    make_version(name="gone", adapter_dir=str(tmp_path / "deleted"))  # its files are gone: not served
    args = engine_arguments()
    assert args[args.index("--model") + 1] == str(demo_model_dir)
    assert args[args.index("--served-model-name") + 1] == "base"
    assert args[args.index("--max-lora-rank") + 1] == "128"  # r=96 rounded up to a rank vLLM accepts
    assert args[args.index("--lora-modules") + 1 :] == [f"version-{on_disk.pk}={adapter}"]


def test_the_inference_url_must_be_an_http_url(monkeypatch):
    from marisa_site.env import SettingsError, env_url

    monkeypatch.setenv("MARISA_INFERENCE_URL", "127.0.0.1:8100")
    with pytest.raises(SettingsError, match="MARISA_INFERENCE_URL='127.0.0.1:8100' is not an http"):
        env_url("MARISA_INFERENCE_URL")
    monkeypatch.setenv("MARISA_INFERENCE_URL", "http://gpu-box:8100/v1/")
    assert env_url("MARISA_INFERENCE_URL") == "http://gpu-box:8100/v1"
