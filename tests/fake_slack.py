"""A fake Slack for offline end-to-end tests, in both directions.

* :class:`FakeSlack` is the Web API (and ``response_url``) the bot talks to: an
  HTTP server on 127.0.0.1 that records every call, checks messages against
  Slack's Block Kit limits the way Slack would (``invalid_blocks``), and can be
  told to answer the next calls with 429 + Retry-After or 500, to accept a call
  and then answer too late (``stall_next``: longer than the client waits), or
  to accept it and hang up without answering (``drop_next``). It also speaks
  just enough WebSocket to deliver Socket Mode envelopes.
* :class:`SlackSender` is Slack calling the bot: requests signed with the
  signing secret and shaped like Slack's (slash command form bodies,
  ``event_callback`` JSON, ``block_actions`` payloads, ``url_verification``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import re
import signal
import socket
import struct
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

BOT_TOKEN = "xoxb-test-0000-not-a-real-token"
APP_TOKEN = "xapp-1-test-not-a-real-token"
SIGNING_SECRET = "test-signing-secret-not-real"
TEAM_ID = "T0TEST"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"


@dataclass
class Call:
    """One request the bot made: a Web API method ("chat.postMessage") or "response_url"."""

    method: str
    params: dict[str, Any]
    path: str
    status: int = 200
    authorization: str = ""
    # Why Slack would have refused it (bad token, Block Kit limits); None when accepted.
    rejected: str | None = None
    # When the fake received it (time.monotonic()), for latency measurements.
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        """The message's fallback text."""
        return str(self.params.get("text") or "")

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.params.get("blocks") or (self.params.get("view") or {}).get("blocks") or []
        unfurls = self.params.get("unfurls")
        if not blocks and isinstance(unfurls, dict):  # chat.unfurl: every unfurl's blocks, in order
            blocks = [b for unfurl in unfurls.values() for b in (unfurl or {}).get("blocks") or []]
        return blocks if isinstance(blocks, list) else []

    def mrkdwn(self) -> str:
        """Every mrkdwn/plain string in the message or view, joined: what a reader could see."""
        return "\n".join([self.text, *_strings(self.blocks)])

    def buttons(self) -> list[dict[str, Any]]:
        """Every button element, in order."""
        return [
            element
            for block in self.blocks
            if block.get("type") == "actions"
            for element in block.get("elements", [])
            if element.get("type") == "button"
        ]

    def button(self, label_start: str) -> dict[str, Any]:
        """The first button whose label starts with ``label_start`` (emoji prefixes ignored)."""
        for element in self.buttons():
            label = element["text"]["text"]
            if label.startswith(label_start) or label.split(" ", 1)[-1].startswith(label_start):
                return element
        raise AssertionError(f"no button {label_start!r} in {[b['text']['text'] for b in self.buttons()]}")


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        out = [value["text"]] if isinstance(value.get("text"), str) else []
        for key, item in value.items():
            if key != "text" or not isinstance(item, str):
                out.extend(_strings(item))
        return out
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def block_kit_problems(params: dict[str, Any]) -> list[str]:
    """What Slack would reject in a message (a subset of Block Kit's documented limits)."""
    problems: list[str] = []
    blocks = params.get("blocks")
    if blocks is None:
        blocks = (params.get("view") or {}).get("blocks", [])
        limit = 100
    else:
        limit = 50
        if not params.get("text") and not params.get("delete_original"):
            problems.append("no text fallback")
    if len(blocks) > limit:
        problems.append(f"{len(blocks)} blocks > {limit}")
    for block in blocks:
        text = block.get("text") or {}
        if block.get("type") == "section" and len(text.get("text", "")) > 3000:
            problems.append("section text > 3000")
        if block.get("type") == "section" and "text" in block and not text.get("text", "").strip():
            problems.append("empty section")
        if block.get("type") == "actions":
            elements = block.get("elements", [])
            ids = [e.get("action_id") for e in elements]
            if len(elements) > 25:
                problems.append("actions > 25 elements")
            if len(set(ids)) != len(ids):
                problems.append("duplicate action_id in a block")
            for element in elements:
                if len(element.get("value", "")) > 2000:
                    problems.append("button value > 2000")
                if len(element.get("text", {}).get("text", "")) > 75:
                    problems.append("button label > 75")
        if block.get("type") == "context" and len(block.get("elements", [])) > 10:
            problems.append("context > 10 elements")
        if block.get("type") == "section":
            for item in block.get("fields") or []:
                if len(item.get("text", "")) > 2000:
                    problems.append("section field > 2000")
            if len(block.get("fields") or []) > 10:
                problems.append("section > 10 fields")
    view = params.get("view") or {}
    if view.get("type") == "modal":
        if not 0 < len((view.get("title") or {}).get("text", "")) <= 24:
            problems.append("modal title empty or > 24")
        if any(b.get("type") == "input" for b in view.get("blocks", [])) and not view.get("submit"):
            problems.append("modal with an input block but no submit")
    return problems


def unfurl_problems(params: dict[str, Any]) -> list[str]:
    """What Slack would reject in chat.unfurl: a target (channel+ts or unfurl_id+source) and valid blocks."""
    problems: list[str] = []
    if not ((params.get("channel") and params.get("ts")) or (params.get("unfurl_id") and params.get("source"))):
        problems.append("channel and ts, or unfurl_id and source, are required")
    unfurls = params.get("unfurls")
    if not isinstance(unfurls, dict) or not unfurls:
        return problems + ["no unfurls"]
    for url, unfurl in unfurls.items():
        blocks = (unfurl or {}).get("blocks")
        if not isinstance(blocks, list) or not blocks:
            problems.append(f"unfurl of {url} has no blocks")
            continue
        problems.extend(p for p in block_kit_problems({"blocks": blocks, "text": "-"}))
    return problems


@dataclass
class _Failure:
    status: int
    retry_after: int | None
    method: str | None
    # "status": answer with ``status``; "stall": accept, then answer after ``seconds``;
    # "drop": accept, then close the connection without an answer.
    kind: str = "status"
    seconds: float = 0.0


# What ``FakeSlack.attempts`` records for a call the bot got no HTTP answer to in time.
NO_ANSWER = 0


class _Server(ThreadingHTTPServer):
    """Slack's edge never refuses a connection under load; the standard library's default listen
    backlog of 5 does (connections reset or left waiting for a second under a burst), which made
    the stress run lose replies the bot had correctly sent."""

    request_queue_size = 1024
    accepted = 0  # TCP connections accepted so far: kept-alive clients open few

    def get_request(self) -> tuple[socket.socket, Any]:
        request = super().get_request()
        self.accepted += 1  # only the serving thread accepts
        return request


@dataclass
class FakeSlack:
    """The fake Web API server. Use as a context manager or call start()/stop()."""

    bot_token: str = BOT_TOKEN
    calls_: list[Call] = field(default_factory=list)
    attempts: list[tuple[str, int]] = field(default_factory=list)
    # Seconds a kept-alive connection may sit idle before the fake closes it (as Slack's edge
    # does); None: kept until the client closes it.
    idle_timeout: float | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._resets = 0  # reset() calls so far (wait_for starts over after one)
        self._failures: list[_Failure] = []
        self._ts = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = self.idle_timeout

            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                fault = fake._take_fault(self.path)
                status, headers, body = fake._handle(self.path, self.headers, raw, faulted=fault is not None)
                if fault is not None and fault.kind == "drop":
                    self.close_connection = True  # accepted, but the answer never comes
                    return
                if fault is not None and fault.kind == "stall":
                    fake._stopping.wait(fault.seconds)  # the client has given up by now
                data = body.encode()
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    self.close_connection = True  # the client hung up (after a stall)

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                if self.path.startswith("/socket") and self.headers.get("Upgrade", "").lower() == "websocket":
                    fake._serve_socket(self)
                else:
                    self.send_error(404)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._sockets: list[_WebSocket] = []
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL should be set to."""
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def connections(self) -> int:
        """TCP connections the fake has accepted."""
        return self._server.accepted

    def response_url(self, name: str = "r") -> str:
        """A ``response_url`` as Slack would put in a command or action payload."""
        return f"http://127.0.0.1:{self.port}/response/{name}"

    def start(self) -> FakeSlack:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases stalled answers
        for websocket in list(self._sockets):
            websocket.close()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ test controls

    def reset(self) -> None:
        """Forget recorded calls and pending failures."""
        with self._lock:
            self.calls_.clear()
            self._resets += 1
            self.attempts.clear()
            self._failures.clear()

    def fail_next(self, count: int, *, status: int = 500, retry_after: int | None = None, method: str | None = None) -> None:
        """Answer the next ``count`` calls (of ``method``, or any) with ``status``."""
        with self._lock:
            self._failures.extend(_Failure(status, retry_after, method) for _ in range(count))

    def stall_next(self, count: int, *, seconds: float, method: str | None = None) -> None:
        """Accept the next ``count`` calls (the message is posted, the call recorded) but answer
        only after ``seconds``: longer than the client's timeout, it is a timeout that succeeded."""
        with self._lock:
            self._failures.extend(_Failure(200, None, method, "stall", seconds) for _ in range(count))

    def drop_next(self, count: int, *, method: str | None = None) -> None:
        """Accept the next ``count`` calls, then close the connection without answering."""
        with self._lock:
            self._failures.extend(_Failure(200, None, method, "drop") for _ in range(count))

    def calls(self, method: str | None = None) -> list[Call]:
        """Calls (past any injected failure), oldest first, optionally of one method."""
        with self._lock:
            return [c for c in self.calls_ if method is None or c.method == method]

    def rejected(self) -> list[Call]:
        """Calls Slack would have refused (bad token, broken Block Kit)."""
        return [c for c in self.calls() if c.rejected]

    def wait_for(
        self,
        method: str | None = None,
        count: int = 1,
        *,
        where: Callable[[Call], bool] = lambda call: True,
        timeout: float = 10.0,
    ) -> list[Call]:
        """Block until ``count`` matching calls were recorded; they are returned. Fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        found: list[Call] = []
        seen = 0  # calls already looked at: each wake-up looks at the new ones only (a load run records thousands)
        with self._lock:
            resets = self._resets
            while True:
                if self._resets != resets:
                    found, seen, resets = [], 0, self._resets  # reset() meanwhile: look again from the start
                found.extend(c for c in self.calls_[seen:] if (method is None or c.method == method) and where(c))
                seen = len(self.calls_)
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    recorded = [(c.method, c.text[:60]) for c in self.calls_]
                    raise AssertionError(f"waited {timeout}s for {count} x {method}; recorded: {recorded}")
                self._lock.wait(remaining)

    # ------------------------------------------------------------------ Socket Mode

    def wait_for_socket(self, timeout: float = 10.0) -> None:
        """Block until the app has opened its Socket Mode WebSocket."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not self._sockets:
                remaining = deadline - time.monotonic()
                assert remaining > 0, "the app never connected in Socket Mode"
                self._lock.wait(remaining)

    def send_envelope(self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0) -> str:
        """Deliver an envelope (events_api, slash_commands, interactive) over the WebSocket; returns its id."""
        envelope_id = f"env-{next(self._ts)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        with self._lock:
            websocket = self._sockets[-1]
        websocket.send_text(json.dumps(envelope))
        return envelope_id

    def ping_sockets(self) -> None:
        """Ping every open WebSocket, as Slack does now and then (it also wakes a client blocked reading)."""
        with self._lock:
            sockets = list(self._sockets)
        for websocket in sockets:
            with contextlib.suppress(OSError):
                websocket.ping()

    def _serve_socket(self, handler: BaseHTTPRequestHandler) -> None:
        key = handler.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest()).decode()
        handler.send_response(101, "Switching Protocols")
        handler.send_header("Upgrade", "websocket")
        handler.send_header("Connection", "Upgrade")
        handler.send_header("Sec-WebSocket-Accept", accept)
        handler.end_headers()
        handler.wfile.flush()
        websocket = _WebSocket(handler.connection)
        with self._lock:
            self._sockets.append(websocket)
            self._lock.notify_all()
        websocket.send_text(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0ROLECALL"}}))
        try:
            for text in websocket.messages():
                data = json.loads(text)
                self._record(Call("socket_ack", data, "/socket"), 200, "")
        finally:
            with self._lock:
                if websocket in self._sockets:
                    self._sockets.remove(websocket)
        handler.close_connection = True

    # ------------------------------------------------------------------ request handling

    @staticmethod
    def _method(path: str) -> str | None:
        if path.startswith("/api/"):
            return path[len("/api/") :].split("?")[0]
        if path.startswith("/response/"):
            return "response_url"
        return None

    def _take_fault(self, path: str) -> _Failure | None:
        """The stall or drop this call gets, if one is pending (it is then processed normally first)."""
        method = self._method(path)
        with self._lock:
            failure = next((f for f in self._failures if f.method in (None, method)), None)
            if failure is None or failure.kind == "status":
                return None
            self._failures.remove(failure)
            self.attempts.append((method or path, NO_ANSWER))
            return failure

    def _handle(self, path: str, headers: Any, raw: str, *, faulted: bool = False) -> tuple[int, dict[str, str], str]:
        method = self._method(path)
        if method is None:
            return 404, {}, "not found"
        params = _parse_body(headers.get("Content-Type", ""), raw)
        with self._lock:
            failure = next((f for f in self._failures if f.method in (None, method) and f.kind == "status"), None)
            if failure is not None and not faulted:
                self._failures.remove(failure)
                self.attempts.append((method, failure.status))
                extra = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
                return failure.status, extra, json.dumps({"ok": False, "error": "ratelimited" if failure.status == 429 else "fatal_error"})
            if not faulted:
                self.attempts.append((method, 200))
        authorization = headers.get("Authorization", "")
        if method == "response_url":
            body = "ok"
            problems = block_kit_problems(params)
            if problems:
                return self._record(Call(method, params, path, 400, rejected=str(problems)), 400, json.dumps({"ok": False, "error": problems}))
            return self._record(Call(method, params, path), 200, body)
        expected = APP_TOKEN if method == "apps.connections.open" else self.bot_token
        if authorization != f"Bearer {expected}":
            call = Call(method, params, path, 200, authorization, rejected="invalid_auth")
            return self._record(call, 200, json.dumps({"ok": False, "error": "invalid_auth"}))
        result = self._result(method, params)
        rejected = None if result["ok"] else str(result.get("errors") or result["error"])
        return self._record(Call(method, params, path, 200, authorization, rejected), 200, json.dumps(result))

    def _record(self, call: Call, status: int, body: str) -> tuple[int, dict[str, str], str]:
        with self._lock:
            self.calls_.append(call)
            self._lock.notify_all()
        return status, {"Content-Type": "application/json" if body.startswith("{") else "text/plain"}, body

    def _result(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://rolecall-test.slack.com/",
                "team": "Rolecall Test",
                "user": "rolecall",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.publish", "views.open", "views.update"):
            problems = block_kit_problems(params)
            if problems:
                return {"ok": False, "error": "invalid_blocks", "errors": problems}
        if method == "chat.unfurl":
            problems = unfurl_problems(params)
            return {"ok": False, "error": "invalid_unfurls", "errors": problems} if problems else {"ok": True}
        if method == "views.open":
            if not params.get("trigger_id"):
                return {"ok": False, "error": "invalid_trigger_id"}
            view_id = f"V0MODAL{next(self._ts):04d}"
            return {"ok": True, "view": {"id": view_id, "hash": f"h-{view_id}", **(params.get("view") or {})}}
        if method == "views.update":
            if not (params.get("view_id") or params.get("external_id")):
                return {"ok": False, "error": "not_found"}
            return {"ok": True, "view": {"id": params.get("view_id"), "hash": f"h-{next(self._ts)}", **(params.get("view") or {})}}
        if method == "assistant.threads.setStatus":
            if not params.get("channel_id") or not params.get("thread_ts") or "status" not in params:
                return {"ok": False, "error": "invalid_arguments"}
            return {"ok": True}
        if method == "assistant.threads.setSuggestedPrompts":
            prompts = params.get("prompts")
            if (not params.get("channel_id") or not isinstance(prompts, list) or not 0 < len(prompts) <= 4
                    or any(not p.get("title") or not p.get("message") for p in prompts)):
                return {"ok": False, "error": "invalid_arguments"}
            return {"ok": True}
        ts = f"1800000000.{next(self._ts):06d}"
        if method == "chat.postMessage":
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": {"text": params.get("text"), "ts": ts}}
        if method == "chat.update":
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts"), "text": params.get("text")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V0HOME", **(params.get("view") or {})}}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket?ticket=test"}
        return {"ok": False, "error": "unknown_method"}


WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class _WebSocket:
    """The server side of one RFC 6455 connection: just enough for slack_sdk's Socket Mode client."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._send_lock = threading.Lock()
        self._closed = False

    def send_text(self, text: str) -> None:
        self._send(0x1, text.encode())

    def ping(self) -> None:
        self._send(0x9, b"ping")

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            with contextlib.suppress(OSError):
                self._send(0x8, b"")
                self.sock.shutdown(socket.SHUT_RDWR)

    def messages(self) -> Iterator[str]:
        """Text frames from the client, answering pings, until it closes."""
        while not self._closed:
            frame = self._read_frame()
            if frame is None:
                return
            opcode, payload = frame
            if opcode == 0x1:
                yield payload.decode()
            elif opcode == 0x9:
                self._send(0xA, payload)
            elif opcode == 0x8:
                self.close()
                return

    def _send(self, opcode: int, payload: bytes) -> None:
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x80 | opcode, length)
        elif length < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 126, length)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
        with self._send_lock:
            self.sock.sendall(header + payload)

    def _read_frame(self) -> tuple[int, bytes] | None:
        try:
            head = self._read_exactly(2)
            if head is None:
                return None
            opcode, length = head[0] & 0x0F, head[1] & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._read_exactly(2) or b"\0\0")[0]
            elif length == 127:
                length = struct.unpack("!Q", self._read_exactly(8) or b"\0" * 8)[0]
            mask = self._read_exactly(4) if head[1] & 0x80 else b"\0\0\0\0"
            data = self._read_exactly(length) if length else b""
            if mask is None or data is None:
                return None
            return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        except OSError:
            return None

    def _read_exactly(self, count: int) -> bytes | None:
        chunks = b""
        while len(chunks) < count:
            chunk = self.sock.recv(count - len(chunks))
            if not chunk:
                return None
            chunks += chunk
        return chunks


def _parse_body(content_type: str, raw: str) -> dict[str, Any]:
    if "json" in content_type:
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    params: dict[str, Any] = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
    for key in ("blocks", "view", "unfurls", "prompts"):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params


# --------------------------------------------------------------------------- Slack -> bot


@dataclass
class Reply:
    """The bot's HTTP answer to one request from "Slack"."""

    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


def command_body(text: str, *, channel: str, user: str, response_url: str, team: str = TEAM_ID) -> str:
    """``/hiring <text>``'s form body as Slack sends it: the one builder of it, for the tests and the
    benchmarks (``benchmarks/http_load.py``, ``benchmarks/front_cpu.py``)."""
    return urllib.parse.urlencode({
        "token": "legacy-verification-token",
        "team_id": team,
        "team_domain": "rolecall-test",
        "channel_id": channel,
        "channel_name": "hiring",
        "user_id": user,
        "user_name": "alice",
        "command": "/hiring",
        "text": text,
        "api_app_id": "A0ROLECALL",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "1.2.3",
    })


class SlackSender:
    """Sends requests to the bot the way Slack does, signed with ``signing_secret``."""

    def __init__(self, url: str, *, signing_secret: str = SIGNING_SECRET, fake: FakeSlack | None = None) -> None:
        self.url = url
        self.signing_secret = signing_secret
        self.fake = fake
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ ids

    def new_id(self, prefix: str) -> str:
        """A fresh Slack-looking id ("C0000007"), so tests never share a channel or thread."""
        return f"{prefix}{next(self._ids):07d}"

    def new_ts(self) -> str:
        return f"1700000000.{next(self._ids):06d}"

    # ------------------------------------------------------------------ raw

    def sign(self, body: str | bytes, timestamp: str) -> str:
        base = f"v0:{timestamp}:".encode() + (body if isinstance(body, bytes) else body.encode())
        return "v0=" + hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()

    def post(
        self,
        body: str | bytes,
        content_type: str,
        *,
        timestamp: str | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """POST ``body`` signed like Slack (override ``timestamp``/``signature`` to forge)."""
        timestamp = str(int(time.time())) if timestamp is None else timestamp
        request = urllib.request.Request(
            self.url,
            data=body if isinstance(body, bytes) else body.encode(),
            method="POST",
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": timestamp,
                "X-Slack-Signature": self.sign(body, timestamp) if signature is None else signature,
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Reply(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode())

    # ------------------------------------------------------------------ shaped requests

    def command(self, text: str, *, user: str = "U0ALICE", channel: str | None = None, team: str = TEAM_ID, **post: Any) -> Reply:
        """``/hiring <text>`` as a slash command form body (``post``: forged timestamp or signature)."""
        channel = channel or self.new_id("C")
        form = command_body(text, channel=channel, user=user, team=team, response_url=self._response_url(f"cmd-{channel}"))
        return self.post(form, "application/x-www-form-urlencoded", **post)

    def event(self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None, team: str = TEAM_ID, **kwargs: Any) -> Reply:
        """An Events API ``event_callback`` wrapping ``event`` (from workspace ``team``)."""
        body = {
            "token": "legacy-verification-token",
            "team_id": team,
            "api_app_id": "A0ROLECALL",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or self.new_id("Ev"),
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team, "user_id": BOT_USER_ID, "is_bot": True}],
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(json.dumps(body), "application/json", headers=headers, **kwargs)

    def mention(self, text: str, *, channel: str | None = None, ts: str | None = None, thread_ts: str | None = None, user: str = "U0ALICE", **kwargs: Any) -> tuple[Reply, dict[str, Any]]:
        """A user @-mentioning the bot in a channel; returns the reply and the event sent."""
        ts = ts or self.new_ts()
        event = {
            "type": "app_mention",
            "user": user,
            "text": f"<@{BOT_USER_ID}> {text}",
            "ts": ts,
            "channel": channel or self.new_id("C"),
            "event_ts": ts,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event(event, **kwargs), event

    def dm(self, text: str, *, channel: str | None = None, user: str = "U0ALICE", team: str = TEAM_ID, **extra: Any) -> tuple[Reply, dict[str, Any]]:
        """A direct message to the bot (``message`` with channel_type im)."""
        ts = self.new_ts()
        event = {
            "type": "message",
            "channel_type": "im",
            "user": user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel": channel or self.new_id("D"),
            **extra,
        }
        return self.event(event, team=team), event

    def click(self, button: dict[str, Any], *, origin: Call, user: str = "U0ALICE", channel: str | None = None, team: str = TEAM_ID) -> Reply:
        """A ``block_actions`` click on ``button`` of the message recorded as ``origin``.

        A message posted through ``response_url`` is ephemeral (Slack gives the
        click a new response_url); one posted with chat.postMessage is a normal
        message with a ts and maybe a thread.
        """
        ephemeral = origin.method == "response_url"
        channel = channel or origin.params.get("channel") or self.new_id("C")
        container: dict[str, Any] = {"type": "message", "channel_id": channel, "is_ephemeral": ephemeral}
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": team, "domain": "rolecall-test"},
            "user": {"id": user, "username": "alice", "team_id": team},
            "api_app_id": "A0ROLECALL",
            "token": "legacy-verification-token",
            "container": container,
            "trigger_id": "1.2.3",
            "channel": {"id": channel, "name": "hiring"},
            "response_url": self._response_url(f"click-{channel}"),
            "actions": [
                {
                    "type": "button",
                    "action_id": button["action_id"],
                    "block_id": "b",
                    "text": button["text"],
                    "value": button.get("value", ""),
                    "action_ts": str(time.time()),
                }
            ],
        }
        if not ephemeral:
            message_ts = origin.params.get("ts") or self.new_ts()
            container["message_ts"] = message_ts
            message = {"type": "message", "ts": message_ts, "text": origin.text, "blocks": origin.blocks, "bot_id": BOT_ID}
            if origin.params.get("thread_ts"):
                container["thread_ts"] = origin.params["thread_ts"]
                message["thread_ts"] = origin.params["thread_ts"]
            payload["message"] = message
        form = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return self.post(form, "application/x-www-form-urlencoded")

    def interactive(self, payload: dict[str, Any]) -> Reply:
        """Any interactivity payload (shortcut, block_suggestion, view_submission, block_actions), form-encoded as Slack does."""
        base = {"team": {"id": TEAM_ID, "domain": "rolecall-test"}, "user": {"id": "U0ALICE", "username": "alice", "team_id": TEAM_ID},
                "api_app_id": "A0ROLECALL", "token": "legacy-verification-token"}
        return self.post(urllib.parse.urlencode({"payload": json.dumps({**base, **payload})}), "application/x-www-form-urlencoded")

    def link_shared(self, *urls: str, channel: str | None = None, user: str = "U0ALICE", composer: bool = False,
                    team: str = TEAM_ID) -> tuple[Reply, dict[str, Any]]:
        """A message (or, with ``composer``, a message being written) with handbook links in it."""
        ts = self.new_ts()
        event: dict[str, Any] = {
            "type": "link_shared", "channel": channel or self.new_id("C"), "is_bot_user_member": True, "user": user,
            "message_ts": ts, "event_ts": ts, "source": "composer" if composer else "conversations_history",
            "links": [{"domain": urllib.parse.urlsplit(u).hostname, "url": u} for u in urls],
        }
        if composer:
            event["unfurl_id"] = f"U-{next(self._ids)}-unfurl"
            event["channel"] = "COMPOSER"
            event["message_ts"] = f"{user}-composer"
        return self.event(event, team=team), event

    def message_shortcut(self, text: str, *, callback_id: str = "ask_rolecall", channel: str | None = None,
                         user: str = "U0ALICE", team: str = TEAM_ID) -> tuple[Reply, dict[str, Any]]:
        """"Ask Rolecall" on a message whose text is ``text``."""
        channel = channel or self.new_id("C")
        ts = self.new_ts()
        payload = {
            "type": "message_action", "callback_id": callback_id, "trigger_id": f"trigger-{next(self._ids)}",
            "response_url": self._response_url(f"shortcut-{channel}"), "action_ts": str(time.time()),
            "channel": {"id": channel, "name": "hiring"}, "user": {"id": user, "username": "alice", "team_id": TEAM_ID},
            "message_ts": ts, "message": {"type": "message", "user": "U0BOB", "ts": ts, "text": text},
            "team": {"id": team, "domain": "rolecall-test"},
        }
        return self.interactive(payload), payload

    def global_shortcut(self, *, callback_id: str = "lookup_role", user: str = "U0ALICE", team: str = TEAM_ID) -> Reply:
        return self.interactive({"type": "shortcut", "callback_id": callback_id, "trigger_id": f"trigger-{next(self._ids)}",
                                 "action_ts": str(time.time()), "user": {"id": user, "username": "alice", "team_id": team},
                                 "team": {"id": team, "domain": "rolecall-test"}})

    def block_suggestion(self, typed: str, *, view: dict[str, Any], action_id: str = "role_pick", block_id: str = "role") -> Reply:
        """The user typed ``typed`` into an external_select of ``view`` (as views.open returned it)."""
        return self.interactive({"type": "block_suggestion", "action_id": action_id, "block_id": block_id, "value": typed,
                                 "container": {"type": "view", "view_id": view.get("id")}, "view": view})

    def view_submission(self, view: dict[str, Any], values: dict[str, Any], *, user: str = "U0ALICE") -> Reply:
        """``view`` submitted with ``values`` as its state (block_id -> action_id -> value)."""
        submitted = {**view, "state": {"values": values}}
        return self.interactive({"type": "view_submission", "view": submitted, "trigger_id": f"trigger-{next(self._ids)}",
                                 "user": {"id": user, "username": "alice", "team_id": TEAM_ID}})

    def click_in_view(self, button: dict[str, Any], *, view: dict[str, Any], user: str = "U0ALICE") -> Reply:
        """A click on ``button`` inside a modal (no channel, no response_url: Slack sends neither)."""
        return self.interactive({
            "type": "block_actions", "container": {"type": "view", "view_id": view.get("id")}, "view": view,
            "trigger_id": f"trigger-{next(self._ids)}", "user": {"id": user, "username": "alice", "team_id": TEAM_ID},
            "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "card", "text": button["text"],
                         "value": button.get("value", ""), "action_ts": str(time.time())}],
        })

    def click_in_unfurl(self, button: dict[str, Any], *, link: dict[str, Any], url: str, user: str = "U0ALICE") -> Reply:
        """A click on ``button`` of the unfurl of ``url`` under the message of ``link`` (a link_shared event)."""
        channel = link["channel"]
        return self.interactive({
            "type": "block_actions", "trigger_id": f"trigger-{next(self._ids)}",
            "container": {"type": "message_attachment", "message_ts": link["message_ts"], "attachment_id": 1, "channel_id": channel,
                          "is_ephemeral": False, "is_app_unfurl": True, "app_unfurl_url": url},
            "channel": {"id": channel, "name": "hiring"}, "user": {"id": user, "username": "alice", "team_id": TEAM_ID},
            "message": {"type": "message", "ts": link["message_ts"], "text": url, "user": "U0BOB"},
            "response_url": self._response_url(f"unfurl-{channel}"),
            "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "card", "text": button["text"],
                         "value": button.get("value", ""), "action_ts": str(time.time())}],
        })

    def assistant_thread_started(self, *, user: str = "U0ALICE", channel: str | None = None,
                                 team: str = TEAM_ID) -> tuple[Reply, dict[str, Any]]:
        """The user opened Rolecall in the assistant panel: a new thread in their DM with it."""
        thread_ts = self.new_ts()
        event = {"type": "assistant_thread_started", "event_ts": thread_ts, "assistant_thread": {
            "user_id": user, "channel_id": channel or self.new_id("D"), "thread_ts": thread_ts,
            "context": {"channel_id": "C0VIEWING", "team_id": team, "enterprise_id": None}}}
        return self.event(event, team=team), event

    def url_verification(self, challenge: str) -> Reply:
        body = {"token": "legacy-verification-token", "challenge": challenge, "type": "url_verification"}
        return self.post(json.dumps(body), "application/json")

    def _response_url(self, name: str) -> str:
        return self.fake.response_url(name) if self.fake else f"http://127.0.0.1:9/response/{name}"


# --------------------------------------------------------------------------- pytest fixtures
# They build on the session-wide ``engine`` fixture of tests/conftest.py (the real engine over seeds/).

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


class IdleAwareExecutor(ThreadPoolExecutor):
    """Bolt's listener pool, counting unfinished listeners so a test can wait for the app to be idle.

    Listeners run after the ack, so a test's last request may still be posting
    when the next test starts; waiting here keeps tests from seeing each other's posts.
    """

    def __init__(self) -> None:
        super().__init__(max_workers=8, thread_name_prefix="listener")
        self._busy = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        with self._idle:
            self._busy += 1

        def run() -> Any:
            try:
                return fn(*args, **kwargs)
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

        return super().submit(run)

    def wait_idle(self, timeout: float = 15.0) -> None:
        with self._idle:
            assert self._idle.wait_for(lambda: self._busy == 0, timeout), "listeners still running"


@dataclass
class Rolecall:
    """A running Rolecall in HTTP mode, the fake Slack it talks to, and a signed sender."""

    fake: FakeSlack
    slack: SlackSender
    server: Any
    app: Any
    engine: Any  # what it answers from; ``engine.log`` is the question log
    listeners: IdleAwareExecutor

    def settle(self) -> None:
        """Wait until every listener started so far has finished (so "nothing was posted" is a fact)."""
        self.listeners.wait_idle()

    def reply_to(self, event: dict[str, Any], *, timeout: float = 10.0) -> Call:
        """The one chat.postMessage answering ``event`` (same channel)."""
        return self.fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == event["channel"], timeout=timeout)[0]

    def response(self, *, count: int = 1, timeout: float = 10.0) -> Call:
        """The ``count``-th response_url post."""
        return self.fake.wait_for("response_url", count, timeout=timeout)[count - 1]


@contextlib.contextmanager
def serving(engine: Any, fake: FakeSlack, **config: Any) -> Iterator[Rolecall]:
    """Build the app for ``engine`` against ``fake`` and serve it in HTTP mode on a free 127.0.0.1 port.

    ``config``: SlackConfig fields, e.g. ``access=Access(...)``, ``http_timeout=0.5``, ``context_ttl=0.3``.
    """
    from bot.slack.app import build_app
    from bot.slack.config import SlackConfig
    from bot.slack.server import HttpServer, make_wsgi_app

    settings = SlackConfig(
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        api_url=fake.api_url,
        **config,
    )
    listeners = IdleAwareExecutor()
    app = build_app(engine, settings, listener_executor=listeners)
    server = HttpServer(make_wsgi_app(app, engine), "127.0.0.1", 0, threads=4).start_in_thread()
    try:
        yield Rolecall(fake, SlackSender(server.url, fake=fake), server, app, engine, listeners)
    finally:
        server.stop()
        listeners.wait_idle()
        listeners.shutdown()


@pytest.fixture(scope="session")
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture(scope="session")
def running(engine: Any, fake_slack: FakeSlack) -> Iterator[Rolecall]:
    """One app for the whole session: tests use fresh channel ids, so they cannot see each other's context."""
    with serving(engine, fake_slack) as rolecall:
        yield rolecall


@pytest.fixture
def rolecall(running: Rolecall) -> Iterator[Rolecall]:
    """The running app, idle, with a clean record of Web API calls; afterwards, Slack accepted every call."""
    running.listeners.wait_idle()
    running.fake.reset()
    yield running
    running.listeners.wait_idle()
    assert [(c.method, c.rejected) for c in running.fake.rejected()] == []


BROADCAST = re.compile(r"<!(channel|here|everyone)|@(channel|here|everyone)\b|<@U(?!0ALICE)")


def assert_cannot_ping(text: str) -> None:
    """No broadcast (<!channel>, a live @here) and no user mention other than the asker's."""
    found = BROADCAST.search(text)
    assert found is None, f"message could ping: {found.group(0)!r} in {text!r}"


def wait_for_health(url: str, process: subprocess.Popen, timeout: float = 20.0) -> dict:
    """Poll ``GET /healthz`` of a ``rolecall serve`` subprocess until it answers; fail if it exits first.

    Shared by the server tests, the HTTP benchmark and the stress script.
    """
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise RuntimeError(f"rolecall serve exited early with code {process.returncode}\n{output}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return json.loads(response.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def stop_server(process: subprocess.Popen, timeout: float = 15.0) -> int | None:
    """SIGTERM (a clean stop, as a container gets), then kill if it hangs: the exit code, or None
    when it had to be killed. Shared like :func:`wait_for_health`."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
            return None
    return process.returncode
