"""Replies through the real inference engine (vLLM serving the demo model) against in-process peft."""

from __future__ import annotations

import pytest

from line_bot.models import Message
from tests.factories import make_questions, make_version
from tests.line_bot.conftest import post_event, text_event
from training.core.sampling import SamplingSettings
from training.core.textformat import CharacterSpec

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]

MARISA = CharacterSpec("魔理沙", frozenset({"霧雨魔理沙"}))
QUESTIONS = ["こんにちは", "今日は何をするの？", "霊夢はどこ？", "魔法を見せて", "キノコは好き？", "よう"]
# The engine has no n-gram ban (training/core/engine.py UNMAPPED), so the comparison leaves it off both sides.
GREEDY = SamplingSettings(do_sample=False, no_repeat_ngram_size=0)


@pytest.fixture
def through_engine(line_settings, engine, demo_model_dir):
    """Settings as a deployment with the engine has them; the bot forgets the generators it cached."""
    from line_bot import answering

    line_settings.MARISA_INFERENCE_URL = engine.url
    line_settings.MARISA_BASE_MODEL = ""
    line_settings.MARISA_DEMO_MODEL_DIR = demo_model_dir
    answering._cache.clear()
    yield line_settings
    answering._cache.clear()


def test_greedy_replies_through_the_engine_equal_in_process_peft_token_for_token(
    engine, adapters, demo_model_dir
):
    from training.core.engine import BASE_MODEL_NAME, EngineGenerator, adapter_name
    from training.core.generation import Generator

    for name, adapter in [
        (adapter_name(101), adapters[0]),
        (adapter_name(102), adapters[1]),
        (BASE_MODEL_NAME, None),
    ]:
        local = Generator.load(str(demo_model_dir), str(adapter) if adapter else None, "\n")
        remote = EngineGenerator.connect(
            engine.url, name, str(demo_model_dir), str(adapter) if adapter else None, "\n"
        )
        prompts = [local.prompt_for([], q, MARISA) for q in QUESTIONS]
        mine = local.generate(prompts, settings=GREEDY)
        theirs = remote.generate(prompts, settings=GREEDY)
        assert theirs == mine, name
        # Token for token: the same ids, not only the same text after decoding.
        assert [local.tokenizer(r[0])["input_ids"] for r in theirs] == [
            local.tokenizer(r[0])["input_ids"] for r in mine
        ]
    assert len({r[0] for r in theirs}) > 1  # the replies differ by question: the prompts reached the model


def test_a_line_message_is_answered_through_the_engine(
    client, through_engine, line_standin, engine, adapters, demo_model_dir, db
):
    from line_bot import tasks
    from training.core.engine import EngineGenerator, adapter_name

    version = make_version(name="marisa-v1", base_model=str(demo_model_dir), adapter_dir=str(adapters[0]))
    version.activate()
    assert post_event(client, text_event("Uengine", "こんにちは")) == "queued"
    assert tasks.generate_reply(Message.objects.get(direction="in").pk) == "sent"
    answer = Message.objects.get(direction="out")
    assert answer.kind == "text" and answer.model_version == "marisa-v1"
    [reply] = line_standin.recorded("/v2/bot/message/reply")
    assert reply["body"]["messages"][0]["text"] == answer.text
    # The engine answered: the bot's reply is the engine's own reply for that version (the sampling's top_p
    # keeps only the top token of this peaked adapter at temperature 0.1, so it is the greedy one).
    remote = EngineGenerator.connect(
        engine.url, adapter_name(version.pk), str(demo_model_dir), str(adapters[0]), "\n"
    )
    assert answer.text == remote.reply(
        [], "こんにちは", MARISA, SamplingSettings(do_sample=False, no_repeat_ngram_size=0)
    )


def test_activating_another_version_switches_what_the_bot_answers_without_restart(
    client, through_engine, line_standin, engine, adapters, demo_model_dir, db
):
    from line_bot import tasks
    from training.core.engine import EngineClient, adapter_name, preload_adapter

    one = make_version(name="marisa-v1", base_model=str(demo_model_dir), adapter_dir=str(adapters[0]))
    two = make_version(name="marisa-v2", base_model=str(demo_model_dir), adapter_dir=str(adapters[1]))
    pid = engine.process.popen.pid

    def bot_answer(user: str) -> Message:
        post_event(client, text_event(user, "今日は何をするの？"))
        tasks.generate_reply(Message.objects.filter(direction="in").latest("pk").pk)
        return Message.objects.filter(direction="out").latest("pk")

    one.activate()
    preload_adapter(engine.url, one.pk, one.adapter_dir)  # the post-activation hook
    first = bot_answer("Uswitch1")
    two.activate()
    preload_adapter(engine.url, two.pk, two.adapter_dir)
    client_ = EngineClient(engine.url)
    served = {m["id"]: m["root"] for m in client_.models()}
    client_.close()
    assert served[adapter_name(two.pk)] == str(adapters[1])  # loaded at runtime, not at start-up
    second = bot_answer("Uswitch2")

    assert (first.model_version, second.model_version) == ("marisa-v1", "marisa-v2")
    assert first.text and second.text and first.text != second.text
    assert engine.process.popen.poll() is None and engine.process.popen.pid == pid  # the same engine


def test_a_generation_job_through_the_engine_stores_distinct_candidates(
    through_engine, engine, demo_model_dir, db
):
    from training.generate.run import launch_generation_job
    from training.generate.tasks import run_generation_job
    from training.jobs.models import Job
    from training.jobs.tasks import run_here

    version = make_version(name="demo-base", base_model=str(demo_model_dir), adapter_dir="")
    questions = make_questions(texts=("好きなものは？", "今日は何をする？", "霊夢をどう思う？"))
    job = launch_generation_job(
        version, questions, n=3, batch_size=6, sampling={"max_new_tokens": 16, "seed": 5}, send=False
    )
    job = run_here(run_generation_job, job.pk)
    assert job.status == Job.Status.SUCCEEDED, job.error
    for question in questions.questions.all():
        texts = list(question.candidates.values_list("text", flat=True))
        assert texts and len(texts) == len(set(texts))
    stats = job.params["duplicates"]
    assert job.candidates_created == 9 - stats["left_out"]
    assert stats["found"] == stats["replaced"] + stats["left_out"]


def test_healthz_says_the_engine_is_up(client, through_engine, db):
    assert client.get("/healthz").json()["checks"]["engine"] is True


def test_chat_talks_through_the_engine(through_engine, engine, adapters, demo_model_dir, db):
    import re
    from io import StringIO

    from django.core.management import call_command

    from training.core.generation import Generator

    version = make_version(name="marisa-v1", base_model=str(demo_model_dir), adapter_dir=str(adapters[0]))
    out = StringIO()
    args = ["--version", str(version.pk), "--greedy", "--no-repeat-ngram-size", "0"]
    call_command("chat", *args, stdin=StringIO("こんにちは\n/quit\n"), stdout=out)
    assert f"on the inference engine at {engine.url}" in out.getvalue()
    [reply] = re.findall(r"魔理沙> (.*)", out.getvalue())
    local = Generator.load(str(demo_model_dir), str(adapters[0]), "\n")
    assert reply == local.reply([], "こんにちは", MARISA, GREEDY)
