"""The hosted and local chat providers and their models, in one place.

Each provider names the environment variable (or Colab secret) that holds its key, the
variable that may point it at another OpenAI-compatible endpoint, its default model and
the models the course has used. When a provider retires a model, add it to
:data:`RETIRED_MODELS` with what to use instead: :class:`~course_utils.llm.ChatClient`
then says so before sending any request.
"""

from __future__ import annotations

#: A conversation: a list of ``{"role": "system" | "user" | "assistant", "content": str}``.
Messages = list[dict[str, str]]

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
