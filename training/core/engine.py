"""Replies from an inference engine: vLLM's OpenAI-compatible server, one base model, each version a LoRA adapter.

Plain Python (no Django). `EngineGenerator` answers like the in-process `Generator` (same prompt, same
tokenizer, same stop and ban rules; the reply is decoded and cut here, from the token ids the engine returns),
but sends `/v1/completions` requests, many in flight at once, so the engine's continuous batching does the
batching. A version is known to the engine by `adapter_name(version id)`; an adapter the engine does not know
yet is loaded at runtime (`/v1/load_lora_adapter`, which vLLM allows with VLLM_ALLOW_RUNTIME_LORA_UPDATING=True).

The seed's sampling settings map to vLLM's parameters one to one, except `no_repeat_ngram_size`: vLLM has no
n-gram ban (its `repetition_detection` ends a reply instead of steering it), so through the engine it is not
applied (`UNMAPPED`). A seed gives reproducible replies on one engine, but not the in-process ones: the two
sample with different random generators. Greedy replies (do_sample=False) are the same token for token.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from training.core.generation import Generator
from training.core.sampling import SamplingSettings

log = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)  # not one INFO line per completion in the worker's log

BASE_MODEL_NAME = "base"  # the engine's --served-model-name: the base model without an adapter
UNMAPPED = ("no_repeat_ngram_size",)  # seed settings with no vLLM equivalent, not applied by the engine
BANNED_BIAS = -100.0  # the OpenAI API's lowest logit bias: a banned special token is never chosen
DEFAULT_TIMEOUT = 300.0  # seconds for one completion: a busy CPU engine queues requests


def adapter_name(version_id: int) -> str:
    """The name a model version's adapter has on the engine (the `model` of its requests)."""
    return f"version-{version_id}"


class EngineError(RuntimeError):
    """The engine is unreachable or refused a request; the message names the engine and the fix."""


class EngineClient:
    """The few endpoints used: /health, /v1/models, /v1/load_lora_adapter, /v1/completions."""

    def __init__(self, base_url: str, timeout: float = DEFAULT_TIMEOUT, connections: int = 64) -> None:
        import httpx

        # MARISA_INFERENCE_URL may be written with or without the /v1 of OpenAI base URLs.
        self.root = base_url.rstrip("/").removesuffix("/v1")
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self._http = httpx.Client(
            base_url=self.root, timeout=httpx.Timeout(timeout, connect=5.0), limits=limits
        )

    def close(self) -> None:
        self._http.close()

    def health(self) -> bool:
        import httpx

        try:
            return self._http.get("/health", timeout=3.0).status_code == 200
        except httpx.HTTPError:
            return False

    def models(self) -> list[dict[str, Any]]:
        return list(self._request("GET", "/v1/models").get("data", []))

    def load_adapter(self, name: str, path: str, replace: bool = False) -> None:
        """Load an adapter by name; one already loaded under that name is kept unless `replace`."""
        body: dict[str, Any] = {"lora_name": name, "lora_path": path}
        if replace:
            body["load_inplace"] = True
        try:
            self._request("POST", "/v1/load_lora_adapter", body)
        except EngineError as exc:
            if "already been loaded" not in str(exc):
                raise
        log.info("engine %s: adapter %s loaded from %s", self.root, name, path)

    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._request("POST", "/v1/completions", body)

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        import httpx

        try:
            response = self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise EngineError(
                f"the inference engine at {self.root} is unreachable ({type(exc).__name__}: {exc}); "
                "start it with `make engine`, or unset MARISA_INFERENCE_URL to generate in-process"
            ) from exc
        if response.status_code >= 400:
            raise EngineError(f"the inference engine at {self.root} refused {path}: {_error_text(response)}")
        return response.json() if "json" in response.headers.get("content-type", "") else response.text


def _error_text(response: Any) -> str:
    try:
        return str(response.json()["error"]["message"])
    except Exception:
        return f"HTTP {response.status_code} {response.text[:300]}"


def sampling_params(settings: SamplingSettings) -> dict[str, Any]:
    """The seed's sampling settings as vLLM completion parameters (no_repeat_ngram_size has none)."""
    params: dict[str, Any] = {
        "max_tokens": settings.max_new_tokens,
        "repetition_penalty": settings.repetition_penalty or 1.0,
    }
    if settings.do_sample and settings.temperature:
        params.update(
            temperature=settings.temperature,
            top_p=settings.top_p if settings.top_p is not None else 1.0,
            top_k=settings.top_k or -1,  # -1: vLLM's "no top-k"
        )
    else:
        params.update(temperature=0.0)  # vLLM's greedy decoding
    return params


class EngineGenerator(Generator):
    """A Generator whose replies come from the engine; the tokenizer stays here for the prompt and the rules."""

    def __init__(
        self,
        client: EngineClient,
        model_name: str,
        tokenizer: Any,
        line_separator: str,
        max_model_len: int,
        adapter_dir: str | None = None,
    ) -> None:
        super().__init__(None, tokenizer, line_separator, device="engine")
        self.client = client
        self.model_name = model_name
        self.adapter_dir = adapter_dir
        self.max_model_len = max_model_len
        self._load_lock = threading.Lock()
        # Special tokens other than the stops are never chosen, as in-process (single-token bans).
        keep = set(self.stop_ids)
        self._banned_specials = {
            str(i): BANNED_BIAS for i in sorted(set(tokenizer.all_special_ids)) if i not in keep
        }

    @classmethod
    def connect(
        cls,
        base_url: str,
        model_name: str,
        base_model: str,
        adapter_dir: str | None,
        line_separator: str,
    ) -> EngineGenerator:
        """A generator for `model_name` on the engine, loading the adapter there if the engine lacks it."""
        from pathlib import Path

        from transformers import AutoTokenizer

        from training.core.loader import has_tokenizer

        client = EngineClient(base_url)
        models = {m["id"]: m for m in client.models()}
        if adapter_dir and model_name not in models:
            client.load_adapter(model_name, adapter_dir)
        elif adapter_dir and models[model_name].get("root") != adapter_dir:
            # The name was given to another directory (a database started afresh, the engine kept running).
            client.load_adapter(model_name, adapter_dir, replace=True)
        base = next((m for m in models.values() if not m.get("parent")), {})
        if base.get("root") and base["root"] != base_model:
            log.warning(
                "engine %s serves %s; %s was trained on %s", client.root, base["root"], model_name, base_model
            )
        tokenizer_src = adapter_dir if adapter_dir and has_tokenizer(Path(adapter_dir)) else base_model
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_src)
        max_len = int(base.get("max_model_len") or 2048)
        return cls(client, model_name, tokenizer, line_separator, max_len, adapter_dir)

    def generate(
        self,
        prompts: Sequence[str],
        n: int = 1,
        settings: SamplingSettings | None = None,
        batch_size: int = 32,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[list[str]]:
        """n replies for each prompt, in prompt order; batch_size // n prompts are in flight at once."""
        settings = settings or SamplingSettings()
        ids = self._prompt_ids(prompts, settings)
        bodies = [self._body(p, ids[i], n, settings, i) for i, p in enumerate(prompts)]
        results: list[list[str]] = [[] for _ in prompts]
        if not bodies:
            return results
        workers = max(1, min(len(bodies), batch_size // max(1, n)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="engine") as pool:
            futures = {pool.submit(self._complete, body): i for i, body in enumerate(bodies)}
            for done, future in enumerate(as_completed(futures), 1):
                results[futures[future]] = future.result()
                if progress is not None:
                    progress(done, len(bodies))
        return results

    def _prompt_ids(self, prompts: Sequence[str], settings: SamplingSettings) -> list[list[int]]:
        """Token ids as the in-process batch makes them: special tokens added, overlong prompts cut on the left."""
        max_prompt = self._max_positions() - settings.max_new_tokens
        side, self.tokenizer.truncation_side = self.tokenizer.truncation_side, "left"
        try:
            enc = self.tokenizer(list(prompts), truncation=True, max_length=max(8, max_prompt))
        finally:
            self.tokenizer.truncation_side = side
        return [list(ids) for ids in enc["input_ids"]]

    def _body(
        self, prompt: str, ids: list[int], n: int, settings: SamplingSettings, index: int
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model_name,
            "prompt": ids,
            "n": n,
            "stop": [self.sep],
            "stop_token_ids": list(self.stop_ids),
            "min_tokens": 1,  # a reply is never empty: no stop token first, as in-process
            "bad_words": self._banned_prefixes(prompt),
            "logit_bias": self._banned_specials,
            "return_token_ids": True,  # decoded and cut here, exactly as in-process
            "skip_special_tokens": True,
            **sampling_params(settings),
        }
        if settings.seed is not None:
            body["seed"] = settings.seed + index  # reproducible, and not one sample for every prompt
        return body

    def _banned_prefixes(self, prompt: str) -> list[str]:
        """The speaker prefixes (`ユーザー:`) the in-process ban covers: those of more than one token."""
        words = [f"{name}:" for name in self._speaker_names(prompt)]
        return [w for w in words if len(self.tokenizer(w, add_special_tokens=False)["input_ids"]) > 1]

    def _complete(self, body: dict[str, Any]) -> list[str]:
        try:
            response = self.client.complete(body)
        except EngineError as exc:
            if not (self.adapter_dir and "does not exist" in str(exc)):
                raise
            # The engine restarted without the runtime-loaded adapter: load it again, once.
            with self._load_lock:
                self.client.load_adapter(self.model_name, self.adapter_dir)
            response = self.client.complete(body)
        choices = sorted(response["choices"], key=lambda c: c["index"])
        return [self._reply_text(choice) for choice in choices]

    def _reply_text(self, choice: dict[str, Any]) -> str:
        ids = choice.get("token_ids")
        text = choice["text"] if ids is None else self.tokenizer.decode(ids, skip_special_tokens=True)
        return self._trim(text)

    def _max_positions(self) -> int:
        return self.max_model_len


def make_generator(
    base_model: str,
    adapter_dir: str | None,
    line_separator: str,
    *,
    inference_url: str = "",
    engine_model: str = BASE_MODEL_NAME,
    load_in_4bit: bool = False,
) -> Generator:
    """The one place that picks where replies come from: the engine when a URL is set, else in-process."""
    if inference_url:
        return EngineGenerator.connect(inference_url, engine_model, base_model, adapter_dir, line_separator)
    return Generator.load(base_model, adapter_dir, line_separator, load_in_4bit=load_in_4bit)


def preload_adapter(inference_url: str, version_id: int, adapter_dir: str) -> None:
    """After activation: the engine loads the version's adapter now, not on its first request (no-op unset)."""
    if not inference_url or not adapter_dir:
        return
    client = EngineClient(inference_url, timeout=60.0)
    try:
        client.load_adapter(adapter_name(version_id), adapter_dir, replace=True)
    finally:
        client.close()
