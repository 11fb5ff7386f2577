"""course_utils.llm: keys, the real SDK clients against a loopback server, parse_score."""

from __future__ import annotations

import time

import pytest
from llm_server import LoopbackServer, Reply, completion

from course_utils import llm
from course_utils.llm import ChatClient, parse_score

PROVIDERS = ["groq", "cerebras"]
USER = [{"role": "user", "content": "Score this essay."}]


@pytest.fixture
def server():
    with LoopbackServer() as srv:
        yield srv


def client(provider: str, server: LoopbackServer, **kw) -> ChatClient:
    return ChatClient(provider, "test-model", api_key="sk-test-secret", base_url=server.url, **kw)


# --- keys ------------------------------------------------------------------------------------
def test_missing_key_says_where_to_put_it(monkeypatch):
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    with pytest.raises(llm.MissingAPIKeyError) as err:
        llm.get_api_key("GROQ_API_KEY", prompt=False)
    msg = str(err.value)
    assert "Secrets" in msg and "export GROQ_API_KEY" in msg
    monkeypatch.delenv("CEREBRAS_API_KEY", raising=False)
    with pytest.raises(llm.MissingAPIKeyError):
        ChatClient("cerebras", prompt_for_key=False)


def test_key_from_environment_is_never_shown(monkeypatch, server):
    monkeypatch.setenv("GROQ_API_KEY", "sk-env-secret")
    assert llm.get_api_key("GROQ_API_KEY", prompt=False) == "sk-env-secret"
    assert llm.has_api_key("GROQ_API_KEY")
    c = ChatClient("groq", "test-model", base_url=server.url)
    assert "sk-env-secret" not in repr(c)
    c.chat(USER)
    assert server.chat_requests[-1]["auth"] == "Bearer sk-env-secret"


def test_bad_arguments_raise_value_error(server):
    with pytest.raises(ValueError, match="provider"):
        ChatClient("openai")
    c = client("groq", server)
    with pytest.raises(ValueError, match="role"):
        c.chat([{"role": "robot", "content": "hi"}])
    with pytest.raises(ValueError, match="Unknown option"):
        c.chat(USER, temprature=0)
    with pytest.raises(ValueError, match="top_k"):
        c.chat(USER, top_k=5)


# --- the real SDKs against the loopback server ------------------------------------------------
@pytest.mark.parametrize("provider", PROVIDERS)
def test_chat_roundtrip(provider, server):
    c = client(provider, server)
    assert c.chat(USER, temperature=0, max_tokens=8) == "**Score**: 7"
    sent = server.chat_requests[-1]["json"]
    assert sent["model"] == "test-model" and sent["messages"] == USER
    assert sent["temperature"] == 0 and sent["max_tokens"] == 8


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("header", [{"Retry-After": "0.6"}, {"retry-after-ms": "600"}])
def test_the_sdk_retries_a_429_after_retry_after(provider, header, server):
    server.script.append(Reply(429, {"error": {"message": "slow down"}}, header))
    c = client(provider, server, max_retries=1)
    start = time.perf_counter()
    assert c.chat(USER) == "**Score**: 7"  # the reply arrives after one retry
    assert time.perf_counter() - start >= 0.6  # the SDK waited what the server asked
    assert [r["retry_count"] for r in server.chat_requests] == ["0", "1"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_429_after_all_retries_says_what_to_do(provider, server):
    server.script.extend(
        Reply(429, {"error": {"message": "slow down"}}, {"Retry-After": "0.05"}) for _ in range(2))
    c = client(provider, server, max_retries=1)
    with pytest.raises(llm.LLMUnavailableError, match="failed 2 time.*429 rate limit.*Wait a minute"):
        c.chat(USER)
    assert len(server.chat_requests) == 2  # max_retries reached the SDK: one retry, not its default two


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_retries_when_max_retries_is_0(provider, server):
    server.script.append(Reply(503, {"error": {"message": "busy"}}))
    with pytest.raises(llm.LLMUnavailableError, match="server error 503"):
        client(provider, server, max_retries=0).chat(USER)
    assert len(server.chat_requests) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_5xx_is_retried_then_gives_up(provider, server):
    server.script.append(Reply(503, {"error": {"message": "busy"}}))
    c = client(provider, server, max_retries=2)
    assert c.chat(USER) == "**Score**: 7"
    server.script.extend(Reply(500, {"error": {"message": "boom"}}) for _ in range(3))
    with pytest.raises(llm.LLMUnavailableError, match="server error 500"):
        c.chat(USER)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_timeout_is_retried(provider, server):
    server.script.append(Reply(200, completion("late"), delay=1.5))
    c = client(provider, server, timeout=0.3, max_retries=1)
    assert c.chat(USER) == "**Score**: 7"  # the retry gets the default, prompt reply
    server.script.extend(Reply(200, completion("late"), delay=1.0) for _ in range(2))
    with pytest.raises(llm.LLMUnavailableError, match="no answer within"):
        c.chat(USER)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_retired_model_suggests_list_models(provider, server):
    server.script.append(
        Reply(404, {"error": {"message": "The model `old` does not exist", "code": "model_not_found"}})
    )
    with pytest.raises(llm.ModelNotFoundError, match="list_models"):
        client(provider, server).chat(USER)
    assert client(provider, server).list_models() == ["model-a", "model-b"]


def test_known_retired_model_fails_before_any_request():
    with pytest.raises(llm.ModelNotFoundError, match="retired"):
        ChatClient("cerebras", "llama-4-scout-17b-16e-instruct", api_key="x")


def test_groq_decommissioned_400_is_a_model_error(server):
    server.script.append(Reply(400, {"error": {
        "message": "The model `gemma-7b-it` has been decommissioned", "code": "model_decommissioned"}}))
    with pytest.raises(llm.ModelNotFoundError):
        client("groq", server).chat(USER)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_malformed_and_empty_replies(provider, server):
    c = client(provider, server)
    server.script.append(Reply(200, "this is not json"))
    with pytest.raises(llm.LLMResponseError):
        c.chat(USER)
    server.script.append(Reply(200, {"id": "x", "object": "chat.completion", "choices": []}))
    with pytest.raises(llm.LLMResponseError):
        c.chat(USER)
    server.script.append(Reply(200, completion(None)))
    assert c.chat(USER) == ""
    server.script.append(Reply(200, completion("")))
    assert c.chat(USER) == ""


def test_rejected_key_is_reported_without_the_key(server):
    server.script.append(Reply(401, {"error": {"message": "Invalid API Key"}}))
    with pytest.raises(llm.MissingAPIKeyError) as err:
        client("groq", server).chat(USER)
    assert "sk-test-secret" not in str(err.value) and "GROQ_API_KEY" in str(err.value)


# --- score_with_llm ----------------------------------------------------------------------------
def test_score_with_llm_caches_and_counts_unparseable(server, tmp_path):
    c = client("groq", server)
    server.script.extend([Reply(200, completion("**Score**: 5")), Reply(200, completion("no idea")),
                          Reply(200, "garbage")])

    def build(essay: str) -> list[dict]:
        return [{"role": "user", "content": essay}]

    essays = ["a", "b", "c"]
    first = llm.score_with_llm(essays, build, c, cache=tmp_path, progress=False)
    assert first.scores == [5, None, None]
    assert first.n_unparseable == 2 and first.n_errors == 1 and first.n_cached == 0
    n_before = len(server.chat_requests)
    second = llm.score_with_llm(essays, build, c, cache=tmp_path, progress=False)
    assert second.n_cached == 2  # the two good replies; the failed call is asked again
    assert len(server.chat_requests) == n_before + 1
    m = first.metrics([5, 6, 7])
    assert m["unparseable"] == 2 and m["coverage"] == pytest.approx(1 / 3)
    assert list(first.filled(6)) == [5, 6, 6]


# --- parse_score ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("**Score**: 7", 7),
        ("Score: 7/12", 7),
        ("7", 7),
        ("  12 ", 12),
        ("**Score: 9**", 9),
        ("The essay is focused and well organised, with minor errors.\n8", 8),
        ("The story is clear and detailed; I would give it 10.", 10),
        ("Ideas score: 2. Organization score: 3.\n**Score**: 9", 9),
        ("Ideas: 2, Organization: 2, Style: 2, Conventions: 2. Total: 8", 8),
        ("Score (0-12): 6", 6),
        ("I'd rate it 7 out of 12.", 7),
        ("Score: 0", 0),
        ("**Score**: 7\n\nScore: 7", 7),
        ("Score: 7 (Ideas 2, Organization 2)", 7),  # trait scores after the total
        ("Score: 7, which is a fair mark", 7),
        ("Score: 7 and 7", 7),  # the same score twice is not ambiguous
        ("**Score**: 12 - a clear, well organised story", 12),
    ],
)
def test_parse_score_reads(text, expected):
    assert parse_score(text, 0, 12) == expected


@pytest.mark.parametrize(
    "text",
    [
        None, "", "   ", "I cannot grade this essay.",
        "**Score**: 13", "Score: -", "Score: 7.5", "Score: 3/4",
        "Score: 6 ... actually Score: 8",  # conflicting
        "It could be 6 or 8.",  # conflicting bare numbers
        "Score: 99999999999999999999999",
        12,  # not a string
        # negative, out of range and hedged replies are refused, never guessed
        "**Score**: -1", "Score: -3", "-1", "Score: \u22122",
        "Score: 4 or maybe 9", "Score: 4-5", "Score: 4 to 5", "Score: 6, 8", "Score: 9 (or 10)",
        "The score is 7 or 8", "Score: 7/12 or 8/12", "**Score**: 7 or perhaps 11",
        "Total: 13", "**Score**: 25",
    ],
)
def test_parse_score_returns_none(text):
    assert parse_score(text, 0, 12) is None


def test_parse_score_respects_the_range():
    assert parse_score("Score: 3", 1, 6) == 3
    assert parse_score("Score: 0", 1, 6) is None
    assert parse_score("Score: 5/6", 1, 6) == 5
