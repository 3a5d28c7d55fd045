"""How the front is tuned for acks under load (README, Decisions: the front's HTTP server and heap):
waitress accepts every pending connection in one turn, the front's heap is frozen after start-up,
and its garbage collections are timed for ``GET /metrics``."""

from __future__ import annotations

import gc
import socket
import urllib.request

import pytest

from bot import metrics
from bot.slack.server import ACCEPT_BURST, FRONT_GC_GEN0, HttpServer, make_operations_app, settle_front_heap


def _ok(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def _reply(client: socket.socket) -> bytes:
    """One whole response (waitress sends the head and the body in two writes)."""
    data = b""
    while not data.endswith(b"\r\n\r\nok"):
        chunk = client.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _channels(server: HttpServer) -> int:
    """Connections waitress holds open (its map also has the listening socket and its trigger)."""
    from waitress.channel import HTTPChannel

    return sum(1 for dispatcher in server._server._map.values() if isinstance(dispatcher, HTTPChannel))  # noqa: SLF001


def test_connections_that_arrive_together_are_accepted_in_one_turn():
    server = HttpServer(_ok, "127.0.0.1", 0, threads=2)  # not serving yet: its loop runs no turn by itself
    clients = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(20)]
    try:
        assert _channels(server) == 0
        server._server.handle_accept()  # noqa: SLF001 - one turn's worth, as the loop calls it when the socket is readable
        assert _channels(server) == 20  # waitress alone takes one per turn
        server._server.handle_accept()  # noqa: SLF001 - nothing pending: nothing taken, nothing raised
        assert _channels(server) == 20
    finally:
        for client in clients:
            client.close()
        server.stop()


def test_a_burst_stops_at_the_connection_limit_and_the_rest_wait_in_the_backlog():
    from waitress.server import TcpWSGIServer

    server = HttpServer(_ok, "127.0.0.1", 0, threads=2)
    assert isinstance(server._server, TcpWSGIServer)  # noqa: SLF001 - still waitress's server, only accepting more
    limit = server._server.adj.connection_limit  # noqa: SLF001
    assert ACCEPT_BURST >= 50  # a closed loop of 50 clients fits in one turn
    server._server.adj.connection_limit = len(server._server._map) + 5  # noqa: SLF001 - room for five more
    clients = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(8)]
    try:
        server._server.handle_accept()  # noqa: SLF001
        assert _channels(server) == 5
    finally:
        server._server.adj.connection_limit = limit  # noqa: SLF001
        for client in clients:
            client.close()
        server.stop()


def test_a_server_started_in_a_thread_answers_many_new_connections_at_once():
    server = HttpServer(_ok, "127.0.0.1", 0, threads=4).start_in_thread()
    try:
        clients = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(30)]
        for client in clients:
            client.sendall(b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n")
        replies = [_reply(client) for client in clients]
        assert all(reply.startswith(b"HTTP/1.1 200 OK") and reply.endswith(b"ok") for reply in replies)
        for client in clients:
            client.close()
    finally:
        server.stop()


@pytest.fixture
def restored_gc():
    threshold = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_the_fronts_start_up_heap_is_frozen_out_of_full_collections(restored_gc):
    survivor = [object() for _ in range(100)]  # made before start-up ends: lives as long as the front
    assert any(o is survivor for o in gc.get_objects())  # the collector walks it in every full collection
    settle_front_heap()
    assert not any(o is survivor for o in gc.get_objects())  # no longer
    assert len(gc.get_objects()) < gc.get_freeze_count() // 10  # nor most of what start-up made
    assert gc.get_threshold()[0] == FRONT_GC_GEN0 > 700
    assert len(survivor) == 100  # frozen objects are not freed, and nothing else about them changes


def test_garbage_collections_are_timed_by_generation_on_the_metrics_page(restored_gc):
    pauses = metrics.watch_gc()
    assert metrics.watch_gc() is pauses  # once per process
    before = sum(pauses.buckets[2])
    gc.collect(2)
    gc.collect(0)
    assert sum(pauses.buckets[2]) == before + 1 and pauses.sums[2] > 0
    server = HttpServer(make_operations_app(lambda: ("200 OK", {})), "127.0.0.1", 0, threads=2).start_in_thread()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=10) as response:
            text = response.read().decode()
    finally:
        server.stop()
    counts = {line.split()[0]: float(line.split()[1]) for line in text.splitlines()
              if line.startswith("rolecall_gc_pause_seconds_count")}
    assert counts['rolecall_gc_pause_seconds_count{generation="2"}'] >= before + 1
    assert counts['rolecall_gc_pause_seconds_count{generation="0"}'] >= 1
    assert 'rolecall_gc_pause_seconds_bucket{generation="2",le="+Inf"}' in text


def test_requests_that_find_every_http_thread_busy_are_served_without_a_log_line_each(caplog):
    """waitress warns "Task queue depth is N" for each such request, on its I/O thread: under a burst,
    every request, and a flood of lines; the front's server keeps quiet and serves them all."""
    import threading
    import time

    def slow(environ, start_response):
        time.sleep(0.05)
        return _ok(environ, start_response)

    server = HttpServer(slow, "127.0.0.1", 0, threads=1)
    server.start_in_thread()
    statuses: list[int] = []
    try:
        with caplog.at_level("DEBUG"):
            clients = [threading.Thread(target=lambda: statuses.append(urllib.request.urlopen(server.url.replace("/slack/events", "/x"), timeout=10).status))
                       for _ in range(6)]
            for client in clients:
                client.start()
            for client in clients:
                client.join()
    finally:
        server.stop()
    assert statuses == [200] * 6
    assert not [r for r in caplog.records if "queue depth" in r.getMessage()]


def test_a_server_whose_wake_up_pipe_is_gone_still_stops(caplog):
    """waitress closes its trigger pipe itself when poll reports it gone; stop() must then close the
    server from the caller's thread rather than fail writing to the closed pipe (seen once in a whole
    suite run as EBADF out of stop())."""
    server = HttpServer(_ok, "127.0.0.1", 0, threads=1)
    server.start_in_thread()
    assert urllib.request.urlopen(server.url.replace("/slack/events", "/x"), timeout=10).status == 200
    server._server.trigger.close()  # as the loop does on POLLNVAL
    with caplog.at_level("WARNING", logger="rolecall.slack"):
        server.stop()
    assert not server._thread.is_alive()
    assert "wake-up pipe was already closed" in caplog.text
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
