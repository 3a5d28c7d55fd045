"""``rolecall serve``: run the Slack app in Socket Mode or HTTP mode.

Socket Mode (``SLACK_APP_TOKEN`` set) needs no public URL, which suits a laptop
or a private network; it runs in one process, and serves ``GET /healthz`` and
``GET /metrics`` on ``HOST:PORT`` beside its WebSocket. HTTP mode serves
``POST /slack/events`` (events, the slash command and interactivity share it)
through Bolt's WSGI adapter behind waitress, a production-grade WSGI server, plus
``GET /healthz`` for load balancers and ``GET /metrics`` for Prometheus. Bolt's own
``app.start()`` is a development server bound to every interface; waitress listens on
``HOST`` (default 0.0.0.0, right for a container).

HTTP mode runs an ack-only front with answer worker processes and one indexer
(:mod:`bot.slack.front`, :mod:`bot.slack.workers`); ``ROLECALL_WORKERS=0`` answers in
the one process instead, as Socket Mode does.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import hmac
import io
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from slack_bolt import App, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import metrics, settings
from bot.engine import EngineSpec
from bot.safefiles import FileSafetyError
from bot.slack.app import DELIVERY, EngineLike, build_app
from bot.slack.config import ConfigError, SlackConfig

if TYPE_CHECKING:
    from waitress.server import BaseWSGIServer, MultiSocketServer

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
# Slack's payloads are a few kilobytes; refuse anything absurd before Bolt parses it.
MAX_BODY_BYTES = 1024 * 1024
# HTTP request threads. Few: the front's acks never wait on anything slow (a hand-off is a queue put;
# only the role picker's options and a modal submission wait, at most 2.5 s, for a worker), and every
# thread runnable at once shares the one interpreter lock with the others, so that 32 threads made 32
# requests in flight share it by turns: each ack then took as long as all of them, and the forced
# switches cost the front ~0.4 ms of CPU a command (benchmarks.http_load, 50 clients: 1.8-2.0 ms of
# front CPU a command with 32 threads, 1.4-1.5 ms with 2 to 8).
DEFAULT_THREADS = 8
REPLAY_WINDOW_SECONDS = 5 * 60  # Slack's: older signed requests are refused as replays

logger = logging.getLogger("rolecall.slack")

StartResponse = Callable[..., Any]
Environ = dict[str, Any]


HealthCheck = Callable[[], tuple[str, dict[str, Any]]]
FastPath = Callable[[Environ], "BoltResponse | None"]


def make_wsgi_app(app: App, engine: EngineLike | None, signing_secret: str | None = None, *,
                  health_check: HealthCheck | None = None,
                  fast: FastPath | None = None) -> Callable[[Environ, StartResponse], Iterable[bytes]]:
    """WSGI entry: Slack requests to Bolt, ``GET /healthz`` and ``GET /metrics`` answered here, anything else 404.

    ``health_check`` replaces :func:`health` of ``engine`` (the front has no engine).

    A Slack request's signature is checked here, on the raw bytes, before anything parses
    them: an unsigned body (``{not json``, ``[]``, invalid UTF-8 ...) gets 401 and one log line,
    a signed one that Slack would never send gets 400, and only well-formed signed requests
    reach Bolt (whose body parsing raised a 500 with a traceback on such input).

    ``fast`` (the front's :class:`bot.slack.front.FastCommands`) gets each signed, well-formed
    request first and answers those it knows (``/hiring``) without Bolt; None from it: Bolt's.
    """
    slack = SlackRequestHandler(app, path=EVENTS_PATH)
    secret = signing_secret if signing_secret is not None else getattr(app, "_signing_secret", "") or ""
    verifier = secret.encode() if secret else None
    check = health_check or (lambda: health(engine))
    operations = make_operations_app(check)

    def wsgi(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == EVENTS_PATH:
            started = time.perf_counter()
            status_seen: list[str] = []

            def timed_start(status: str, *args: Any) -> Any:
                status_seen.append(status)
                return start_response(status, *args)

            try:
                if verifier is not None and environ.get("REQUEST_METHOD") == "POST":
                    refused = _check_request(environ, verifier)
                    if refused is not None:
                        return _reply(timed_start, refused[0], {"error": refused[1]})
                    if fast is not None:
                        response = fast(environ)
                        if response is not None:
                            return _bolt_reply(timed_start, response)
                return slack(environ, timed_start)
            finally:
                metrics.observe("rolecall_ack_seconds", time.perf_counter() - started)
                metrics.inc("rolecall_http_requests", {"code": (status_seen[0].split(" ", 1)[0] if status_seen else "500")})
        return operations(environ, start_response)

    return wsgi


def make_operations_app(check: HealthCheck) -> Callable[[Environ, StartResponse], Iterable[bytes]]:
    """``GET /healthz`` (``check``) and ``GET /metrics`` (Prometheus text), anything else 404."""

    def wsgi(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            if path == HEALTH_PATH:
                status, body = check()
                return _reply(start_response, status, body)
            if path == METRICS_PATH:
                data, content_type = metrics.exposition()
                start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(data)))])
                return [data]
        return _reply(start_response, "404 Not Found", {"error": "not found"})

    return wsgi


def _check_request(environ: Environ, secret: bytes) -> tuple[str, str] | None:
    """Read the body, verify its signature, check its shape; (status, reason) to refuse it, else None.

    The body is put back for Bolt. One log line per refusal, never the body (it may hold
    a legacy verification token) and never a traceback.
    """
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if not 0 <= length <= MAX_BODY_BYTES:
        logger.info("Refused a request with a bad Content-Length (400)")
        return "400 Bad Request", "bad request"
    raw = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(raw)
    environ["CONTENT_LENGTH"] = str(len(raw))
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    if not signature_is_valid(secret, raw, timestamp, signature):
        logger.info("Refused a request without a valid Slack signature (401)")
        return "401 Unauthorized", "invalid signature"
    problem = _malformed(raw, environ.get("CONTENT_TYPE", ""), environ)
    if problem:
        logger.warning("Refused a signed request: %s (400)", problem)
        return "400 Bad Request", "bad request"
    return None


def signature_is_valid(secret: bytes, raw: bytes, timestamp: str, signature: str, now: float | None = None) -> bool:
    """Slack's v0 request signature over the raw bytes (whatever they are), with a 5-minute replay window.

    Not slack_sdk's ``SignatureVerifier``: it decodes the body as UTF-8 before hashing and raises
    on other bytes, while an unsigned request must be a plain 401 whatever its body is."""
    if not timestamp.isdigit() or not signature.startswith("v0="):
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > REPLAY_WINDOW_SECONDS:
        return False
    expected = "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


FORM_KEY = "rolecall.form"  # the environ key of a form body decoded and parsed here (text, parse_qs), for the front's fast path


def _malformed(raw: bytes, content_type: str, environ: Environ | None = None) -> str | None:
    """Why a signed body is not something Slack sends (JSON object, or a form whose payload is one), or None.

    A form body's text and fields are left in ``environ[FORM_KEY]``: decoding and parsing a form is
    most of what a slash command costs the front's fast path, and it need not be done twice."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "the body is not UTF-8"
    if "json" in content_type.lower():
        try:
            value = json.loads(text)
        except ValueError:
            return "the JSON body does not parse"
        return None if isinstance(value, dict) else "the JSON body is not an object"
    form = parse_qs(text, keep_blank_values=True)
    if environ is not None:
        environ[FORM_KEY] = (text, form)
    payload = form.get("payload")
    if payload is not None:
        try:
            value = json.loads(payload[0])
        except ValueError:
            return "the form's payload does not parse"
        if not isinstance(value, dict):
            return "the form's payload is not an object"
    return None


def health(engine: EngineLike) -> tuple[str, dict[str, Any]]:
    """Healthy when the engine can report on its index (what a load balancer should route on)."""
    try:
        stats = engine.stats()
    except Exception:
        logger.exception("Health check failed")
        return "503 Service Unavailable", {"status": "unavailable"}
    body = {
        "status": "ok",
        "pages": stats.get("pages"),
        "roles": stats.get("roles"),
        "indexed_at": stats.get("indexed_at"),
    }
    body["delivery"] = DELIVERY.snapshot()  # answers delivered, maybe delivered, undelivered, apologies, lost
    index_info = getattr(engine, "index_info", None)
    if callable(index_info):
        # generation: how many times this index file was rebuilt; pages_digest: which pages it holds.
        # Replicas serving the same pages agree on the digest; a stale one stands out.
        body.update(index_info())
    return "200 OK", body


def _bolt_reply(start_response: StartResponse, response: BoltResponse) -> Iterable[bytes]:
    """``response`` exactly as Bolt's WSGI adapter sends it (status line, headers, body)."""
    wsgi_response = WsgiHttpResponse(status=response.status, headers=response.headers, body=response.body)
    start_response(wsgi_response.status, wsgi_response.get_headers())
    return wsgi_response.get_body()


def _reply(start_response: StartResponse, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


ACCEPT_BURST = 128  # connections accepted at most in one turn of waitress's loop


@functools.cache
def _burst_accepting_server() -> type:
    """waitress's TCP server, accepting every pending connection in one turn of its loop.

    Why: waitress accepts one connection per turn of its loop, and under load each turn waits for
    the interpreter lock behind the request threads. Measured with ``benchmarks.http_load`` (50
    clients opening their connections at once, then 20 commands each): each client's *first* ack
    took 289 ms at the median and up to 983 ms, against ~40 ms for the others; those 50 of 1,000
    acks were the whole p99 (687 ms). Accepting all that is pending at once (up to the connection
    limit) takes the whole burst in a turn or two.
    """
    from waitress.server import TcpWSGIServer

    class BurstAcceptingServer(TcpWSGIServer):  # type: ignore[misc]
        def handle_accept(self) -> None:
            for _ in range(ACCEPT_BURST):
                if len(self._map) >= self.adj.connection_limit:
                    return  # readable() stops listening until connections close, and says so once
                before = len(self._map)
                super().handle_accept()
                if len(self._map) == before:
                    return  # nothing more was pending (or accept failed, which waitress logged)

    return BurstAcceptingServer


# waitress logs "Task queue depth is N" at WARNING for every request that finds its threads busy:
# under a burst that is every request, on the server's one I/O thread (py-spy of the front, closed
# loop of 50 clients: 4.3% of its interpreter time in that call alone), and a flood of lines for the
# operator about a queue the front fills on purpose (bursts are accepted whole). Its queue logger
# is this one, which only lets errors through.
HTTP_QUEUE_LOGGER = logging.getLogger("rolecall.slack.http_queue")
HTTP_QUEUE_LOGGER.setLevel(logging.ERROR)


def create_http_server(wsgi: Callable[..., Any], **adjustments: Any) -> "BaseWSGIServer | MultiSocketServer":
    """What ``waitress.create_server`` makes for a TCP ``host``/``port``, with :func:`_burst_accepting_server`'s
    servers (one per address the host resolves to, under a MultiSocketServer when there are several)."""
    from waitress.adjustments import Adjustments
    from waitress.server import MultiSocketServer
    from waitress.task import ThreadedTaskDispatcher

    adj = Adjustments(**adjustments)
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.queue_logger = HTTP_QUEUE_LOGGER
    dispatcher.set_thread_count(adj.threads)
    socket_map: dict[int, Any] = {}
    server_class = _burst_accepting_server()
    servers = [server_class(wsgi, socket_map, dispatcher=dispatcher, adj=adj, sockinfo=sockinfo) for sockinfo in adj.listen]
    if len(servers) == 1:
        return servers[0]
    return MultiSocketServer(socket_map, adj, [(s.effective_host, s.effective_port) for s in servers], dispatcher,
                             servers[-1].log_info)


class HttpServer:
    """waitress serving the WSGI app on ``host:port`` (port 0 picks a free one), stoppable from another thread."""

    def __init__(self, wsgi: Callable[..., Any], host: str, port: int, threads: int | None = None) -> None:
        threads = threads or http_threads()
        self._server: BaseWSGIServer | MultiSocketServer = create_http_server(
            wsgi,
            host=host,
            port=port,
            threads=threads,
            ident="rolecall",
            max_request_body_size=MAX_BODY_BYTES,
        )
        self.host = host
        self.port: int = self._server.effective_port  # type: ignore[union-attr]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Where Slack (or a test) should send requests."""
        return f"http://{self.host}:{self.port}{EVENTS_PATH}"

    def serve_forever(self) -> None:
        """Block serving requests until :meth:`stop`."""
        self._server.run()

    def start_in_thread(self) -> HttpServer:
        """Serve from a daemon thread (tests, embedding)."""
        self._thread = threading.Thread(target=self.serve_forever, name="rolecall-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the listening socket and the worker threads.

        When serving from a thread, the close runs inside waitress's own loop
        (through its trigger): closing sockets under a running select() fails.
        """
        trigger = getattr(self._server, "trigger", None)
        if self._thread is not None and self._thread.is_alive() and trigger is not None:
            try:
                trigger.pull_trigger(self._server.close)
            except OSError:
                # The loop closed its trigger itself (it does when poll reports the pipe gone): it
                # cannot be woken, so the server is closed from here, as when no loop runs.
                logger.warning("the HTTP server's wake-up pipe was already closed; closing the server directly")
                with contextlib.suppress(OSError):
                    self._server.close()
            self._thread.join(timeout=5)
        else:
            self._server.close()


def http_threads() -> int:
    """``ROLECALL_HTTP_THREADS`` (worker threads answering Slack's HTTP requests), default :data:`DEFAULT_THREADS`."""
    return settings.positive_int("ROLECALL_HTTP_THREADS", DEFAULT_THREADS)


def gil_switch_seconds(name: str = "ROLECALL_GIL_SWITCH_SECONDS", default: float = 0.001) -> float:
    """``ROLECALL_GIL_SWITCH_SECONDS`` (default 0.001), or another switch-interval setting: a bad value keeps
    the default rather than stopping the bot."""
    value = settings.number(name, default)
    return value if 0 < value < 1 else default


FRONT_SWITCH_SECONDS = 0.005  # CPython's own default


def front_gil_switch_seconds() -> float:
    """``ROLECALL_FRONT_GIL_SWITCH_SECONDS`` (default 0.005): the interpreter's switch interval in the front of
    HTTP mode with answer workers.

    Why not the one process's 1 ms: that makes acks preempt answers computed in the same process, and
    the front computes none. There it made each of the 8 HTTP threads with a request in hand hand the
    interpreter lock to the next every millisecond, so requests took turns instead of finishing, more of
    them were in the app at once, and the forced hand-offs cost CPU: a convoy that, once formed, lasted
    the whole run (the bimodal closed loop: the front's own time per request 6-7 ms against 0.3-0.8 ms,
    its CPU 1.6-2.1 ms a command against 1.1; README Performance)."""
    return gil_switch_seconds("ROLECALL_FRONT_GIL_SWITCH_SECONDS", FRONT_SWITCH_SECONDS)


# Allocations (of tracked objects) between two young collections in the front: CPython's default is
# 700, about three slash commands; each collection also scans what survived the last ones.
FRONT_GC_GEN0 = 10_000


def settle_front_heap() -> None:
    """Once the front has started: freeze what start-up made, and collect the young less often.

    Why: the front's heap after start-up (Bolt, slack_sdk, the listeners, prometheus-client: about
    50,000 tracked objects) lives as long as the process, yet every full collection scanned it
    again: about 65 ms of CPU each, in-process (``benchmarks.front_cpu``'s requests), several times
    that in wall time on a loaded machine, while every request in flight waits for its ack under
    the one interpreter lock. ``gc.freeze()`` moves those objects out of the collector's sight (a
    full collection then scans only what serving made: ~5 ms), and a higher first threshold runs
    the young collections, which also promote survivors toward full ones, less often. The front
    holds no index, so nothing frozen is ever retired (a frozen cycle would never be freed: the
    answer workers, whose index versions come and go, are left alone).
    """
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(FRONT_GC_GEN0, gen1, gen2)


def serve(make_engine: Callable[[], EngineLike] | None = None) -> int:
    """Entry point of ``rolecall serve``; returns the process exit code.

    ``make_engine`` builds the engine (e.g. from the CLI's --seeds/--db); by
    default ``Engine.from_env()``. It is called after the Slack configuration
    was checked, so a missing token is reported before any indexing. In HTTP mode
    an :class:`bot.engine.EngineSpec` (what the CLI passes, and the default) runs the
    front with answer worker processes (``ROLECALL_WORKERS``, see :mod:`bot.slack.workers`);
    any other ``make_engine``, Socket Mode or ``ROLECALL_WORKERS=0`` answer in this process.
    """
    configure_logging()
    try:
        config = SlackConfig.from_env()
    except ConfigError as error:
        print(f"rolecall serve: {error}", file=sys.stderr)
        return 2
    spec = make_engine if isinstance(make_engine, EngineSpec) else EngineSpec.from_env() if make_engine is None else None
    if not config.socket_mode and spec is not None:
        from bot.slack.workers import worker_count

        workers = worker_count()
        if workers > 0:
            return serve_front(spec.resolved(), config, workers)
    try:
        engine = (make_engine or spec)()  # type: ignore[misc]
    except (FileNotFoundError, FileSafetyError) as error:  # the operator's to fix: one line, no traceback
        print(f"rolecall serve: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        logger.exception("Could not load the handbook pages")
        print(f"rolecall serve: could not load the handbook pages: {error}", file=sys.stderr)
        return 1
    try:
        app = build_app(engine, config)
    except (BoltError, SlackApiError, SlackClientError, OSError) as error:
        print(f"rolecall serve: {describe_start_error(error, config)}", file=sys.stderr)
        return 1
    watch = getattr(engine, "watch", None)
    if callable(watch):
        watch()  # hot reload: pages added, changed or removed are picked up without a restart
    if config.digest_channel:  # the gaps digest, once a period across replicas sharing the question log
        from bot.slack.digest import Digest

        Digest(engine, app.client, config.digest_channel, config.digest_days).start()
    metrics.watch_gc()
    # Acks are short and answers are CPU work under one GIL: hand the GIL over every 1 ms
    # (CPython's default is 5 ms) so a burst of acks does not wait behind answers.
    sys.setswitchinterval(gil_switch_seconds())
    previous_sigterm = _stop_on_sigterm()
    try:
        if config.socket_mode:
            run_socket_mode(app, config, engine)
        else:
            run_http(app, engine, config)
    except (KeyboardInterrupt, SystemExit):
        logger.info("Rolecall stopped")
    except SlackApiError as error:  # Socket Mode: apps.connections.open refused the app token
        print(f"rolecall serve: Slack rejected SLACK_APP_TOKEN (apps.connections.open: {error.response.get('error')})", file=sys.stderr)
        return 1
    except OSError as error:  # HTTP mode: e.g. the port is taken
        print(f"rolecall serve: cannot listen on {config.host}:{config.port} ({error.strerror or error})", file=sys.stderr)
        return 1
    finally:
        if previous_sigterm is not None:
            signal.signal(signal.SIGTERM, previous_sigterm)
    return 0


class _LogOnly:
    """What the gaps digest needs of an engine, in the front (which has the question log, not the index)."""

    def __init__(self, log: Any) -> None:
        self.log = log

    def gaps(self, limit: int = 20, days: float | None = None) -> str:
        from bot.questionlog import gaps_text

        return gaps_text(self.log.gaps(limit=limit, days=days))


def serve_front(spec: EngineSpec, config: SlackConfig, workers: int) -> int:
    """HTTP mode with answer workers: the indexer builds the index, the front checks the bot token,
    the workers open the index; then the front serves until SIGTERM and stops them in order."""
    from bot.slack.front import build_front_app
    from bot.slack.workers import Indexer, StartError, WorkerPool

    metrics.name_this_process("front")
    from bot.engine import default_log_path
    from bot.questionlog import QuestionLogError, open_question_log

    try:  # the workers write the question log: an unreachable one is the operator's to fix, before anything starts
        log = open_question_log(default_log_path(spec.db_path))  # type: ignore[arg-type]
    except QuestionLogError as error:
        print(f"rolecall serve: {error}", file=sys.stderr)
        return 2
    if not config.digest_channel:
        log.close()
    try:
        indexer = Indexer(spec).start()
    except StartError as error:
        if error.kind == "config":
            print(f"rolecall serve: {error}", file=sys.stderr)
            return 2
        print(f"rolecall serve: could not load the handbook pages: {error}", file=sys.stderr)
        return 1
    pool = WorkerPool(spec, config, workers)
    queue = shared_queue(pool)
    previous_sigterm = None
    try:
        try:
            app, bot = build_front_app(config, queue.offer if queue is not None else pool.offer, pool.call,
                                       queue_reads_contexts=queue is not None)
        except (BoltError, SlackApiError, SlackClientError, OSError) as error:
            print(f"rolecall serve: {describe_start_error(error, config)}", file=sys.stderr)
            return 1
        pool.on_done = lambda item, result: bot.remember_all(result.contexts)
        pool.on_context = bot.context_set
        pool.context_of = bot.contexts.store.get
        bot.contexts.catch_up = pool.catch_up  # type: ignore[attr-defined]
        pool.on_lost = lambda item: bot.tell_lost(app.client, item)
        pool.start()
        try:
            pool.wait_ready()
        except StartError as error:
            print(f"rolecall serve: the answer workers could not start: {error}", file=sys.stderr)
            return 1
        if queue is not None:
            queue.start()
        if config.digest_channel:
            from bot.slack.digest import Digest

            Digest(_LogOnly(log), app.client, config.digest_channel, config.digest_days).start()
        sys.setswitchinterval(front_gil_switch_seconds())
        previous_sigterm = _stop_on_sigterm()
        metrics.watch_gc()
        settle_front_heap()
        logger.info("Rolecall front with %d answer worker(s) and one indexer", workers)
        try:
            run_http(app, None, config, health_check=lambda: front_health(pool, indexer), fast=bot.fast)
        except (KeyboardInterrupt, SystemExit):
            logger.info("Rolecall stopped")
        except OSError as error:
            print(f"rolecall serve: cannot listen on {config.host}:{config.port} ({error.strerror or error})", file=sys.stderr)
            return 1
        return 0
    finally:
        if queue is not None:
            queue.stop()
        pool.stop()
        if queue is not None:
            queue.close()
        indexer.stop()
        if previous_sigterm is not None:
            signal.signal(signal.SIGTERM, previous_sigterm)


def shared_queue(pool: Any) -> Any:
    """With ``ROLECALL_REDIS_URL``: the work queue every replica shares (:mod:`bot.slack.workqueue`); else None
    (the front hands work to its own workers over their pipes)."""
    from bot.stores import redis_url, shared_link

    url = redis_url()
    if url is None:
        return None
    from bot.slack.workqueue import StreamQueue

    return StreamQueue(shared_link(url), pool)


def front_health(pool: Any, indexer: Any) -> tuple[str, dict[str, Any]]:
    """The front's ``/healthz``: healthy while at least one answer worker has the index open."""
    workers = pool.snapshot()
    latest = pool.latest
    body: dict[str, Any] = {
        "status": "ok" if workers["ready"] else "unavailable",
        "pages": latest.get("pages"),
        "roles": latest.get("roles"),
        "indexed_at": latest.get("indexed_at"),
        "generation": latest.get("generation"),
        "pages_digest": latest.get("pages_digest"),
        "delivery": DELIVERY.snapshot(),
        "workers": workers,
        "indexer": {"pid": getattr(indexer.process, "pid", None), "generation": indexer.generation,
                    "alive": bool(indexer.process is not None and indexer.process.is_alive())},
    }
    return ("200 OK" if workers["ready"] else "503 Service Unavailable"), body


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(processName)s %(message)s"


def configure_logging() -> None:
    """INFO to stderr; ``ROLECALL_LOG_LEVEL`` (e.g. DEBUG) applies to Rolecall, Bolt and slack_sdk only;
    ``ROLECALL_LOG_FORMAT=json``: one JSON object a line (python-json-logger), with the time, level,
    logger, process (front, worker, indexer) and message, and a traceback as ``exc_info``.

    Raising the root logger instead would drown the output in the Markdown
    parser's debug trace. Neither Rolecall nor slack_sdk logs token values.
    """
    as_json = (settings.get_str("ROLECALL_LOG_FORMAT") or "").lower() == "json"
    root = logging.getLogger()
    if as_json:
        from pythonjsonlogger.json import JsonFormatter

        formatter: logging.Formatter = JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level", "name": "logger",
                                                                                "asctime": "time", "processName": "process"})
        if not any(getattr(h, "_rolecall_json", False) for h in root.handlers):
            for handler in list(root.handlers):
                root.removeHandler(handler)
            handler = logging.StreamHandler()
            handler.setFormatter(formatter)
            handler._rolecall_json = True  # type: ignore[attr-defined]
            root.addHandler(handler)
        root.setLevel(logging.INFO)
    else:
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    level = (settings.get_str("ROLECALL_LOG_LEVEL") or "").upper()
    if level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        for name in ("rolecall", "bot", "handlers", "slack_bolt", "slack_sdk"):
            logging.getLogger(name).setLevel(level)


def describe_start_error(error: Exception, config: SlackConfig) -> str:
    """A start-up failure in words an operator can act on, without any secret in it."""
    cause = error.__context__ if isinstance(error, BoltError) else error
    if isinstance(cause, SlackApiError):
        return f"Slack rejected SLACK_BOT_TOKEN (auth.test: {cause.response.get('error')})"
    where = config.api_url or "https://slack.com/api/"
    return f"could not reach the Slack Web API at {where} ({type(cause).__name__})"


def run_http(app: App, engine: EngineLike | None, config: SlackConfig, *, health_check: HealthCheck | None = None,
             fast: FastPath | None = None) -> None:
    """HTTP mode: block serving Slack's requests on HOST:PORT (``fast``: the front's fast path)."""
    server = HttpServer(make_wsgi_app(app, engine, config.signing_secret, health_check=health_check, fast=fast),
                        config.host, config.port)
    logger.info("Rolecall listening on http://%s:%s%s (HTTP mode)", config.host, server.port, EVENTS_PATH)
    try:
        server.serve_forever()
    finally:
        server.stop()


def socket_health(handler: Any, engine: EngineLike) -> tuple[str, dict[str, Any]]:
    """Socket Mode's ``/healthz``: the WebSocket to Slack is connected and the index answers."""
    client = getattr(handler, "client", None)
    try:
        connected = bool(client is not None and client.is_connected())
    except Exception:  # noqa: BLE001 - a health check never raises
        connected = False
    status, body = health(engine)
    body["socket"] = "connected" if connected else "disconnected"
    if not connected:
        body["status"] = "unavailable"
        status = "503 Service Unavailable"
    return status, body


def run_socket_mode(app: App, config: SlackConfig, engine: EngineLike | None = None) -> None:
    """Socket Mode: connect out to Slack over a WebSocket and block; ``/healthz`` and ``/metrics``
    on HOST:PORT meanwhile (a port that is taken is logged, not fatal: Slack does not need it)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, app_token=config.app_token)
    operations: HttpServer | None = None
    if engine is not None:
        try:
            operations = HttpServer(make_operations_app(lambda: socket_health(handler, engine)), config.host, config.port,
                                    threads=2).start_in_thread()
            logger.info("Health and metrics on http://%s:%s%s and %s", config.host, operations.port, HEALTH_PATH, METRICS_PATH)
        except OSError as error:
            logger.error("No health endpoint: cannot listen on %s:%s (%s)", config.host, config.port, error.strerror or error)
    logger.info("Rolecall connecting to Slack (Socket Mode)")
    try:
        handler.start()
    finally:
        handler.close()
        if operations is not None:
            operations.stop()


def _stop_on_sigterm() -> Any:
    """Containers stop with SIGTERM: turn it into a clean exit. Returns the handler it replaced."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    return signal.signal(signal.SIGTERM, stop)
