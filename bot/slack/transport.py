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
left to slack_sdk). Connections are kept alive, one idle connection per thread and host
(:func:`send`): a new TCP connection (on real Slack, a TLS handshake too) per answer was
nearly half of an answer worker's posting time. On a reused connection "nothing was
sent" means this request's bytes got no acknowledgement, counted from what the
connection had acknowledged before it; a kept-alive connection the server closed while
idle is tried once more on a fresh one, and only then.
"""

from __future__ import annotations

import http.client
import io
import os
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any
from urllib.request import Request

from urllib.error import HTTPError, URLError
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


# --------------------------------------------------------------------------- kept-alive connections


class _Tracking:
    """Mixin for http.client connections: remember what the peer had acknowledged when the socket
    was closed (http.client closes it itself on a reset, before the error reaches us)."""

    acked_at_close: int | None = None

    def close(self) -> None:
        sock = getattr(self, "sock", None)
        if sock is not None:
            self.acked_at_close = _bytes_acked(sock)
        super().close()  # type: ignore[misc]


class TrackingHTTPConnection(_Tracking, http.client.HTTPConnection):
    pass


class TrackingHTTPSConnection(_Tracking, http.client.HTTPSConnection):
    pass


KEEP_IDLE_SECONDS = 20.0  # an idle connection older than this is closed rather than reused (servers drop them)


@dataclass
class _Kept:
    connection: TrackingHTTPConnection
    idle_since: float


class _Pool(threading.local):
    """This thread's idle connections, one per (scheme, host:port, TLS context).

    Per thread, so taking and giving back needs no lock, and a connection is never shared by two
    requests at once; per process (the pid is checked), so a forked child never writes on its
    parent's sockets."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.idle: dict[tuple[str, str, int], _Kept] = {}

    def take(self, key: tuple[str, str, int]) -> TrackingHTTPConnection | None:
        if self.pid != os.getpid():
            self.pid, self.idle = os.getpid(), {}
        kept = self.idle.pop(key, None)
        if kept is None:
            return None
        if time.monotonic() - kept.idle_since > KEEP_IDLE_SECONDS or not _still_open(kept.connection):
            kept.connection.close()
            return None
        return kept.connection

    def give_back(self, key: tuple[str, str, int], connection: TrackingHTTPConnection) -> None:
        old = self.idle.pop(key, None)
        if old is not None:
            old.connection.close()
        self.idle[key] = _Kept(connection, time.monotonic())


_POOL = _Pool()


def _still_open(connection: TrackingHTTPConnection) -> bool:
    """An idle kept-alive socket with anything to read (the server's FIN or RST, a stray byte) is
    not reused: most idle closes are caught here, before a byte of the next request is written."""
    sock = connection.sock
    if sock is None:
        return False
    pending = getattr(sock, "pending", None)
    if pending is not None and pending():
        return False
    poller = select.poll()  # not select(): a worker may well hold file descriptors past 1024
    try:
        poller.register(sock, select.POLLIN)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False


class _StaleConnection(Exception):
    """A kept-alive connection failed before the server acknowledged a byte of this request."""


@dataclass
class Reply:
    """A whole HTTP answer, read to its end so its connection can carry the next request."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes


def _headers(req: Request) -> dict[str, str]:
    """The request's headers as urllib would send them, minus its ``Connection: close``."""
    headers = dict(req.unredirected_hdrs)
    headers.update({k: v for k, v in req.headers.items() if k not in headers})
    if req.data is not None and "Content-type" not in headers:
        headers["Content-type"] = "application/x-www-form-urlencoded"
    return {name.title(): value for name, value in headers.items()}


def _exchange(connection: TrackingHTTPConnection, req: Request, timeout: float | None, *, reused: bool) -> Reply:
    """One request and its whole answer on ``connection``, classifying a failure the way posts need.

    What THIS request got acknowledged is TCP_INFO's bytes-acked when the connection failed minus
    before the request was written (on a fresh connection the baseline is the SYN's 1).

    * A fresh connection reset with nothing acknowledged: :class:`RequestNotSent` (as always).
    * A kept-alive connection the server had closed (its FIN: end of file before any answer) with
      nothing acknowledged: :class:`_StaleConnection`, sent again once on a fresh connection. A
      FIN acknowledges everything the server had received, so it left before our request came.
    * A kept-alive connection *reset* with nothing acknowledged stays maybe delivered: on a
      connection that has carried answers the server's kernel delays its ACKs to ride on the next
      answer, so a server that read the request and reset within that delay acknowledged nothing.
    * Anything acknowledged: the error as it is, maybe delivered.
    """
    try:
        if connection.sock is None:
            connection.connect()
        connection.sock.settimeout(timeout)
        baseline = _bytes_acked(connection.sock)
        connection.acked_at_close = None
        connection.request(req.get_method(), req.selector, req.data, _headers(req))
    except OSError as error:  # connecting, or writing an incomplete request: the server cannot act on it
        connection.close()
        if reused:
            raise _StaleConnection() from error
        raise URLError(error) from error
    try:
        response = connection.getresponse()
        body = response.read()
    except ConnectionError as error:
        connection.close()
        acked = connection.acked_at_close
        if acked is not None and baseline is not None and acked <= baseline:
            if not reused:
                raise RequestNotSent(f"connection reset before the request reached the server ({error})") from error
            if isinstance(error, http.client.RemoteDisconnected):
                raise _StaleConnection() from error
        raise
    except BaseException:
        connection.close()
        raise
    return Reply(response.status, response.headers, body)


def _new_connection(req: Request, timeout: float | None, ssl_context: Any) -> TrackingHTTPConnection:
    if req.type == "https":
        return TrackingHTTPSConnection(req.host, timeout=timeout, context=ssl_context)
    return TrackingHTTPConnection(req.host, timeout=timeout)


def send(req: Request, *, timeout: float | None, ssl_context: Any = None) -> Reply:
    """Send ``req`` on this thread's kept-alive connection to its host (a new one if there is none).

    A kept-alive connection the server closed while idle, found only once the request was written
    (the classic keep-alive race), is tried once more on a fresh connection, and only when the
    server acknowledged nothing of the request. A non-2xx answer raises ``HTTPError`` as urllib's
    opener does, which slack_sdk's clients expect; redirects are not followed (Slack sends none)."""
    key = (req.type, req.host, id(ssl_context))
    connection = _POOL.take(key)
    reply: Reply | None = None
    if connection is not None:
        try:
            reply = _exchange(connection, req, timeout, reused=True)
        except _StaleConnection:
            reply = None
    if reply is None:
        connection = _new_connection(req, timeout, ssl_context)
        reply = _exchange(connection, req, timeout, reused=False)
    if connection.sock is not None:  # the server did not ask to close it
        _POOL.give_back(key, connection)
    if not 200 <= reply.status < 300:
        raise HTTPError(req.full_url, reply.status, http.client.responses.get(reply.status, ""), reply.headers, io.BytesIO(reply.body))
    return reply


class TrackedWebClient(WebClient):
    """slack_sdk's WebClient over the tracking, kept-alive transport."""

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if self.proxy is not None or not url.lower().startswith("http"):
            return super()._perform_urllib_http_request_internal(url, req)
        reply = send(req, timeout=self.timeout, ssl_context=self.ssl)
        if reply.headers.get_content_type() == "application/gzip":
            return {"status": reply.status, "headers": reply.headers, "body": reply.body}
        charset = reply.headers.get_content_charset() or "utf-8"
        return {"status": reply.status, "headers": reply.headers, "body": reply.body.decode(charset)}


class TrackedWebhookClient(WebhookClient):
    """slack_sdk's WebhookClient (``response_url`` posts) over the tracking, kept-alive transport."""

    def _perform_http_request_internal(self, url: str, req: Request) -> WebhookResponse:
        if self.proxy is not None or not url.lower().startswith("http"):
            return super()._perform_http_request_internal(url, req)
        reply = send(req, timeout=self.timeout, ssl_context=self.ssl)
        charset = reply.headers.get_content_charset() or "utf-8"
        return WebhookResponse(url=url, status_code=reply.status, body=reply.body.decode(charset), headers=reply.headers)


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

