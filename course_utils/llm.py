"""Chat with a language model -- hosted (Groq, Cerebras) or local -- and read a score.

>>> from course_utils.llm import ChatClient, parse_score
>>> client = ChatClient("local")                       # no key needed; transformers
>>> reply = client.chat([{"role": "user", "content": "Score this essay 0-12: ..."}])
>>> parse_score(reply, 0, 12)                           # an int, or None

* :func:`get_api_key` finds a key in Colab secrets, then the environment, then (only
  when someone can type) a hidden prompt. Keys are never printed, logged or saved.
* :class:`ChatClient` gives the three providers one interface, ``.chat(messages)``,
  with timeouts, retries (429 honouring ``Retry-After``, 5xx, time-outs) and clear
  errors for retired or misspelled model names.
* :func:`score_with_llm` scores many essays with a progress bar and an on-disk cache of
  replies, so rerunning a workshop notebook spends no API quota.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import lru_cache
from pathlib import Path

import numpy as np

from course_utils.config import cache_dir, device
from course_utils.replies import parse_score  # noqa: F401  (llm.parse_score, as notebook 14 calls it)

Messages = list[dict[str, str]]

# --- configuration: providers and their models, in one place -----------------------------
PROVIDERS: dict[str, dict] = {
    "groq": {
        "key": "GROQ_API_KEY",
        "base_url_env": "GROQ_BASE_URL",
        "default_model": "openai/gpt-oss-20b",  # the original workshop's model
        "models": ("openai/gpt-oss-20b", "openai/gpt-oss-120b", "llama-3.1-8b-instant"),
        "keys_page": "https://console.groq.com/keys",
    },
    "cerebras": {
        "key": "CEREBRAS_API_KEY",
        "base_url_env": "CEREBRAS_BASE_URL",
        "default_model": "llama3.1-8b",
        "models": ("llama3.1-8b", "gpt-oss-120b", "qwen-3-32b"),
        "keys_page": "https://cloud.cerebras.ai (API Keys)",
    },
    "local": {
        "key": None,
        "default_model": "LiquidAI/LFM2-350M",  # offline: SmolLM2-135M-Instruct stands in
        "models": ("LiquidAI/LFM2-350M", "HuggingFaceTB/SmolLM2-135M-Instruct"),
    },
}

#: Model names that providers have retired, with what to use instead.
RETIRED_MODELS: dict[tuple[str, str], str] = {
    ("cerebras", "llama-4-scout-17b-16e-instruct"): "llama3.1-8b",  # the original's model
    ("groq", "llama3-8b-8192"): "llama-3.1-8b-instant",
    ("groq", "gemma2-9b-it"): "openai/gpt-oss-20b",
}

#: Options ``chat`` accepts; ``top_k`` exists only for the local model.
CHAT_OPTIONS = ("temperature", "max_tokens", "top_p", "top_k", "seed", "stop")


# --- errors --------------------------------------------------------------------------------
class LLMError(RuntimeError):
    """Base class of the errors this module raises."""


class MissingAPIKeyError(LLMError):
    """No API key was found; the message says where to put one."""


class ModelNotFoundError(LLMError, ValueError):
    """The provider does not serve this model (misspelled or retired)."""


class LLMResponseError(LLMError):
    """The provider answered with something that is not a chat completion."""


class LLMUnavailableError(LLMError):
    """The provider kept failing (rate limit, server error, time-out) after all retries."""


# --- API keys ------------------------------------------------------------------------------
def _from_colab(name: str) -> str | None:
    if "google.colab" not in sys.modules:
        return None
    try:
        from google.colab import userdata  # type: ignore[import-not-found]

        return userdata.get(name) or None
    except Exception:  # SecretNotFoundError, NotebookAccessError, ...
        return None


def _where_to_put(name: str) -> str:
    page = next((p.get("keys_page") for p in PROVIDERS.values() if p.get("key") == name), None)
    get = f" Get a key at {page}." if page else ""
    return (
        f"No API key named {name} was found. Put it in one of these places: "
        f"(1) Colab: the key icon (Secrets) in the left sidebar -> 'Add new secret', name "
        f"{name}, paste the key, switch 'Notebook access' on; "
        f"(2) anywhere else: the environment variable {name} (e.g. `export {name}=...` in the "
        f"shell that starts Jupyter; do not write the key into a notebook).{get}"
    )


def has_api_key(name: str) -> bool:
    """True when ``name`` is in Colab secrets or the environment (never prompts)."""
    return bool(_from_colab(name) or os.environ.get(name, "").strip())


def get_api_key(name: str, prompt: bool | None = None) -> str:
    """The API key ``name`` (e.g. ``"GROQ_API_KEY"``): Colab secrets, env var, then a prompt.

    The hidden ``getpass`` prompt is used only when ``prompt`` is true, or when it is
    ``None`` and someone can type (a terminal, or a notebook whose front end accepts
    input). Raises :class:`MissingAPIKeyError` saying where to put the key otherwise.
    The key is returned, never printed or logged.
    """
    if not name or not isinstance(name, str):
        raise ValueError(f"name must be the key's name such as 'GROQ_API_KEY', got {name!r}.")
    value = _from_colab(name) or os.environ.get(name, "").strip()
    if value:
        return value
    if prompt is None:
        prompt = _interactive()
    if prompt:
        import getpass

        try:
            value = getpass.getpass(f"{name} (input hidden; press Enter to skip): ").strip()
        except Exception:  # no stdin (headless kernel, CI): StdinNotImplementedError, EOFError
            value = ""
        if value:
            return value
    raise MissingAPIKeyError(_where_to_put(name))


def _interactive() -> bool:
    if os.environ.get("CI"):
        return False
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None and getattr(shell, "kernel", None) is not None:
        return bool(getattr(shell.kernel, "_allow_stdin", True))
    return bool(sys.stdin and sys.stdin.isatty())


# --- the client ----------------------------------------------------------------------------
def _check_messages(messages: Messages) -> None:
    if not isinstance(messages, (list, tuple)) or not messages:
        raise ValueError("messages must be a non-empty list of {'role': ..., 'content': ...} dicts.")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant"):
            raise ValueError(
                f"messages[{i}] must be a dict with role 'system', 'user' or 'assistant', got {m!r}."
            )
        if not isinstance(m.get("content"), str):
            raise ValueError(f"messages[{i}]['content'] must be a string.")


def _retry_after(headers) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms``."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class ChatClient:
    """One interface to a chat model: ``ChatClient(provider, model).chat(messages) -> str``.

    Parameters
    ----------
    provider : ``"groq"``, ``"cerebras"`` or ``"local"`` (a transformers model on this
        machine; offline it is SmolLM2-135M-Instruct, see :func:`models.resolve_model`).
    model : the provider's model name; ``None`` uses ``PROVIDERS[provider]["default_model"]``.
    api_key : for hosted providers; ``None`` looks it up with :func:`get_api_key`.
    base_url : another OpenAI-compatible endpoint (default: the provider's, or the
        ``GROQ_BASE_URL`` / ``CEREBRAS_BASE_URL`` environment variable).
    timeout : seconds per request. max_retries : retries after a 429, 5xx or time-out.
    backoff : first wait in seconds when the server gives no ``Retry-After``; doubles.
    max_wait : longest single wait (a longer ``Retry-After`` is cut to this).
    """

    def __init__(
        self,
        provider: str = "local",
        model: str | None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 4,
        backoff: float = 1.0,
        max_wait: float = 60.0,
        prompt_for_key: bool | None = None,
    ) -> None:
        if provider not in PROVIDERS:
            raise ValueError(f"provider must be one of {', '.join(PROVIDERS)}, got {provider!r}.")
        if timeout <= 0 or max_retries < 0 or backoff < 0:
            raise ValueError("timeout must be > 0, max_retries and backoff >= 0.")
        self.provider = provider
        self.model = model or PROVIDERS[provider]["default_model"]
        if (provider, self.model) in RETIRED_MODELS:
            raise ModelNotFoundError(
                f"{provider} has retired the model {self.model!r}; try "
                f"{RETIRED_MODELS[(provider, self.model)]!r}, or call "
                f"llm.list_models({provider!r}) for the current ones."
            )
        self.timeout, self.max_retries = float(timeout), int(max_retries)
        self.backoff, self.max_wait = float(backoff), float(max_wait)
        self.retries_made = 0  # how many retries this client has needed so far
        if provider == "local":
            self._sdk = None
            self.base_url = None
        else:
            conf = PROVIDERS[provider]
            self.base_url = base_url or os.environ.get(conf["base_url_env"]) or None
            key = api_key or get_api_key(conf["key"], prompt=prompt_for_key)
            self._sdk = _make_sdk(provider, key, self.base_url, self.timeout)

    def __repr__(self) -> str:  # never shows the key
        where = f", base_url={self.base_url!r}" if self.base_url else ""
        return f"ChatClient(provider={self.provider!r}, model={self.model!r}{where})"

    @property
    def cache_id(self) -> str:
        """Identifies the model that answers (for the reply cache)."""
        if self.provider == "local":
            return f"local:{self.model}->{_local_path(self.model)}"
        return f"{self.provider}:{self.model}@{self.base_url or 'default'}"

    def list_models(self) -> list[str]:
        """Model names the provider serves now (hosted: asks the API; local: known ids)."""
        if self.provider == "local":
            return list(PROVIDERS["local"]["models"])
        return sorted(m.id for m in self._call(lambda: self._sdk.models.list()).data)

    def chat(self, messages: Messages, **options) -> str:
        """The model's reply to ``messages`` (a list of ``{"role", "content"}`` dicts).

        Options: ``temperature`` (0 = greedy), ``max_tokens``, ``top_p``, ``seed``,
        ``stop``; ``top_k`` for the local model only. An empty reply returns ``""``.
        """
        _check_messages(messages)
        unknown = set(options) - set(CHAT_OPTIONS)
        if unknown:
            raise ValueError(f"Unknown option(s) {sorted(unknown)}; use {CHAT_OPTIONS}.")
        if self.provider == "local":
            return _local_chat(self.model, list(messages), **options)
        if "top_k" in options:
            raise ValueError("top_k is not part of the OpenAI-style API: use it with provider='local'.")
        opts = {k: v for k, v in options.items() if v is not None}
        response = self._call(
            lambda: self._sdk.chat.completions.create(
                model=self.model, messages=list(messages), **opts
            )
        )
        try:
            content = response.choices[0].message.content
        except (AttributeError, IndexError, KeyError, TypeError):
            raise LLMResponseError(
                f"{self.provider} sent a reply that is not a chat completion "
                f"({type(response).__name__}: {str(response)[:200]!r})."
            ) from None
        return content or ""

    # -- retries ------------------------------------------------------------------------------
    def _call(self, request: Callable):
        errors = _sdk_errors(self.provider)
        last = ""
        for attempt in range(self.max_retries + 1):
            wait = self.backoff * 2**attempt
            try:
                return request()
            except errors.RateLimitError as exc:  # 429
                server_wait = _retry_after(exc.response.headers)
                wait = server_wait if server_wait is not None else wait
                last = f"429 rate limit (Retry-After: {server_wait})"
            except errors.InternalServerError as exc:  # 5xx
                last = f"server error {exc.status_code}"
            except errors.APITimeoutError:
                last = f"no answer within {self.timeout:g} s"
            except errors.APIConnectionError as exc:
                last = f"connection failed ({exc.__cause__ or exc})"
            except errors.NotFoundError as exc:
                raise self._model_error(exc) from None
            except errors.BadRequestError as exc:
                text = str(exc).lower()
                if "decommission" in text or "model" in text and (
                    "not exist" in text or "not found" in text or "retired" in text
                ):
                    raise self._model_error(exc) from None
                raise LLMError(f"{self.provider} rejected the request: {exc}") from None
            except (errors.AuthenticationError, errors.PermissionDeniedError) as exc:
                raise MissingAPIKeyError(
                    f"{self.provider} refused the API key (HTTP {exc.status_code}). "
                    + _where_to_put(PROVIDERS[self.provider]["key"]).replace(
                        "No API key named", "Check the key named"
                    ).replace(" was found", "")
                ) from None
            except (errors.APIResponseValidationError, json.JSONDecodeError) as exc:
                raise LLMResponseError(f"{self.provider} sent a malformed reply: {exc}") from None
            if attempt == self.max_retries:
                break
            self.retries_made += 1
            time.sleep(min(self.max_wait, wait) * (1 + 0.1 * random.random()))
        raise LLMUnavailableError(
            f"{self.provider} failed {self.max_retries + 1} time(s); last: {last}. "
            "Wait a minute (free tiers are rate-limited) or lower the number of essays."
        )

    def _model_error(self, exc: Exception) -> ModelNotFoundError:
        return ModelNotFoundError(
            f"{self.provider} does not serve the model {self.model!r} (misspelled or retired: "
            f"{str(exc)[:160]}). Call ChatClient({self.provider!r}, ...).list_models() or "
            f"llm.list_models({self.provider!r}) to see the current models."
        )


def list_models(provider: str, **client_kwargs) -> list[str]:
    """Current model names of ``provider`` (hosted providers need a key and network)."""
    return ChatClient(provider, **client_kwargs).list_models()


def _make_sdk(provider: str, api_key: str, base_url: str | None, timeout: float):
    kwargs = {"api_key": api_key, "timeout": timeout, "max_retries": 0}  # we retry ourselves
    if base_url:
        kwargs["base_url"] = base_url
    if provider == "groq":
        import groq

        return groq.Groq(**kwargs)
    from cerebras.cloud.sdk import Cerebras

    return Cerebras(warm_tcp_connection=False, **kwargs)  # no request at construction


def _sdk_errors(provider: str):
    if provider == "groq":
        import groq

        return groq
    import cerebras.cloud.sdk as cerebras

    return cerebras


# --- the local provider --------------------------------------------------------------------
@lru_cache(maxsize=4)
def _local_path(model_id: str) -> str:
    from course_utils.hub import resolve_model

    return resolve_model(model_id, kind="causal-lm")


@lru_cache(maxsize=2)
def load_local_model(model_id: str, dtype: str | None = None):
    """``(tokenizer, model)`` for a causal LM, resolved offline if needed, loaded once.

    ``dtype``: ``None`` gives float16 on a GPU and float32 on a CPU; ``"bfloat16"`` halves
    the CPU time on processors with bfloat16 instructions (slightly different numbers).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = _local_path(model_id)
    tokenizer = AutoTokenizer.from_pretrained(path)
    if dtype is None:
        dtype = "float16" if device() == "cuda" else "float32"
    model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype)).to(device()).eval()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, model


def _local_chat(
    model_id: str,
    messages: Messages,
    temperature: float = 0.0,
    max_tokens: int = 64,
    top_p: float | None = None,
    top_k: int | None = None,
    seed: int | None = None,
    stop: Sequence[str] | str | None = None,
) -> str:
    import torch

    tokenizer, model = load_local_model(model_id)
    ids = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    ).to(model.device)
    sample = temperature is not None and temperature > 0
    gen = {"max_new_tokens": int(max_tokens), "do_sample": sample, "pad_token_id": tokenizer.pad_token_id}
    if sample:
        gen.update(temperature=float(temperature), top_k=top_k or 0, top_p=top_p or 1.0)
        if seed is not None:
            torch.manual_seed(seed)
    else:
        gen.update(temperature=None, top_k=None, top_p=None)
    with torch.no_grad():
        out = model.generate(**ids, **gen)
    text = tokenizer.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)
    for s in [stop] if isinstance(stop, str) else stop or []:
        text = text.split(s)[0]
    return text.strip()


# --- scoring many essays -------------------------------------------------------------------
@dataclass
class LLMScores:
    """What :func:`score_with_llm` returns: parsed scores, raw replies and counts."""

    scores: list[int | None]
    replies: list[str]
    seconds: float
    n_cached: int = 0
    n_errors: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def n_unparseable(self) -> int:
        """Replies without a valid score (including failed calls)."""
        return sum(s is None for s in self.scores)

    def filled(self, fallback: int) -> np.ndarray:
        """Scores with ``fallback`` in place of each unparseable reply (for full tables)."""
        return np.array([fallback if s is None else s for s in self.scores], dtype=int)

    def metrics(self, human: Sequence[int], min_score: int = 0, max_score: int = 12) -> dict:
        """``aes_metrics`` on the parsed essays, plus ``unparseable`` and ``coverage``."""
        from course_utils.metrics import aes_metrics

        human = np.asarray(human)
        if len(human) != len(self.scores):
            raise ValueError(f"human has {len(human)} scores for {len(self.scores)} essays.")
        ok = np.array([s is not None for s in self.scores])
        out = {"unparseable": int((~ok).sum()), "coverage": float(ok.mean())}
        if ok.sum() >= 2:
            parsed = np.array([s for s in self.scores if s is not None])
            out = {**aes_metrics(human[ok], parsed, min_score, max_score), **out}
        return out


def _cache_key(client_id: str, messages: Messages, options: dict) -> str:
    blob = json.dumps([client_id, messages, options], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def reply_folder(cache: bool | str | Path, name: str) -> Path | None:
    """Where replies are cached: ``None`` for ``cache=False``, the given folder, or ``COURSE_CACHE_DIR/name``."""
    if not cache:
        return None
    folder = Path(cache) if isinstance(cache, (str, Path)) else cache_dir() / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cached_chat(client: ChatClient, messages: Messages, options: dict, folder: Path | None) -> tuple[str, bool]:
    """``(reply, read_from_cache)``: the reply saved in ``folder`` for this model, messages and options,
    or a new one from ``client.chat`` (then saved whole: written to a temporary file, then renamed)."""
    path = folder / f"{_cache_key(client.cache_id, messages, options)}.json" if folder else None
    if path is not None and path.is_file():
        return json.loads(path.read_text())["reply"], True
    reply = client.chat(messages, **options)
    if path is not None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"reply": reply}))
        tmp.replace(path)
    return reply, False


def score_with_llm(
    essays: Sequence[str],
    prompt_builder: Callable[[str], Messages],
    client: ChatClient,
    min_score: int = 0,
    max_score: int = 12,
    cache: bool | str | Path = True,
    progress: bool = True,
    desc: str = "scoring",
    **options,
) -> LLMScores:
    """Ask ``client`` to score each essay (``prompt_builder(essay)`` makes the messages).

    Replies are cached on disk (``COURSE_CACHE_DIR/llm_responses`` or the folder given
    as ``cache``), keyed by model, messages and options: a rerun reads them back and
    spends no quota. ``cache=False`` always asks. A call that fails with
    :class:`LLMResponseError` counts as unparseable; other errors stop the run.
    """
    from tqdm.auto import tqdm

    essays = list(essays)
    if not essays:
        raise ValueError("essays is empty.")
    folder = reply_folder(cache, "llm_responses")
    options.setdefault("temperature", 0.0)
    scores, replies, errors, n_cached = [], [], [], 0
    start = time.perf_counter()
    for essay in tqdm(essays, desc=desc, disable=not progress):
        try:
            reply, cached = cached_chat(client, prompt_builder(essay), options, folder)
        except LLMResponseError as exc:
            errors.append(str(exc))
            replies.append("")
            scores.append(None)
            continue
        n_cached += cached
        replies.append(reply)
        scores.append(parse_score(reply, min_score, max_score))
    return LLMScores(scores, replies, time.perf_counter() - start, n_cached, len(errors), errors)
