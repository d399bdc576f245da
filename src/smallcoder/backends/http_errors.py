"""What went wrong talking to a model server, in terms the user can act on.

Both official clients (openai, ollama) raise their own exception types; this
file reduces them to one `Failure` (connect / timeout / status + message),
decides which failures are worth a retry, and turns the rest into one-line
errors that name the URL and the command that fixes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from smallcoder.errors import BackendError, ConfigError, ModelNotFoundError, SmallcoderError

# 408/409/429 and 5xx are worth a retry: a busy server, a model still loading (llama-server 503).
TRANSIENT_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})

_OVERFLOW = re.compile(
    r"context[ _-]?(length|window|size|shift)|maximum context|exceeds? (the )?(available )?context|"
    r"too many tokens|prompt is too long|input .*too long|n_ctx",
    re.IGNORECASE,
)
_NO_TOOLS = re.compile(r"does not support tools|tools? (is |are )?not supported|unsupported param\w*:? ?tools|"
                       r"tool[_ ]choice.*(not supported|requires)|--jinja|enable-auto-tool-choice", re.IGNORECASE)
_NOT_FOUND = re.compile(r"model\b.*\b(not found|does not exist)|not found, try pulling|no such model",
                        re.IGNORECASE)
_LIMIT = re.compile(r"(?:maximum context length is|context window of|n_ctx[ =:]+|context size \(?)\s*(\d{3,7})",
                    re.IGNORECASE)


@dataclass
class Failure:
    kind: str  # "connect" | "timeout" | "status" | "protocol"
    message: str
    status: int | None = None

    @property
    def transient(self) -> bool:
        if self.kind in ("timeout", "protocol"):
            return True
        if self.overflow or self.tools_unsupported or self.model_missing:
            return False  # the same request would fail the same way
        return self.kind == "status" and self.status in TRANSIENT_STATUS

    @property
    def overflow(self) -> bool:
        return self.kind == "status" and bool(_OVERFLOW.search(self.message))

    @property
    def tools_unsupported(self) -> bool:
        return self.kind == "status" and self.status in (400, 422, 500, 501) and bool(_NO_TOOLS.search(self.message))

    @property
    def model_missing(self) -> bool:
        return self.kind == "status" and self.status in (400, 404) and bool(_NOT_FOUND.search(self.message))


def context_limit_in(message: str) -> int | None:
    """The window a server states in an over-long-prompt error ("maximum context length is 4096 tokens")."""
    m = _LIMIT.search(message)
    return int(m.group(1)) if m else None


def classify(exc: BaseException) -> Failure | None:
    """A Failure for any exception from the openai, ollama or httpx libraries; None for anything else."""
    import httpx

    try:
        import openai
    except ImportError:  # pragma: no cover - openai is a dependency
        openai = None  # type: ignore[assignment]
    try:
        import ollama
    except ImportError:  # pragma: no cover - ollama is a dependency
        ollama = None  # type: ignore[assignment]

    if openai is not None:
        if isinstance(exc, openai.APITimeoutError):
            return Failure("timeout", str(exc))
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__
            # The openai client may run on httpx or its successor httpx2: judge the cause by class name.
            if cause is not None and _named(cause, "RemoteProtocolError", "ReadError", "WriteError"):
                return Failure("protocol", str(cause) or str(exc))
            if cause is not None and _named(cause, "TimeoutException"):
                return Failure("timeout", str(cause) or str(exc))
            return Failure("connect", str(cause or exc))
        if isinstance(exc, openai.APIStatusError):
            return Failure("status", _openai_message(exc), exc.status_code)
    if ollama is not None and isinstance(exc, ollama.ResponseError):
        return Failure("status", str(exc.error), exc.status_code if exc.status_code > 0 else 500)
    if isinstance(exc, httpx.TimeoutException):
        return Failure("timeout", str(exc) or type(exc).__name__)
    if isinstance(exc, httpx.ConnectError) or isinstance(exc, ConnectionRefusedError):
        return Failure("connect", str(exc))
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return Failure("protocol", str(exc) or type(exc).__name__)
    if isinstance(exc, httpx.HTTPStatusError):
        return Failure("status", exc.response.text[:500], exc.response.status_code)
    if isinstance(exc, ConnectionError):  # the ollama client turns httpx.ConnectError into this
        return Failure("connect", str(exc))
    return None


def _named(exc: BaseException, *names: str) -> bool:
    return any(cls.__name__ in names for cls in type(exc).__mro__)


def _openai_message(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
        if body.get("detail"):
            return str(body["detail"])
    return str(getattr(exc, "message", "") or exc)


def user_error(failure: Failure, *, url: str, model: str, start_hint: str, pull_hint: str | None = None,
               context: int | None = None) -> SmallcoderError:
    """The one-line error for a failure that retrying did not cure."""
    first = _one_line(failure.message)
    if failure.kind == "connect":
        return BackendError(f"no model server answers at {url} — start it with `{start_hint}`, "
                            "or pass the right --base-url")
    if failure.kind == "timeout":
        return BackendError(f"the server at {url} did not answer in time ({first}) — it may still be loading "
                            "the model or processing a long prompt; try again, or use a smaller model or --ctx")
    if failure.model_missing:
        how = f"run `{pull_hint}`" if pull_hint else "check the model name (`smallcoder doctor` lists them)"
        return ModelNotFoundError(f"model {model!r} is not available at {url} — {how}")
    if failure.overflow:
        stated = context_limit_in(failure.message) or context
        limit = f" of {stated} tokens" if stated else ""
        return BackendError(f"the server at {url} rejected the prompt as longer than its context{limit} — "
                            "give the server a larger context (or run with a smaller --ctx so smallcoder "
                            f"budgets for it): {first}")
    if failure.status == 404:
        return BackendError(f"the server at {url} has no such endpoint (HTTP 404: {first}) — check --base-url; "
                            "OpenAI-compatible servers usually want the URL ending in /v1")
    if failure.status in (401, 403):
        return ConfigError(f"the server at {url} refused the API key (HTTP {failure.status}) — set "
                           "SMALLCODER_API_KEY (or the variable named by api_key_env in the config)")
    status = f"HTTP {failure.status}" if failure.status else failure.kind
    return BackendError(f"the server at {url} failed ({status}): {first}")


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
