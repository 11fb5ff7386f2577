"""A loopback OpenAI-compatible chat server for tests (127.0.0.1 only, no network).

The real ``groq`` and ``cerebras-cloud-sdk`` clients talk to it through ``base_url``.
Each request pops the next scripted reply from ``server.script``; when the script is
empty it answers a normal chat completion with ``server.default_content``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    """One scripted answer: HTTP status, headers, body (dict -> JSON, str -> raw), delay."""

    status: int = 200
    body: dict | str | None = None
    headers: dict = field(default_factory=dict)
    delay: float = 0.0


def completion(content: str | None, model: str = "test-model") -> dict:
    """A minimal OpenAI chat-completion JSON body."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class LoopbackServer:
    """Start with ``with LoopbackServer() as server: ...``; ``server.url`` is the base URL."""

    def __init__(self) -> None:
        self.script: deque[Reply] = deque()
        self.requests: list[dict] = []
        self.default_content = "**Score**: 7"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def _answer(self, body_in: dict | None) -> None:
                outer.requests.append({
                    "path": self.path, "json": body_in, "auth": self.headers.get("Authorization"),
                    "retry_count": self.headers.get("x-stainless-retry-count"),  # the SDK's retries
                })
                if "/models" in self.path and not outer.script:
                    reply = Reply(body={"object": "list", "data": [
                        {"id": "model-a", "object": "model", "created": 0, "owned_by": "test"},
                        {"id": "model-b", "object": "model", "created": 0, "owned_by": "test"},
                    ]})
                else:
                    reply = outer.script.popleft() if outer.script else Reply(
                        body=completion(outer.default_content)
                    )
                if reply.delay:
                    time.sleep(reply.delay)
                data = reply.body if reply.body is not None else {}
                raw = data.encode() if isinstance(data, str) else json.dumps(data).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out
                    pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                self._answer(body)

            def do_GET(self) -> None:  # noqa: N802
                self._answer(None)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def chat_requests(self) -> list[dict]:
        return [r for r in self.requests if "chat/completions" in r["path"]]
