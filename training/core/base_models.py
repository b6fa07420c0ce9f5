"""Which base model to fine-tune, and what each needs: line separator, LoRA targets, max length.

`resolve_base_model` is settings-free (callers pass MARISA_* values and the demo directory), and
`check_separator` refuses, with the fix in words, a separator the tokenizer cannot carry.
No Django; transformers is never imported here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.core.labels import separator_ids

DEFAULT_SEPARATOR = "\n"
DEFAULT_TARGET_MODULES = "all-linear"
DEFAULT_MAX_SEQ_LENGTH = 512

# Known hub models whose tokenizer maps "\n" away, with the separator their users train with.
# Longest matching prefix wins. The seed's rinna models use their own "[SEP]" special token.
KNOWN_SEPARATORS: dict[str, str] = {
    "rinna/japanese-gpt-neox-3.6b-instruction": "<NL>",
    "rinna/bilingual-gpt-neox-4b-instruction": "<NL>",
    "rinna/japanese-gpt-neox": "[SEP]",
    "rinna/japanese-gpt-1b": "[SEP]",
    "rinna/japanese-gpt2": "[SEP]",
}


class SeparatorError(ValueError):
    """The line separator does not survive the tokenizer; the message names the fix."""


@dataclass
class BaseModelSpec:
    name_or_path: str
    line_separator: str
    target_modules: list[str] | str = DEFAULT_TARGET_MODULES
    max_seq_length: int = DEFAULT_MAX_SEQ_LENGTH
    is_demo: bool = False
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "name_or_path": self.name_or_path,
            "line_separator": self.line_separator,
            "target_modules": self.target_modules,
            "max_seq_length": self.max_seq_length,
            "is_demo": self.is_demo,
        }


def known_separator(name_or_path: str) -> str | None:
    matches = [prefix for prefix in KNOWN_SEPARATORS if name_or_path.startswith(prefix)]
    return KNOWN_SEPARATORS[max(matches, key=len)] if matches else None


def _local_separator(path: Path) -> str | None:
    """A local model directory may say its separator (the demo model's demo_model.json does)."""
    for name in ("demo_model.json", "marisa.json"):
        info = path / name
        if info.is_file():
            sep = json.loads(info.read_text(encoding="utf-8")).get("line_separator")
            if sep:
                return str(sep)
    return None


def _normalise_targets(target_modules: list[str] | str | None) -> list[str] | str:
    if not target_modules:
        return DEFAULT_TARGET_MODULES
    if isinstance(target_modules, str):
        return target_modules
    modules = [m for m in target_modules if m]
    if modules == [DEFAULT_TARGET_MODULES]:
        return DEFAULT_TARGET_MODULES
    return modules or DEFAULT_TARGET_MODULES


def resolve_base_model(
    name_or_path: str | None,
    line_separator: str | None = None,
    *,
    demo_dir: Path | str | None = None,
    target_modules: list[str] | str | None = None,
    max_seq_length: int | None = None,
) -> BaseModelSpec:
    """The spec for a hub id or local directory; None/"" means the demo model in `demo_dir`.

    The separator comes from the argument (MARISA_LINE_SEPARATOR) if set, else from the model directory's
    own note, else from the table of known models, else "\\n". Escapes such as "\\\\n" are accepted so that
    the separator can be written in an env file.
    """
    is_demo = not name_or_path
    if is_demo:
        if demo_dir is None:
            raise ValueError("no base model set (MARISA_BASE_MODEL) and no demo model directory given")
        name_or_path = str(demo_dir)
    assert name_or_path is not None
    sep = decode_separator(line_separator) if line_separator else None
    if sep is None and Path(name_or_path).is_dir():
        sep = _local_separator(Path(name_or_path))
    if sep is None:
        sep = known_separator(name_or_path) or DEFAULT_SEPARATOR
    return BaseModelSpec(
        name_or_path=name_or_path,
        line_separator=sep,
        target_modules=_normalise_targets(target_modules),
        max_seq_length=int(max_seq_length or DEFAULT_MAX_SEQ_LENGTH),
        is_demo=is_demo,
    )


def decode_separator(value: str) -> str:
    """ "\\n" written in an env file means a newline; anything else is taken literally."""
    return {"\\n": "\n", "\\r\\n": "\r\n", "\\t": "\t"}.get(value, value)


def _fix_hint(tokenizer: Any, sep: str) -> str:
    own = getattr(tokenizer, "sep_token", None)
    choices = [own] if own and own != sep else []
    choices += [c for c in ("[SEP]", "<NL>") if c not in choices and c != sep]
    first = choices[0]
    return (
        f"set MARISA_LINE_SEPARATOR={first} (a token this tokenizer keeps"
        + (f"; its own separator token is {own}" if own else "")
        + f"), or add the separator as a special token: tokenizer.add_special_tokens("
        f"{{'additional_special_tokens': [{first!r}]}}) and resize the model's embeddings"
    )


def check_separator(tokenizer: Any, sep: str) -> list[int]:
    """The separator's token ids, as training labels them and the stop rule matches them.

    Refused (SeparatorError) when the separator encodes to nothing, to an unknown token, or does not
    decode back exactly, alone or inside a line — e.g. a SentencePiece model that maps "\\n" away.
    """
    if not sep:
        raise SeparatorError("the line separator is empty; " + _fix_hint(tokenizer, sep))
    ids = separator_ids(tokenizer, sep)
    reason = None
    unk = getattr(tokenizer, "unk_token_id", None)
    if not ids:
        reason = "it encodes to no token at all"
    elif unk is not None and unk in ids:
        reason = "it encodes to the unknown token"
    else:
        back = tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)
        if back != sep:
            reason = f"it decodes back as {back!r}"
        else:
            line = f"魔理沙: よう{sep}ユーザー: 何？{sep}"
            full = tokenizer(line, add_special_tokens=False)["input_ids"]
            text = tokenizer.decode(full, skip_special_tokens=False, clean_up_tokenization_spaces=False)
            if text.count(sep) < 2:
                reason = f"inside a line it is lost ({line!r} decodes as {text!r})"
    if reason:
        raise SeparatorError(
            f"the tokenizer does not keep the line separator {sep!r}: {reason}. Fix: {_fix_hint(tokenizer, sep)}."
        )
    return ids
