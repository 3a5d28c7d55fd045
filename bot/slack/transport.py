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
handler in :mod:`bot.slack.app` retries; every other failure after sending stays
"maybe delivered" and is not repeated. Where ``TCP_INFO`` is not available, nothing
is classified as not sent (at most once wins over at least once).

:class:`TrackedWebClient` and :class:`TrackedWebhookClient` are slack_sdk's clients
with this transport (they replace slack_sdk's one-line ``urlopen`` call; proxies are
left to slack_sdk).
"""

from __future__ import annotations

import http.client
import socket
import struct
import urllib.request
from typing import Any
from urllib.request import Request

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient
from slack_sdk.webhook.webhook_response import WebhookResponse

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
