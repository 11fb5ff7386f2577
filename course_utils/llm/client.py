"""The chat client: one interface, ``ChatClient(provider, model).chat(messages) -> str``.

>>> client = ChatClient("groq")              # the key from Colab secrets or GROQ_API_KEY
>>> client.chat([{"role": "user", "content": "Score this essay 0-12: ..."}], max_tokens=16)

Groq and Cerebras are reached through their own Python SDKs (both speak the OpenAI
chat-completions API); ``"local"`` runs a transformers model on this machine
(:mod:`course_utils.llm.local_model`). Whatever goes wrong comes back as one of the
course's errors (:mod:`course_utils.llm.errors`) with a message that says what to do:
a missing or refused key says where to put it, a retired or misspelled model says how
to list the current ones, and a provider that keeps failing says to wait or ask less.

Retries are the SDKs' job: the client is built with ``max_retries=``, and the SDK
retries a 429 (rate limit), a 5xx, a time-out or a dropped connection itself, waiting
what the server's ``Retry-After`` asks (up to 60 s; otherwise 0.5 s, doubling, at most
8 s). Only when those retries are spent does the course's error reach the notebook.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

from course_utils.llm.errors import (
    LLMError,
    LLMResponseError,
    LLMUnavailableError,
    MissingAPIKeyError,
    ModelNotFoundError,
)
from course_utils.llm.keys import get_api_key, where_to_put
from course_utils.llm.local_model import local_chat, local_path
from course_utils.llm.providers import CHAT_OPTIONS, PROVIDERS, RETIRED_MODELS, Messages


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


class ChatClient:
    """One interface to a chat model: ``ChatClient(provider, model).chat(messages) -> str``.

    Parameters
    ----------
    provider : ``"groq"``, ``"cerebras"`` or ``"local"`` (a transformers model on this
        machine; offline it is SmolLM2-135M-Instruct, see :func:`course_utils.hub.resolve_model`).
    model : the provider's model name; ``None`` uses ``PROVIDERS[provider]["default_model"]``.
    api_key : for hosted providers; ``None`` looks it up with :func:`get_api_key`.
    base_url : another OpenAI-compatible endpoint (default: the provider's, or the
        ``GROQ_BASE_URL`` / ``CEREBRAS_BASE_URL`` environment variable).
    timeout : seconds per request.
    max_retries : retries after a 429, 5xx, time-out or dropped connection, made by the
        provider's SDK (it honours ``Retry-After``); then :class:`LLMUnavailableError`.
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
        prompt_for_key: bool | None = None,
    ) -> None:
        if provider not in PROVIDERS:
            raise ValueError(f"provider must be one of {', '.join(PROVIDERS)}, got {provider!r}.")
        if timeout <= 0 or max_retries < 0:
            raise ValueError("timeout must be > 0 and max_retries >= 0.")
        self.provider = provider
        self.model = model or PROVIDERS[provider]["default_model"]
        if (provider, self.model) in RETIRED_MODELS:
            raise ModelNotFoundError(
                f"{provider} has retired the model {self.model!r}; try "
                f"{RETIRED_MODELS[(provider, self.model)]!r}, or call "
                f"llm.list_models({provider!r}) for the current ones."
            )
        self.timeout, self.max_retries = float(timeout), int(max_retries)
        if provider == "local":
            self._sdk = None
            self.base_url = None
        else:
            conf = PROVIDERS[provider]
            self.base_url = base_url or os.environ.get(conf["base_url_env"]) or None
            key = api_key or get_api_key(conf["key"], prompt=prompt_for_key)
            self._sdk = _make_sdk(provider, key, self.base_url, self.timeout, self.max_retries)

    def __repr__(self) -> str:  # never shows the key
        where = f", base_url={self.base_url!r}" if self.base_url else ""
        return f"ChatClient(provider={self.provider!r}, model={self.model!r}{where})"

    @property
    def cache_id(self) -> str:
        """Identifies the model that answers (for the reply cache)."""
        if self.provider == "local":
            return f"local:{self.model}->{local_path(self.model)}"
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
            return local_chat(self.model, list(messages), **options)
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

    # -- the SDK's errors, said in the course's words ---------------------------------------
    def _call(self, request: Callable):
        """``request()``, whose SDK has already retried what can be retried; its errors
        become the course's, each saying what to do."""
        errors = _sdk_errors(self.provider)
        try:
            return request()
        except errors.RateLimitError as exc:  # 429
            raise self._gave_up(f"429 rate limit (Retry-After: {exc.response.headers.get('retry-after')})") from None
        except errors.InternalServerError as exc:  # 5xx
            raise self._gave_up(f"server error {exc.status_code}") from None
        except errors.APITimeoutError:
            raise self._gave_up(f"no answer within {self.timeout:g} s") from None
        except errors.APIConnectionError as exc:
            raise self._gave_up(f"connection failed ({exc.__cause__ or exc})") from None
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
                + where_to_put(PROVIDERS[self.provider]["key"]).replace(
                    "No API key named", "Check the key named"
                ).replace(" was found", "")
            ) from None
        except (errors.APIResponseValidationError, json.JSONDecodeError) as exc:
            raise LLMResponseError(f"{self.provider} sent a malformed reply: {exc}") from None
        except errors.APIStatusError as exc:  # any other HTTP error
            raise LLMError(f"{self.provider} answered HTTP {exc.status_code}: {str(exc)[:200]}") from None

    def _gave_up(self, last: str) -> LLMUnavailableError:
        return LLMUnavailableError(
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


def _make_sdk(provider: str, api_key: str, base_url: str | None, timeout: float, max_retries: int):
    kwargs = {"api_key": api_key, "timeout": timeout, "max_retries": max_retries}  # the SDK retries
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
