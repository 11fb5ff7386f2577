"""Chat with a language model -- hosted (Groq, Cerebras) or local -- and read a score.

>>> from course_utils import llm
>>> client = llm.ChatClient("local")                  # no key needed; transformers
>>> reply = client.chat([{"role": "user", "content": "Score this essay 0-12: ..."}])
>>> llm.parse_score(reply, 0, 12)                     # an int, or None

One module per job, each short enough to read in one sitting:

* :mod:`~course_utils.llm.providers` -- the providers, their models, retired names;
* :mod:`~course_utils.llm.keys` -- :func:`get_api_key`: Colab secrets, then the
  environment, then (only when someone can type) a hidden prompt; never printed;
* :mod:`~course_utils.llm.client` -- :class:`ChatClient`, one ``.chat(messages)`` for the
  three providers, with clear errors (:mod:`~course_utils.llm.errors`);
* :mod:`~course_utils.llm.local_model` -- :func:`load_local_model`, a transformers chat
  model on this machine (offline: SmolLM2-135M-Instruct stands in);
* :mod:`~course_utils.llm.reply_cache` -- :func:`cached_chat`: each reply is asked once and
  read back on every rerun, so a workshop spends no API quota twice;
* :mod:`~course_utils.llm.scoring` -- :func:`score_with_llm`: many essays, a progress bar,
  parsed scores and how many replies held none.

Everything a notebook needs is importable from ``course_utils.llm`` itself.
"""

from course_utils.llm.client import ChatClient, list_models
from course_utils.llm.errors import (
    LLMError,
    LLMResponseError,
    LLMUnavailableError,
    MissingAPIKeyError,
    ModelNotFoundError,
)
from course_utils.llm.keys import get_api_key, has_api_key
from course_utils.llm.local_model import load_local_model
from course_utils.llm.providers import CHAT_OPTIONS, PROVIDERS, RETIRED_MODELS, Messages
from course_utils.llm.reply_cache import cached_chat, reply_folder
from course_utils.llm.scoring import LLMScores, score_with_llm
from course_utils.replies import parse_score

__all__ = [
    "CHAT_OPTIONS", "PROVIDERS", "RETIRED_MODELS", "ChatClient", "LLMError", "LLMResponseError",
    "LLMScores", "LLMUnavailableError", "Messages", "MissingAPIKeyError", "ModelNotFoundError",
    "cached_chat", "get_api_key", "has_api_key", "list_models", "load_local_model",
    "parse_score", "reply_folder", "score_with_llm",
]
