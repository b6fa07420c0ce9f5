"""Generation with the tiny demo model: stop at the separator, batching, candidates, the history budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.core.textformat import CharacterSpec, Turn

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]

MARISA = CharacterSpec("魔理沙", frozenset({"霧雨魔理沙"}))


GREEDY_LONG = {"do_sample": False, "max_new_tokens": 48}


def user_prompts() -> list[str]:
    """Prompts of clearly different lengths, so a batch needs left padding."""
    from training.core.textformat import chat_prompt

    history = [Turn("霊夢", "また来たの。お賽銭なら入れてってよね"), Turn("魔理沙", "賽銭箱よりキノコだぜ")]
    return [
        chat_prompt([], "よう", MARISA, "\n"),
        chat_prompt(history, "今日は何をするの？", MARISA, "\n"),
        chat_prompt([], "新しい魔法を思いついたって本当？", MARISA, "\n"),
        chat_prompt(history[:1], "お茶でも飲んでいく？", MARISA, "\n"),
        chat_prompt(history, "図書館の本、いつ返すの？　パチュリーが怒ってたわよ", MARISA, "\n"),
    ]


@pytest.fixture(scope="module")
def generator(demo_model_dir: Path):
    from training.core.generation import Generator

    return Generator.load(str(demo_model_dir), None, "\n")


def test_generation_stops_at_the_separator_and_keeps_only_the_reply(generator):
    import torch

    from training.core.sampling import SamplingSettings

    settings = SamplingSettings(**GREEDY_LONG)
    prompts = user_prompts()
    replies = generator.generate(prompts, settings=settings)
    assert [len(r) for r in replies] == [1] * len(prompts)

    # The same greedy run without any stop rule: the model does write the separator and keeps going.
    tok = generator.tokenizer
    ran_on = 0
    for prompt, [reply] in zip(prompts, replies, strict=True):
        assert "\n" not in reply and reply
        enc = tok(prompt, return_tensors="pt")
        with torch.no_grad():
            raw = generator.model.generate(
                **enc,
                **settings.generate_kwargs(),
                eos_token_id=tok.eos_token_id,
                pad_token_id=tok.pad_token_id,
                begin_suppress_tokens=generator.stop_ids,  # as ours: a reply never starts with a stop token
            )
        text = tok.decode(raw[0, enc["input_ids"].shape[1] :], skip_special_tokens=True)
        if "\n" in text.strip("\n"):
            ran_on += 1
        assert reply == text.split("\n", 1)[0].strip(" \t\r\n")
    assert ran_on > 0, "the demo model never wrote a separator: the stop rule was not exercised"


def test_batched_and_one_at_a_time_greedy_replies_are_the_same(generator):
    from training.core.sampling import SamplingSettings

    settings = SamplingSettings(**GREEDY_LONG)
    prompts = user_prompts()
    batched = generator.generate(prompts, settings=settings, batch_size=32)
    single = [generator.generate([p], settings=settings, batch_size=1)[0] for p in prompts]
    assert batched == single
    assert any(r[0] for r in batched)  # not all empty: the comparison means something


def test_n_candidates_per_prompt_in_prompt_order_with_progress(generator):
    from training.core.sampling import SamplingSettings

    prompts = user_prompts()
    calls: list[tuple[int, int]] = []
    settings = SamplingSettings(temperature=1.0, top_k=50, top_p=1.0, seed=7, max_new_tokens=16)
    out = generator.generate(
        prompts, n=3, settings=settings, batch_size=6, progress=lambda d, t: calls.append((d, t))
    )
    assert [len(c) for c in out] == [3] * len(prompts)
    assert all("\n" not in c for cands in out for c in cands)
    assert calls[-1] == (len(prompts), len(prompts))
    assert len(calls) == 3  # two prompts (six rows) per batch: 2 + 2 + 1
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    again = generator.generate(prompts, n=3, settings=settings, batch_size=6)
    assert again == out  # a seed makes sampling reproducible


def test_reply_keeps_the_most_recent_history_within_the_token_budget(generator):
    from training.core.textformat import chat_prompt

    history = [Turn("魔理沙" if i % 2 else "ユーザー", f"その{i}番目の話だぜ、覚えてるか") for i in range(20)]
    count = generator._count
    bare = count(chat_prompt([], "で、どうする？", MARISA, "\n"))
    prompt = generator.prompt_for(history, "で、どうする？", MARISA, history_token_budget=40)
    assert count(prompt) - bare <= 40
    assert "その19番目" in prompt and "その0番目" not in prompt  # the oldest turns went first
    kept = [t for t in history if t.text in prompt]
    assert kept == history[-len(kept) :] and len(kept) >= 1
    assert prompt.endswith("ユーザー: で、どうする？\n魔理沙: ")
    assert generator.prompt_for(history, "で、どうする？", MARISA, history_token_budget=0) == chat_prompt(
        [], "で、どうする？", MARISA, "\n"
    )

    reply = generator.reply(history, "で、どうする？", MARISA, history_token_budget=40)
    assert isinstance(reply, str) and "\n" not in reply


def test_special_tokens_and_speaker_prefixes_are_banned(generator):
    tok = generator.tokenizer
    bad = generator._bad_words(user_prompts())
    assert [tok.bos_token_id] in bad and [tok.pad_token_id] in bad
    assert [tok.eos_token_id] not in bad  # EOS ends a reply
    assert tok("魔理沙:", add_special_tokens=False)["input_ids"] in bad
    assert tok("ユーザー:", add_special_tokens=False)["input_ids"] in bad


def test_a_multi_token_separator_stops_each_row_when_its_last_tokens_match(generator):
    """A separator such as `[SEP]` spread over several tokens: the tail of each row is compared with it."""
    from training.core.decoding import decode
    from training.core.sampling import SamplingSettings

    greedy = SamplingSettings(do_sample=False, max_new_tokens=12)
    enc = generator.tokenizer(user_prompts()[:2], return_tensors="pt", padding=True, padding_side="left")
    args = (enc["input_ids"], enc["attention_mask"], 1, greedy)
    free = decode(generator.model, *args, [generator.tokenizer.eos_token_id], [0], [])
    assert all(len(row) >= 4 for row in free)
    # Pretend the first row's tokens 2-3 are a two-token separator: that row stops right after them.
    sep = free[0][1:3]
    stopped = decode(generator.model, *args, [generator.tokenizer.eos_token_id], sep, [])
    assert stopped[0] == free[0][:3]
    other = free[1]
    ends = [i + 2 for i in range(len(other) - 1) if other[i : i + 2] == sep]
    assert stopped[1] == (other[: ends[0]] if ends else other)


def test_load_with_an_adapter_in_four_bit_answers(demo_model_dir: Path, tmp_path: Path):
    """A saved peft adapter on the 4-bit base: what `chat` and the bot load."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from training.core.generation import Generator
    from training.core.sampling import SamplingSettings

    base = AutoModelForCausalLM.from_pretrained(str(demo_model_dir))
    lora = LoraConfig(r=4, target_modules="all-linear", init_lora_weights=False, task_type="CAUSAL_LM")
    get_peft_model(base, lora).save_pretrained(str(tmp_path))
    AutoTokenizer.from_pretrained(str(demo_model_dir)).save_pretrained(str(tmp_path))

    gen = Generator.load(str(demo_model_dir), str(tmp_path), "\n", load_in_4bit=True, device="cpu")
    reply = gen.reply([], "よう", MARISA, SamplingSettings(do_sample=False, max_new_tokens=16))
    assert isinstance(reply, str) and "\n" not in reply
    assert SamplingSettings.from_dict(SamplingSettings().to_dict() | {"unknown": 1}) == SamplingSettings()
