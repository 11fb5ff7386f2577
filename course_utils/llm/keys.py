"""API keys: found in Colab secrets, then the environment, then a hidden prompt.

>>> get_api_key("GROQ_API_KEY")        # the key, or MissingAPIKeyError saying where to put it

A key is a password: it is returned to the code that needs it and never printed,
logged, saved or copied into the environment. In Colab it lives in the Secrets panel
(the key icon); elsewhere in an environment variable set in the shell that starts
Jupyter. The hidden ``getpass`` prompt is offered only when someone can type.
"""

from __future__ import annotations

import os
import sys

from course_utils.llm.errors import MissingAPIKeyError
from course_utils.llm.providers import PROVIDERS


def _from_colab(name: str) -> str | None:
    if "google.colab" not in sys.modules:
        return None
    try:
        from google.colab import userdata  # type: ignore[import-not-found]

        return userdata.get(name) or None
    except Exception:  # SecretNotFoundError, NotebookAccessError, ...
        return None


def where_to_put(name: str) -> str:
    """The message for a missing key ``name``: where to put it in Colab and elsewhere."""
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
    raise MissingAPIKeyError(where_to_put(name))


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
