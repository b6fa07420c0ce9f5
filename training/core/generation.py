"""Replies in character: one module used by `chat`, the LINE bot and the review loop's candidate jobs.

Plain Python (no Django). The prompt is `textformat.chat_prompt` (it ends exactly where the trained text of
the character begins); generation stops at the line separator or EOS, and the reply is cut at the separator.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from training.core.sampling import SamplingSettings

if TYPE_CHECKING:
    from training.core.textformat import CharacterSpec, Turn

log = logging.getLogger(__name__)


class Generator:
    """A loaded model + tokenizer that answers as the character."""

    def __init__(self, model: Any, tokenizer: Any, line_separator: str, device: str | None = None) -> None:
        from training.core.base_models import check_separator

        self.model = model
        self.tokenizer = tokenizer
        self.sep = line_separator
        self.sep_ids = check_separator(tokenizer, line_separator)
        self.device = device or str(next(model.parameters()).device)
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
        self.stop_ids = self._stop_token_ids()
        self._bad_words_cache: dict[tuple[str, ...], list[list[int]]] = {}

    @classmethod
    def load(
        cls,
        base_model: str,
        adapter_dir: str | None,
        line_separator: str,
        load_in_4bit: bool = False,
        device: str | None = None,
    ) -> Generator:
        from training.core.loader import load_for_inference

        model, tokenizer, device = load_for_inference(base_model, adapter_dir, load_in_4bit, device)
        return cls(model, tokenizer, line_separator, device)

    def reply(
        self,
        history: Sequence[Turn],
        user_text: str,
        character: CharacterSpec,
        settings: SamplingSettings | None = None,
        history_token_budget: int = 256,
    ) -> str:
        prompt = self.prompt_for(history, user_text, character, history_token_budget)
        return self.generate([prompt], n=1, settings=settings)[0][0]

    def prompt_for(
        self,
        history: Sequence[Turn],
        user_text: str,
        character: CharacterSpec,
        history_token_budget: int = 256,
    ) -> str:
        """chat_prompt with the most recent turns whose tokens fit the budget (oldest turns dropped first)."""
        from training.core.textformat import chat_prompt

        bare = self._count(chat_prompt([], user_text, character, self.sep))
        turns = list(history)
        while turns:
            prompt = chat_prompt(turns, user_text, character, self.sep)
            if self._count(prompt) - bare <= history_token_budget:
                return prompt
            turns = turns[1:]
        return chat_prompt([], user_text, character, self.sep)

    def generate(
        self,
        prompts: Sequence[str],
        n: int = 1,
        settings: SamplingSettings | None = None,
        batch_size: int = 32,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[list[str]]:
        """n replies for each prompt, in prompt order; rows are batched by length with left padding."""
        import torch

        settings = settings or SamplingSettings()
        if settings.seed is not None:
            torch.manual_seed(settings.seed)
        per_batch = max(1, batch_size // max(1, n))
        # Similar lengths together: less padding, and the order is restored below.
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        results: list[list[str]] = [[] for _ in prompts]
        for start in range(0, len(order), per_batch):
            chunk = order[start : start + per_batch]
            replies = self._generate_batch([prompts[i] for i in chunk], n, settings)
            for j, i in enumerate(chunk):
                results[i] = replies[j * n : (j + 1) * n]
            if progress is not None:
                progress(min(start + per_batch, len(order)), len(order))
        return results

    def _generate_batch(self, prompts: list[str], n: int, settings: SamplingSettings) -> list[str]:
        max_prompt = self._max_positions() - settings.max_new_tokens
        # Keep the end of an overlong prompt: it holds the user's text and the character's prefix.
        side, self.tokenizer.truncation_side = self.tokenizer.truncation_side, "left"
        try:
            enc = self.tokenizer(
                prompts,
                return_tensors="pt",
                padding=True,
                padding_side="left",
                truncation=True,
                max_length=max(8, max_prompt),
            )
        finally:
            self.tokenizer.truncation_side = side
        from training.core.decoding import decode

        ids = enc["input_ids"].to(self.device)
        mask = enc["attention_mask"].to(self.device)
        tokens = decode(
            self.model, ids, mask, n, settings, self.stop_ids, self.sep_ids, self._bad_words(prompts)
        )
        texts = self.tokenizer.batch_decode(tokens, skip_special_tokens=True)
        return [self._trim(t) for t in texts]

    def _trim(self, text: str) -> str:
        return text.split(self.sep, 1)[0].strip(" \t\r\n")

    def _count(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _max_positions(self) -> int:
        config = getattr(self.model, "config", None)
        return int(getattr(config, "max_position_embeddings", 0) or 2048)

    def _stop_token_ids(self) -> list[int]:
        """EOS, a one-token separator, and every vocabulary token whose text contains the separator.

        A BPE can merge the separator with text around it (`。\\n`); stopping on those tokens too keeps a
        reply from running into the next line. The reply text is cut at the separator afterwards.
        """
        ids = {i for i in [self.tokenizer.eos_token_id] if i is not None}
        if len(self.sep_ids) == 1:
            ids.add(self.sep_ids[0])
        special = set(self.tokenizer.all_special_ids)
        # One batched decode of the whole vocabulary, once per load: a per-token loop over a large vocabulary
        # would be far slower.
        texts = self.tokenizer.batch_decode([[i] for i in range(len(self.tokenizer))])
        ids.update(i for i, text in enumerate(texts) if i not in special and self.sep in text)
        return sorted(ids)

    def _bad_words(self, prompts: Sequence[str]) -> list[list[int]]:
        """Special tokens other than the stop tokens never appear in a reply; nor do the speaker prefixes.

        The prefixes are read off the prompts' last two lines (`ユーザー: …{sep}魔理沙: `), so callers that
        pass ready-made prompts get the same rule as reply().
        """
        names = sorted({name for prompt in prompts for name in self._speaker_names(prompt)})
        key = tuple(names)
        if key not in self._bad_words_cache:
            keep = set(self.stop_ids)
            bad = [[i] for i in sorted(set(self.tokenizer.all_special_ids)) if i not in keep]
            for name in names:
                ids = self.tokenizer(f"{name}:", add_special_tokens=False)["input_ids"]
                if len(ids) > 1:  # a one-token ban could forbid ordinary text; a sequence is specific
                    bad.append(ids)
            self._bad_words_cache[key] = bad
        return self._bad_words_cache[key]

    def _speaker_names(self, prompt: str) -> list[str]:
        lines = prompt.split(self.sep)[-2:]
        return [
            line.split(":", 1)[0].strip() for line in lines if ":" in line and line.split(":", 1)[0].strip()
        ]
