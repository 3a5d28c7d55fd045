"""Kept-alive connections to Slack (bot/slack/transport.py), against real HTTP servers on 127.0.0.1.

One connection per thread and host carries every post; the posts' "never sent vs maybe
delivered" rules hold on a reused connection: a connection the server closed while idle is
replaced, and the request sent once more only when the server acknowledged none of it; a
server that read the request and died before answering leaves it maybe delivered, never
posted twice.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest

from bot.slack import transport
from bot.slack.delivery import FAILED, SENT, UNKNOWN, outcome_of
from bot.slack.transport import RequestNotSent, TrackedWebClient, TrackedWebhookClient, retry_handlers, IDEMPOTENT_METHODS
from fake_slack import BOT_TOKEN, FakeSlack


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


def post(url: str, text: str, *, timeout: float = 5) -> str:
    """One response_url post, as the bot makes it; SENT, FAILED or UNKNOWN."""
    client = TrackedWebhookClient(url=url, timeout=timeout, retry_handlers=retry_handlers())
    try:
        response = client.send_dict({"text": text})
    except Exception as error:  # noqa: BLE001 - classified as the bot does
        return outcome_of(error)
    return SENT if response.status_code == 200 else FAILED


def in_new_thread(work) -> object:
    """Run ``work`` in a thread of its own (a fresh per-thread pool) and return its result."""
    out: list[object] = []
    thread = threading.Thread(target=lambda: out.append(work()))
    thread.start()
    thread.join(timeout=30)
    return out[0]


def test_posts_from_one_thread_share_one_connection(fake):
    def five_posts_and_a_web_api_call() -> list[str]:
        outcomes = [post(fake.response_url(f"r{n}"), f"answer {n}") for n in range(5)]
        client = TrackedWebClient(token=BOT_TOKEN, base_url=fake.api_url, timeout=5,
                                  retry_handlers=retry_handlers(IDEMPOTENT_METHODS))
        client.chat_postMessage(channel="C1", text="hello")
        return outcomes

    assert in_new_thread(five_posts_and_a_web_api_call) == [SENT] * 5
    assert [c.params["text"] for c in fake.calls("response_url")] == [f"answer {n}" for n in range(5)]
    assert len(fake.calls("chat.postMessage")) == 1
    assert fake.connections == 1


def test_threads_do_not_share_a_connection(fake):
    for n in range(3):
        assert in_new_thread(lambda n=n: post(fake.response_url(), f"t{n}")) == SENT
    assert fake.connections == 3
    assert len(fake.calls("response_url")) == 3


def test_an_error_answer_keeps_the_connection_and_is_retried_on_it(fake):
    def run() -> str:
        fake.fail_next(1, status=500)
        return post(fake.response_url(), "after a 500")

    assert in_new_thread(run) == SENT
    assert [c.params["text"] for c in fake.calls("response_url")] == ["after a 500"]
    assert fake.connections == 1


def test_a_connection_the_server_closed_while_idle_is_replaced_before_sending():
    with FakeSlack(idle_timeout=0.2) as fake:
        def run() -> list[str]:
            first = post(fake.response_url(), "one")
            time.sleep(0.6)  # the server closes the idle connection
            return [first, post(fake.response_url(), "two")]

        assert in_new_thread(run) == [SENT, SENT]
        assert [c.params["text"] for c in fake.calls("response_url")] == ["one", "two"]
        assert fake.connections == 2


def test_the_keep_alive_race_is_sent_once_more_on_a_fresh_connection(monkeypatch):
    """The server's close arrives just after the check that the idle connection is open (here:
    the check is blinded): the request goes out on a dead connection, nothing of it is
    acknowledged, so it is sent again, once, on a new connection, and posted exactly once."""
    monkeypatch.setattr(transport, "_still_open", lambda connection: True)
    with FakeSlack(idle_timeout=0.2) as fake:
        def run() -> list[str]:
            first = post(fake.response_url(), "one")
            time.sleep(0.6)
            return [first, post(fake.response_url(), "two")]

        assert in_new_thread(run) == [SENT, SENT]
        assert [c.params["text"] for c in fake.calls("response_url")] == ["one", "two"]
        assert fake.connections == 2


def test_a_server_that_reads_the_request_then_dies_leaves_it_maybe_delivered(fake):
    """On a kept-alive connection, a request the server took (and posted) before hanging up
    without answering is not sent again: maybe delivered, one post."""
    def run() -> list[str]:
        first = post(fake.response_url(), "one")
        fake.drop_next(1, method="response_url")
        return [first, post(fake.response_url(), "two"), post(fake.response_url(), "three")]

    assert in_new_thread(run) == [SENT, UNKNOWN, SENT]
    assert [c.params["text"] for c in fake.calls("response_url")] == ["one", "two", "three"]
    assert fake.connections == 2  # the dropped connection is not reused


def _read_request(conn: socket.socket) -> bytes:
    """One whole HTTP request (headers and its Content-Length body) from ``conn``."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += conn.recv(65536)
    return head + b"\r\n\r\n" + body


class _AnswersThenResets:
    """A raw HTTP server: answers the first request on a connection and keeps it open, then
    reads the whole next request on it and resets the connection (RST, no answer), within the
    kernel's delayed-ACK time. A resend would come on a new connection: it is recorded too."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        self.received.append(_read_request(conn))
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok")
        self.received.append(_read_request(conn))
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()  # a reset, not a FIN
        self.listener.settimeout(3)
        try:
            again, _ = self.listener.accept()
        except OSError:
            return
        again.settimeout(3)
        with contextlib.suppress(OSError):
            self.received.append(again.recv(65536))
        again.close()

    def close(self) -> None:
        self.thread.join(timeout=10)
        self.listener.close()


def test_a_kept_alive_connection_reset_after_the_server_read_the_request_is_not_sent_again():
    server = _AnswersThenResets()
    try:
        url = f"http://127.0.0.1:{server.port}/response/x"
        outcomes = in_new_thread(lambda: [post(url, "one"), post(url, "two", timeout=2)])
    finally:
        server.close()
    assert outcomes == [SENT, UNKNOWN]
    assert [b'"text": "one"' in server.received[0], b'"text": "two"' in server.received[1]] == [True, True]
    assert len(server.received) == 2  # no resend


def test_a_fresh_connection_reset_before_a_byte_was_acknowledged_is_not_sent():
    """The classification a fresh connection always had: the SYN only acknowledged."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=1)
    port = listener.getsockname()[1]
    conn = transport.TrackingHTTPConnection(f"127.0.0.1:{port}", timeout=2)
    conn.connect()
    accepted, _ = listener.accept()
    accepted.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    accepted.close()  # reset before the request is written
    time.sleep(0.1)
    from urllib.request import Request

    request = Request(f"http://127.0.0.1:{port}/response/x", data=b"{}", method="POST")
    with pytest.raises((RequestNotSent, transport.URLError)) as raised:
        transport._exchange(conn, request, 2, reused=False)
    assert outcome_of(raised.value) == FAILED
    listener.close()
