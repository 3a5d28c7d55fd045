"""HTTP transport for Slack calls that can tell "never sent" from "maybe delivered".

A post to Slack (``chat.postMessage``, a ``response_url``) must be sent at most once, so a
failed call may only be repeated when Slack cannot have received it. urllib already
raises ``URLError`` when connecting or sending fails. The hard case is a connection that
was accepted by the kernel's backlog but reset before the server read anything (an
overloaded server, a restarting load balancer): urllib raises a bare
``ConnectionResetError`` while waiting for the reply, which looks exactly like a server
that posted the message and then dropped the connection.

The difference is visible in TCP itself: when the peer never acknowledged a single byte
of the request (Linux ``TCP_INFO.tcpi_bytes_acked`` is at most 1, the SYN), nobody can
have read it. Such a failure is raised as :class:`RequestNotSent`, which the retry
handler below (:class:`UnsentRequestRetryHandler`) retries; every other failure after sending stays
"maybe delivered" and is not repeated. Where ``TCP_INFO`` is not available, nothing
is classified as not sent (at most once wins over at least once).

:class:`TrackedWebClient` and :class:`TrackedWebhookClient` are slack_sdk's clients
with this transport (they replace slack_sdk's one-line ``urlopen`` call; proxies are
left to slack_sdk).
"""

from __future__ import annotations

import http.client
from http.client import HTTPException
import socket
import struct
import urllib.request
from typing import Any
from urllib.request import Request

from urllib.error import URLError
from urllib.parse import urlparse

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient
from slack_sdk.webhook.webhook_response import WebhookResponse

from bot.slack.config import SlackConfig

MAX_RETRIES = 2
# Methods whose repetition changes nothing (same message edited, same view published, same
# unfurl, same status): only these are sent again after a timeout or a lost reply.
IDEMPOTENT_METHODS = frozenset({"auth.test", "apps.connections.open", "chat.update", "views.publish", "views.update", "chat.unfurl",
                                "assistant.threads.setStatus", "assistant.threads.setSuggestedPrompts"})
_BYTES_ACKED_OFFSET = 120  # struct tcp_info: tcpi_bytes_acked (u64), Linux 4.2+


class RequestNotSent(ConnectionResetError):
    """The connection failed before the peer received any byte of the request: safe to send again."""


def _bytes_acked(sock: socket.socket) -> int | None:
    tcp_info = getattr(socket, "TCP_INFO", None)
    if tcp_info is None:
        return None
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, tcp_info, 256)
    except OSError:
        return None
    if len(info) < _BYTES_ACKED_OFFSET + 8:
        return None
    return int(struct.unpack_from("Q", info, _BYTES_ACKED_OFFSET)[0])


class _Tracking:
    """Mixin for http.client connections: remember how much of the request the peer acknowledged."""

    _acked: int | None = None

    def close(self) -> None:
        sock = getattr(self, "sock", None)
        if sock is not None:
            self._acked = _bytes_acked(sock)
        super().close()  # type: ignore[misc]

    def getresponse(self) -> http.client.HTTPResponse:
        self._acked = None
        try:
            return super().getresponse()  # type: ignore[misc]
        except ConnectionError as error:
            acked = self._acked if self._acked is not None else _bytes_acked(self.sock) if getattr(self, "sock", None) else None
            if acked is not None and acked <= 1:
                raise RequestNotSent(f"connection reset before the request reached the server ({error})") from error
            raise


class TrackingHTTPConnection(_Tracking, http.client.HTTPConnection):
    pass


class TrackingHTTPSConnection(_Tracking, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: Request) -> Any:
        return self.do_open(TrackingHTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: Request) -> Any:
        return self.do_open(TrackingHTTPSConnection, req, context=self._context)  # type: ignore[attr-defined]


def opener(ssl_context: Any = None) -> urllib.request.OpenerDirector:
    """An urllib opener whose connections raise :class:`RequestNotSent` when nothing reached the peer."""
    return urllib.request.build_opener(_HTTPHandler(), _HTTPSHandler(context=ssl_context))


class TrackedWebClient(WebClient):
    """slack_sdk's WebClient over the tracking transport."""

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if self.proxy is not None or not url.lower().startswith("http"):
            return super()._perform_urllib_http_request_internal(url, req)
        resp = opener(self.ssl).open(req, timeout=self.timeout)
        if resp.headers.get_content_type() == "application/gzip":
            return {"status": resp.code, "headers": resp.headers, "body": resp.read()}
        charset = resp.headers.get_content_charset() or "utf-8"
        return {"status": resp.code, "headers": resp.headers, "body": resp.read().decode(charset)}


class TrackedWebhookClient(WebhookClient):
    """slack_sdk's WebhookClient (``response_url`` posts) over the tracking transport."""

    def _perform_http_request_internal(self, url: str, req: Request) -> WebhookResponse:
        if self.proxy is not None or not url.lower().startswith("http"):
            return super()._perform_http_request_internal(url, req)
        resp = opener(self.ssl).open(req, timeout=self.timeout)
        charset = resp.headers.get_content_charset() or "utf-8"
        return WebhookResponse(url=url, status_code=resp.status, body=resp.read().decode(charset), headers=resp.headers)


# --------------------------------------------------------------------------- retries


class AnyServerErrorRetryHandler(ServerErrorRetryHandler):
    """Retry every 5xx, not only the 500 and 503 that slack_sdk's handler covers (502/504 happen too)."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and 500 <= response.status_code < 600


class UnsentRequestRetryHandler(RetryHandler):
    """Retry a connection problem only when Slack cannot have acted on the request.

    urllib raises ``URLError`` while connecting or sending, before Slack has the
    whole request, and :class:`bot.slack.transport.RequestNotSent` is a connection
    reset before Slack acknowledged a byte of it: both are always safe to send again
    (within ``max_retry_count``). A timeout waiting for the reply,
    or a connection dropped before it, leaves the outcome unknown: Slack may
    have posted the message. Sending it again could post it twice, so that is
    done only for methods in ``idempotent`` (editing a message, publishing a
    view). slack_sdk's own handler retries dropped connections for every
    method, which is why it is not used.
    """

    def __init__(self, max_retry_count: int = MAX_RETRIES, *, idempotent: frozenset[str] = frozenset()) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.idempotent = idempotent

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if error is None or response is not None:
            return False  # an HTTP answer (429, 5xx) is for the other handlers
        if isinstance(error, (URLError, RequestNotSent)):
            return True  # never reached Slack (see bot.slack.transport): sending again cannot post twice
        if isinstance(error, (TimeoutError, ConnectionError, HTTPException)):
            return api_method(request.url) in self.idempotent
        return False


def api_method(url: str) -> str:
    """ "https://slack.com/api/chat.postMessage" -> "chat.postMessage" (a response_url gives its last segment)."""
    return urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]


def retry_handlers(idempotent: frozenset[str] = frozenset()) -> list[RetryHandler]:
    """Unsent requests, 429 (after Retry-After) and 5xx are retried a couple of times.

    ``idempotent``: the methods that may also be repeated after a timeout or a
    lost reply. Posts (chat.postMessage, chat.postEphemeral, response_url) are
    not among them: they are sent at most once.
    """
    return [
        UnsentRequestRetryHandler(MAX_RETRIES, idempotent=idempotent),
        RateLimitErrorRetryHandler(max_retry_count=MAX_RETRIES),
        AnyServerErrorRetryHandler(max_retry_count=MAX_RETRIES),
    ]


def make_web_client(config: SlackConfig) -> WebClient:
    """The bot's Web API client; ``SLACK_API_URL`` (config.api_url) replaces slack.com/api/."""
    options: dict[str, Any] = {
        "token": config.bot_token,
        "timeout": config.http_timeout,
        "retry_handlers": retry_handlers(IDEMPOTENT_METHODS),
    }
    if config.api_url:
        options["base_url"] = config.api_url
    return TrackedWebClient(**options)

