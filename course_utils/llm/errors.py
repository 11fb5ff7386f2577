"""What can go wrong when asking a chat model, as errors whose message says what to do.

Every error of :mod:`course_utils.llm` is an :class:`LLMError`, so a notebook can catch
them all in one ``except llm.LLMError`` and go on; the SDKs' own exceptions never reach
a learner as a bare traceback.
"""

from __future__ import annotations


class LLMError(RuntimeError):
    """Base class of the errors this package raises."""


class MissingAPIKeyError(LLMError):
    """No API key was found (or the provider refused it); the message says where to put one."""


class ModelNotFoundError(LLMError, ValueError):
    """The provider does not serve this model (misspelled or retired)."""


class LLMResponseError(LLMError):
    """The provider answered with something that is not a chat completion."""


class LLMUnavailableError(LLMError):
    """The provider kept failing (rate limit, server error, time-out) after all retries."""
