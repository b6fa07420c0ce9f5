"""The tiny demo base model: a tokenizer and a small Llama trained on the bundled corpus, in under a minute.

It stands in for a hub model when MARISA_BASE_MODEL is unset, and it is what CI trains through the same
code path as a 7B model. It is saved with save_pretrained and loads back with from_pretrained.
No Django; torch and transformers are imported inside the functions.
"""

from __future__ import annotations

import json
import math
import random
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from training.core.eval_choice import DEFAULT_SHARE, choose_positions
from training.core.textformat import NAME_DELIMITER

DEMO_SEPARATOR = "\n"
SPECIAL_TOKENS = ["<unk>", "<s>", "</s>", "<pad>"]
VOCAB_SIZE = 2000  # including the 256 byte-fallback tokens
SEED = 1234
# Files whose presence means a complete build (written last: config/weights, then the marker).
MARKER = "demo_model.json"
# Raised when a build changes what the model saw, so a model built by an older builder is rebuilt.
# 2: the demo corpus's evaluation scenes are left out of pretraining.
BUILD_VERSION = 2
# The demo corpus writes her as 魔理沙; these are the default character's spellings (annotation.corpus).
DEMO_CHARACTER_NAMES = frozenset({"魔理沙", "霧雨魔理沙", "まりさ"})

# 名前「台詞」, 名前：台詞 or 名前: 台詞 — the script formats of the bundled corpus.
_SCRIPT_LINE = re.compile(r"^(?P<name>[^「」：:\s（(]{1,20})(?:「(?P<q>.*)」|[：:]\s?(?P<c>.*))$")
# Splits so that ": " and "\n" are pieces of their own: the end of `魔理沙: ` is then always a token
# boundary, at training and at inference alike, and the separator keeps its own stable token.
_PRE_TOKENIZER_PATTERN = r"\n|: "

Progress = Callable[[str, int, int], None]


def corpus_lines(corpus_path: Path) -> Iterator[tuple[str, str]]:
    """(speaker, utterance) pairs of the script-format corpus; stage directions and blanks are skipped."""
    for raw in corpus_path.read_text(encoding="utf-8").splitlines():
        match = _SCRIPT_LINE.match(raw.strip())
        if match:
            text = match.group("q") if match.group("q") is not None else match.group("c")
            yield match.group("name"), text


def corpus_scenes(corpus_path: Path) -> list[list[tuple[str, str]]]:
    """The corpus's scenes (one per `■` heading), each its (speaker, utterance) pairs.

    The importer makes exactly one conversation of each of the bundled corpus's scenes, in this order
    (tests/training/core/test_demo_eval_scenes.py checks), so a scene's index is its conversation position.
    """
    scenes: list[list[tuple[str, str]]] = []
    for raw in corpus_path.read_text(encoding="utf-8").splitlines():
        if raw.startswith("■") or not scenes:
            scenes.append([])
        match = _SCRIPT_LINE.match(raw.strip())
        if match:
            text = match.group("q") if match.group("q") is not None else match.group("c")
            scenes[-1].append((match.group("name"), text))
    return [scene for scene in scenes if scene]


def evaluation_scenes(corpus_path: Path, share: float = DEFAULT_SHARE) -> list[int]:
    """The scenes the evaluation set pins for this file, by the rule the training stage uses."""
    import hashlib

    sha256 = hashlib.sha256(Path(corpus_path).read_bytes()).hexdigest()
    scenes = corpus_scenes(Path(corpus_path))
    counts = [(i, sum(name in DEMO_CHARACTER_NAMES for name, _ in scene)) for i, scene in enumerate(scenes)]
    return choose_positions(sha256, counts, share)


def training_text(corpus_path: Path, share: float = DEFAULT_SHARE) -> list[str]:
    """Corpus lines rendered as the training format `名前: 台詞` (separator "\\n" added by the caller).

    The evaluation scenes are left out: a base model that saw them would make every version's held-out
    figures look better than they are.
    """
    held = set(evaluation_scenes(corpus_path, share))
    lines = [
        f"{name}{NAME_DELIMITER}{text}"
        for i, scene in enumerate(corpus_scenes(Path(corpus_path)))
        if i not in held
        for name, text in scene
    ]
    if not lines:
        raise ValueError(f"{corpus_path} holds no script lines such as 魔理沙「よう」")
    return lines


def build_tokenizer(lines: list[str], vocab_size: int = VOCAB_SIZE) -> Any:
    """A byte-fallback BPE: every character encodes (rare ones as UTF-8 bytes) and decodes back exactly."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    byte_tokens = [f"<0x{b:02X}>" for b in range(256)]
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(_PRE_TOKENIZER_PATTERN), behavior="isolated")
    tok.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Fuse()])
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - len(byte_tokens),
        special_tokens=SPECIAL_TOKENS,
        limit_alphabet=1500,
        show_progress=False,
    )
    texts = [line + DEMO_SEPARATOR for line in lines]
    tok.train_from_iterator(texts, trainer=trainer)
    # Byte tokens go into the model's vocab (not as added tokens, which would match the text "<0x41>").
    spec = json.loads(tok.to_str())
    vocab: dict[str, int] = spec["model"]["vocab"]
    for token in byte_tokens:
        vocab.setdefault(token, len(vocab))
    tok = Tokenizer.from_str(json.dumps(spec))
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A $B", special_tokens=[("<s>", tok.token_to_id("<s>"))]
    )
    return tok


def wrap_tokenizer(tok: Any) -> Any:
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        model_max_length=512,
        clean_up_tokenization_spaces=False,
    )


def _blocks(ids: list[int], block: int) -> list[list[int]]:
    return [ids[i : i + block + 1] for i in range(0, max(1, len(ids) - block), block)]


def pretrain(
    model: Any, blocks: list[list[int]], steps: int, batch_size: int, lr: float, progress: Progress | None
) -> float:
    """A short plain-torch pretraining loop (no Trainer: its start-up would cost more than the training)."""
    import torch

    rng = random.Random(SEED)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(1, steps // 10)
    model.train()
    loss_value = float("nan")
    for step in range(steps):
        scale = min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * step / steps))
        for group in opt.param_groups:
            group["lr"] = lr * max(scale, 0.05)
        batch = torch.tensor([rng.choice(blocks) for _ in range(batch_size)])
        out = model(input_ids=batch, labels=batch)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        loss_value = float(out.loss.detach())
        if progress:
            progress("pretrain", step + 1, steps)
    model.eval()
    return loss_value


def build_demo_model(
    out_dir: Path,
    corpus_path: Path,
    progress: Progress | None = None,
    *,
    steps: int = 200,
    block_size: int = 64,
    batch_size: int = 8,
) -> Path:
    """Train the tokenizer and a small Llama on the corpus; write them atomically into out_dir."""
    import torch
    from transformers import LlamaForCausalLM

    out_dir = Path(out_dir)
    torch.manual_seed(SEED)
    random.seed(SEED)
    lines = training_text(Path(corpus_path))
    if progress:
        progress("tokenizer", 0, 1)
    tokenizer = wrap_tokenizer(build_tokenizer(lines))
    if progress:
        progress("tokenizer", 1, 1)
    ids: list[int] = []
    for enc in tokenizer([line + DEMO_SEPARATOR for line in lines], add_special_tokens=False)["input_ids"]:
        ids.extend(enc)
    blocks = [b for b in _blocks(ids, block_size) if len(b) == block_size + 1]
    model = LlamaForCausalLM(_demo_config(tokenizer))
    loss = _pretrain_on_one_thread(model, blocks, steps, batch_size, progress)
    info = {
        "build_version": BUILD_VERSION,
        "evaluation_scenes": evaluation_scenes(Path(corpus_path)),
        "line_separator": DEMO_SEPARATOR,
        "corpus": str(corpus_path),
        "lines": len(lines),
        "tokens": len(ids),
        "steps": steps,
        "final_loss": round(loss, 4),
    }
    _save_atomically(out_dir, model, tokenizer, info)
    return out_dir


def _demo_config(tokenizer: Any) -> Any:
    """A two-layer Llama sized for the tokenizer's vocabulary."""
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=1024,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )


def _pretrain_on_one_thread(
    model: Any, blocks: list[list[int]], steps: int, batch_size: int, progress: Progress | None
) -> float:
    """pretrain on one torch thread, restoring the thread count afterwards.

    For a model this small a second thread only adds synchronisation (much slower steps while other
    processes share the cores), and one thread gives the same weights on every machine whatever its
    core count.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return pretrain(model, blocks, steps, batch_size, 3e-3, progress)
    finally:
        torch.set_num_threads(threads)


def _save_atomically(out_dir: Path, model: Any, tokenizer: Any, info: dict[str, Any]) -> None:
    """Write into a temporary sibling directory, the marker last, then rename it to out_dir."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".demo-model-", dir=out_dir.parent))
    tmp.chmod(0o755)
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        model.generation_config.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / MARKER).write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def is_complete(out_dir: Path) -> bool:
    """A finished build by this builder version (an older one saw the evaluation scenes: rebuild)."""
    out_dir = Path(out_dir)
    if not ((out_dir / MARKER).is_file() and (out_dir / "config.json").is_file()):
        return False
    try:
        info = json.loads((out_dir / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and info.get("build_version") == BUILD_VERSION


def ensure_demo_model(out_dir: Path, corpus_path: Path, progress: Progress | None = None) -> Path:
    """Build the demo model only when it is missing or a previous build did not finish.

    A lock file serialises concurrent callers (parallel test runs, `make up` beside a test run), so a
    build never replaces a directory that another process has just finished and is reading.
    """
    import fcntl

    out_dir = Path(out_dir)
    if is_complete(out_dir):
        return out_dir
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(out_dir.parent / f".{out_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_complete(out_dir):
            return out_dir
        return build_demo_model(out_dir, corpus_path, progress)
