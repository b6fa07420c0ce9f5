"""Loading models and tokenizers: the base model for training (4-bit NF4 when asked, the attention kernel that
fits), and a model version for inference (base model plus adapter, quantised as it was trained).

Plain Python (no Django); torch, transformers and peft are imported inside the functions, so importing this
module is cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load_tokenizer(name_or_path: str, padding_side: str) -> Any:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    tokenizer.padding_side = padding_side
    if tokenizer.pad_token_id is None:
        # Padding is masked out of attention and labels, so any existing token serves.
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    return tokenizer


def compute_dtype() -> Any:
    import torch

    if torch.cuda.is_available():
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def quantization_config() -> Any:
    """NF4 with double quantisation, as in the QLoRA paper."""
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=compute_dtype(),
    )


def attention_implementation(packing: bool) -> str:
    import importlib.util

    import torch

    if torch.cuda.is_available() and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    # sdpa understands packed rows too: transformers builds a block mask from the restarting position ids.
    return "sdpa"


def load_base_model(name_or_path: str, load_in_4bit: bool, packing: bool = False) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {
        "dtype": compute_dtype(),
        "attn_implementation": attention_implementation(packing),
    }
    if load_in_4bit:
        kwargs["quantization_config"] = quantization_config()
    if torch.cuda.is_available():
        kwargs["device_map"] = {"": torch.cuda.current_device()}
    return AutoModelForCausalLM.from_pretrained(name_or_path, **kwargs)


def has_tokenizer(path: Path) -> bool:
    return any(
        (path / name).exists() for name in ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")
    )


def load_for_inference(
    base_model: str, adapter_dir: str | None, load_in_4bit: bool = False, device: str | None = None
) -> tuple[Any, Any, str]:
    """(model, tokenizer, device) ready to generate: the base model, with the version's adapter if any.

    Training loads through `load_base_model` and the same quantisation config, so a version is served
    exactly as it was trained.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    # The adapter dir holds the tokenizer the adapter was trained with.
    tokenizer_src = adapter_dir if adapter_dir and has_tokenizer(Path(adapter_dir)) else base_model
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_src)
    kwargs: dict[str, Any] = {"dtype": compute_dtype() if device.startswith("cuda") else torch.float32}
    if load_in_4bit:
        kwargs["quantization_config"] = quantization_config()
        kwargs["device_map"] = {"": device}
    model: Any = AutoModelForCausalLM.from_pretrained(base_model, **kwargs)
    if not load_in_4bit:
        model.to(device)
    if adapter_dir:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter_dir)
        if not load_in_4bit:
            model = model.merge_and_unload()  # one matmul per layer instead of two when serving
    model.eval()
    return model, tokenizer, device
