"""A job's failure in words a user can act on."""

from __future__ import annotations

OOM_ADVICE = (
    "The GPU ran out of memory (CUDA out of memory). Lower per_device_batch_size (raise "
    "gradient_accumulation_steps to keep the effective batch size), lower max_seq_length, or turn on "
    "gradient_checkpointing; keep 4-bit loading on."
)


def describe_failure(exc: BaseException) -> str:
    """The error in words a user can act on."""
    text = str(exc).strip() or type(exc).__name__
    name = type(exc).__name__
    if "OutOfMemory" in name or "out of memory" in text.lower():
        return f"{OOM_ADVICE}\n\n{name}: {text}"
    if isinstance(exc, FileNotFoundError):
        return f"A file the job needs is missing: {text}"
    return f"{name}: {text}"
