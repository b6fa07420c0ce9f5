"""A real QLoRA adapter on the demo model, trained once for the export tests (a few CPU steps)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import servers
from training.core.textformat import CharacterSpec, Turn

MARISA = CharacterSpec("魔理沙", frozenset({"霧雨魔理沙", "まりさ"}))


@pytest.fixture(scope="session")
def trained_adapter(demo_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4-bit training, as on a GPU: the adapter then drifts measurably when merged into the fp base."""
    import torch

    from training.core.demo_model import corpus_lines
    from training.core.qlora import TrainConfig, train

    turns = [Turn(s, t) for s, t in corpus_lines(servers.REPO / "annotation" / "demo" / "corpus.txt")]
    convs = [turns[i : i + 8] for i in range(0, 48, 8)]
    config = TrainConfig(
        base_model=str(demo_model_dir),
        output_dir=str(tmp_path_factory.mktemp("export-run")),
        lora_r=8,
        learning_rate=3e-3,  # a few steps on a tiny model: a large step moves the weights visibly
        max_steps=8,
        per_device_batch_size=4,
        max_seq_length=128,
        save_steps=100,
        warmup_ratio=0.0,
        eval_max_prompts=2,
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return train(convs, convs[:2], MARISA, config).adapter_dir
    finally:
        torch.set_num_threads(threads)


@pytest.fixture
def spec(demo_model_dir: Path, trained_adapter: Path):
    from training.core.export import ExportSpec

    return ExportSpec(
        name="v1 · test",
        base_model=str(demo_model_dir),
        adapter_dir=str(trained_adapter),
        line_separator="\n",
        character=MARISA,
    )


TIE = 1e-4  # logits this close are a float tie: which token argmax picks depends on summation order


def assert_same_greedy(model, tokenizer, prompt: str, ours: list[int], theirs: list[int]) -> None:
    """Greedy tokens equal, or equal up to a float tie: at the first difference `model` scores both tokens
    within TIE of each other (after that the continuations are different texts and not compared)."""
    import torch

    if ours == theirs:
        return
    k = next(
        (i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b), min(len(ours), len(theirs))
    )
    assert k < min(len(ours), len(theirs)), f"one reply stops early: {ours} vs {theirs}"
    prefix = tokenizer(prompt, return_tensors="pt")["input_ids"][0].tolist() + ours[:k]
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([prefix])).logits[0, -1].float()
    gap = abs(float(logits[ours[k]] - logits[theirs[k]]))
    assert gap < TIE, f"greedy replies differ at token {k} by a logit gap of {gap:.2e}: {ours} vs {theirs}"
