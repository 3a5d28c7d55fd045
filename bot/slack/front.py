"""The ack-only front of ``rolecall serve`` in HTTP mode with answer workers.

The front process is Bolt with every listener of :mod:`bot.slack.listeners` registered, but it has
no engine: it never opens the index and never computes an answer. For each Slack request it runs
the listener as far as the listener can go without the engine or a Slack post:

* the signature check and Events API retry dedupe (middleware, as in one process);
* the listener's own access rules, refusals in the ack (``/hiring`` outside the allowlists),
  message dedupe (``answered``) and the conversation context it reads;
* the ack.

The first thing that needs an answer worker (the engine, the catalog, the question log, a Web
API call, a ``response_url`` post) raises :class:`Handoff` inside the listener. The front then
hands the request itself (its body, as Slack sent it) with the contexts the listener read to an
answer worker (:mod:`bot.slack.workers`), which runs the same listener on the same request from
the start, with that context and without dedupe, and hands back the contexts it set. A request
whose ack carries data from the index (the role picker's options, a "Look up a role"
submission) is handed over before its ack and the front waits (at most 2.5 s) for the worker's.

So every listener keeps one definition, used alike by one process (Socket Mode, tests,
``ROLECALL_WORKERS=0``), by the front and by the workers.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import itertools
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.context.ack import Ack
from slack_bolt.middleware import Middleware
from slack_bolt.request.internals import build_normalized_headers
from slack_sdk import WebClient

from bot import metrics
from bot.slack.config import SlackConfig
from bot.slack.core import ACK_WAIT_SECONDS, COMMAND, SlackBot
from bot.slack.server import FORM_KEY
from bot.slack.delivery import FAILED
from bot.slack.state import FrontContexts, context_store

logger = logging.getLogger("rolecall.slack")

BUSY = "I'm answering a lot of questions right now and can't take yours. Please try again in a minute."
BUSY_NOTICES_PENDING = 32  # busy notices posted through the Web API at once at most; past that the user is not told
REFUSALS_LOG_SECONDS = 10.0  # one log line at most this often while the queue is full

_item_ids = itertools.count(1)


def next_item_id() -> int:
    """A work item id unique in this process (the front's items and those it takes from a shared stream)."""
    return next(_item_ids)


class Handoff(BaseException):
    """Raised inside a listener running in the front where it needs an answer worker.

    A BaseException, so that the listeners' own ``except Exception`` (which turn engine
    failures into apologies) let it through to :meth:`FrontBot.deferred`.
    """


@dataclass
class WorkItem:
    """One Slack request handed to an answer worker."""

    id: int
    body: str  # the raw body, as Slack sent it (form or JSON)
    headers: dict[str, list[str]]
    contexts: dict[Hashable, str | None]  # conversation key -> context the listener read in the front
    wants_ack: bool  # the front is waiting for the listener's ack (options, view submissions)
    reach: dict[str, str | None]  # how to tell the user if the work is lost (response_url, channel, user, thread)
    acked_at: float = field(default_factory=time.time)
    attempt: int = 1
    stream_id: str | None = None  # its entry in the shared Redis stream (bot.slack.workqueue), if it came from there
    # Keys of ``contexts`` the shared work queue reads from Redis as it adds the item (``contexts`` holds
    # this process's own value, kept when Redis has none): see FastCommands.
    reread: tuple[Hashable, ...] = ()


@dataclass
class WorkResult:
    """What a worker hands back: the contexts its listener set that the front has not had yet (those set
    after its last Slack call), its ack (when the front waits for it)."""

    id: int
    contexts: dict[Hashable, str] = field(default_factory=dict)
    ack: tuple[tuple[Any, ...], dict[str, Any]] | None = None
    events: list[tuple[Any, ...]] = field(default_factory=list)  # bot.metrics events to apply in the front


_local = threading.local()


def in_front_pass() -> bool:
    return getattr(_local, "noted", None) is not None


def _noted() -> dict[Hashable, str | None] | None:
    return getattr(_local, "noted", None)


def _read_later() -> list[Hashable] | None:
    return getattr(_local, "read_later", None)


class NoEngine:
    """The front's engine: every use of it means the work belongs to an answer worker."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def __getattr__(self, name: str) -> Any:
        if in_front_pass():
            raise Handoff(name)
        raise RuntimeError(f"the front has no engine (engine.{name} used outside a listener)")


class FrontWebClient(WebClient):
    """The client listeners get in the front: a Web API call inside a listener is the worker's to make."""

    def api_call(self, api_method: str, **kwargs: Any) -> Any:  # type: ignore[override]
        if in_front_pass():
            raise Handoff(api_method)
        return super().api_call(api_method, **kwargs)


class FrontRequest(Middleware):
    """Keep the request at hand for :meth:`FrontBot.deferred`, and give listeners the front's client
    (one for all requests: inside a listener it never calls Slack, it hands the work over)."""

    def __init__(self, client: WebClient) -> None:
        self.client = FrontWebClient(token=client.token, base_url=client.base_url, timeout=client.timeout,
                                     logger=client.logger, retry_handlers=client.retry_handlers)

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        req.context["client"] = self.client
        _local.request = req  # Bolt runs the listener in this thread once every middleware has returned
        return next()


class FrontBot(SlackBot):
    """:class:`SlackBot` for the front: listeners run until their hand-off, then a worker takes over."""

    def __init__(self, config: SlackConfig, submit: Callable[[WorkItem], bool | None],
                 call: Callable[[WorkItem, float], WorkResult | None]) -> None:
        super().__init__(NoEngine(config.handbook_url), context_ttl=config.context_ttl, access=config.access,
                         http_timeout=config.http_timeout, handoff_channel=config.handoff_channel,
                         handbook_url=config.handbook_url)
        self.contexts = FrontContexts(context_store(config.context_ttl), _noted, _read_later)  # type: ignore[assignment]
        # No answer slots in the front: it computes no answer, and its request threads must not queue
        # on a semaphore on their way to the hand-off.
        self.answering = contextlib.nullcontext()  # type: ignore[assignment]
        self._submit = submit
        self._call = call
        self._notices = ThreadPoolExecutor(max_workers=2, thread_name_prefix="rolecall-busy")
        self._notices_free = threading.BoundedSemaphore(BUSY_NOTICES_PENDING)
        self.client: WebClient | None = None  # set by build_front_app: where busy notices are posted
        self._refusals_lock = threading.Lock()
        self._refusals = 0
        self._refusals_logged = -REFUSALS_LOG_SECONDS
        self.fast: FastCommands | None = None  # set by build_front_app

    def deferred(self, listener: Callable[..., None]) -> Callable[..., None]:
        takes_ack = "ack" in inspect.signature(listener).parameters

        @functools.wraps(listener)
        def run(**kwargs: Any) -> None:
            request: BoltRequest | None = getattr(_local, "request", None)
            _local.request = None
            acked = not takes_ack  # events are acknowledged by Bolt itself
            real_ack = kwargs.get("ack")
            if takes_ack:
                def ack(*args: Any, **ack_kwargs: Any) -> None:
                    nonlocal acked
                    acked = True
                    real_ack(*args, **ack_kwargs)

                kwargs["ack"] = ack
            noted: dict[Hashable, str | None] = {}
            _local.noted = noted
            try:
                listener(**kwargs)
                return  # all done here: a refusal, an event nothing needs to answer
            except Handoff:
                pass
            except Exception:
                logger.exception("A listener failed")
                return
            finally:
                _local.noted = None
            if request is None:
                logger.error("A listener needs an answer worker but its request is unknown")
                return
            item = WorkItem(next_item_id(), request.raw_body, {k: list(v) for k, v in request.headers.items()},
                            noted, wants_ack=not acked, reach=reach_of(request.body),
                            reread=tuple(_read_later() or ()))
            if acked:
                if self._submit(item) is False:
                    self.busy(item, real_ack if takes_ack and request.body.get("command") else None)
                return
            result = self._call(item, ACK_WAIT_SECONDS)
            if result is not None and result.ack is not None:
                args, ack_kwargs = result.ack
                real_ack(*args, **ack_kwargs)
            else:
                logger.error("No answer worker acknowledged in time; acknowledged empty")
                real_ack()

        return run

    def post_response(self, response_url: str | None, payload: Mapping[str, Any]) -> str:
        if in_front_pass():
            raise Handoff("response_url")
        return super().post_response(response_url, payload)

    def busy(self, item: WorkItem, ack: Callable[..., None] | None) -> None:
        """The work queue is full: say so. A slash command hears it in its ack (its ack is sent when the
        listener returns, so this replaces the empty one); anything else gets an ephemeral notice
        through the Web API from a small pool, at most :data:`BUSY_NOTICES_PENDING` at once."""
        if ack is not None:
            ack(text=BUSY, response_type="ephemeral")
            self._refused(item, True)
            return
        if not item.reach.get("user") or self.client is None or not self._notices_free.acquire(blocking=False):
            self._refused(item, False)
            return

        def tell() -> None:
            try:
                told = self.tell(self.client, item, BUSY)  # type: ignore[arg-type]
            except Exception:
                logger.exception("Could not tell a user the bot is busy")
                told = False
            finally:
                self._notices_free.release()
            self._refused(item, told)

        self._notices.submit(tell)

    def _refused(self, item: WorkItem, told: bool) -> None:
        metrics.WORK_REFUSED.labels(outcome="told" if told else "untold").inc()
        with self._refusals_lock:
            self._refusals += 1
            now = time.monotonic()
            if now < self._refusals_logged + REFUSALS_LOG_SECONDS:
                return
            count, self._refusals, self._refusals_logged = self._refusals, 0, now
        logger.warning("The work queue is full: %d request(s) acknowledged and refused (each asker told it is busy "
                       "where possible) since the last such line", count)

    def tell(self, client: WebClient, item: WorkItem, text: str) -> bool:
        """Post ``text`` to the user of ``item`` only (its ``response_url``, ephemerally in its channel, or
        in its DM); False when there is nobody to tell or Slack refused."""
        from bot.slack import blocks
        from bot.slack.delivery import SENT, post_web_api

        reach = item.reach
        message = blocks.notice_message(text)
        if reach.get("response_url"):
            return self.post_response(reach["response_url"], {**message, "response_type": "ephemeral",
                                                              "replace_original": False}) == SENT
        channel, user = reach.get("channel") or "", reach.get("user")
        if channel.startswith("D"):
            return post_web_api(client.chat_postMessage, channel=channel, thread_ts=reach.get("thread_ts"), **message) == SENT
        if channel and user:
            return post_web_api(client.chat_postEphemeral, channel=channel, user=user, thread_ts=reach.get("thread_ts"),
                                **message) == SENT
        return False

    def context_set(self, key: Hashable, value: str) -> None:
        """A worker's listener set a context (told before its answer is posted): store it now."""
        self.contexts.set(key, value)

    def remember_all(self, contexts: Mapping[Hashable, str]) -> None:
        """Store the contexts a worker's listener set after its last Slack call (its result carries only
        those: the others reached :meth:`context_set` before the answer was posted)."""
        for key, value in contexts.items():
            self.contexts.set(key, value)

    def tell_lost(self, client: WebClient, item: WorkItem) -> bool:
        """Apologise for work no worker could finish; False when there is nobody to tell (an unfurl, the Home tab)."""
        reach = item.reach
        if not reach.get("user"):
            return False
        message = self.error_message()
        fallbacks: list[Callable[[], str]] = []
        if reach.get("response_url"):
            response_url = reach["response_url"]
            fallbacks.append(lambda: self.post_response(response_url, {**message, "response_type": "ephemeral",
                                                                       "replace_original": False}))
        if reach.get("channel", "").startswith("D"):  # a DM or an assistant thread: an ephemeral would land there too
            from bot.slack.delivery import post_web_api

            fallbacks.append(lambda: post_web_api(client.chat_postMessage, channel=reach["channel"],
                                                  thread_ts=reach.get("thread_ts"), **message))
        else:
            fallbacks.extend(self.apologies(client, channel=reach.get("channel"), user=reach.get("user"),
                                            thread_ts=reach.get("thread_ts")))
        self.undelivered(FAILED, "work", fallbacks)
        return True


def reach_of(body: Mapping[str, Any]) -> dict[str, str | None]:
    """Who asked and where, from any request body: what :meth:`FrontBot.tell_lost` needs."""
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    thread = event.get("assistant_thread") or {}
    container = body.get("container") or {}
    message = body.get("message") or {}
    who = body.get("user")
    where = body.get("channel")
    user = (body.get("user_id") or (who.get("id") if isinstance(who, dict) else None)
            or event.get("user") or thread.get("user_id"))
    channel = (body.get("channel_id") or (where.get("id") if isinstance(where, dict) else None)
               or container.get("channel_id") or event.get("channel") or thread.get("channel_id"))
    thread_ts = (container.get("thread_ts") or message.get("thread_ts") or event.get("thread_ts")
                 or thread.get("thread_ts"))
    if body.get("type") == "event_callback" and event.get("type") == "app_mention" and not thread_ts:
        thread_ts = event.get("ts")  # mentions are answered in a thread under them
    response_url = body.get("response_url") or next(iter(u.get("response_url") for u in body.get("response_urls") or []), None)
    return {"user": user, "channel": channel, "thread_ts": thread_ts, "response_url": response_url}


@dataclass
class FastRequest:
    """What :meth:`FrontBot.deferred` reads of a request (a BoltRequest has the same three), without building one."""

    raw_body: str
    headers: dict[str, list[str]]
    body: dict[str, Any]


class FastCommands:
    """The front's fast path for ``/hiring``: the same listener and hand-off as through Bolt, without Bolt.

    Why: through Bolt a slash command costs the front ~1.9 ms CPU (BoltRequest, middleware chain,
    listener matching, the response), and with 50 commands in flight under one interpreter lock that
    is the ack p99. The front needs none of it for a command: :func:`bot.slack.server.make_wsgi_app`
    has already verified the signature and its timestamp on the raw bytes (401/400 as before), a
    slash command is never an Events API retry, and the access rules, the context read, the ack (the
    refusal or the busy notice) and the work item all come from the very listener Bolt would run
    (:meth:`Commands.on_command` wrapped by :meth:`FrontBot.deferred`), called here directly.
    Anything that is not a ``/hiring`` form body (events, interactivity, ``ssl_check``) returns None
    and goes through Bolt as before.

    ``queue_reads_contexts``: the work goes to the replicas' shared Redis stream, whose hand-off reads
    the conversation's context from Redis in the same Lua call that adds the item (the item says which
    keys, :attr:`WorkItem.reread`): one round trip to Redis on the way to the ack instead of two. A
    command always acks and hands off (or is refused without reading a context), so the value the
    listener reads before its hand-off is never used in the front.
    """

    def __init__(self, bot: FrontBot, client: WebClient, *, queue_reads_contexts: bool = False) -> None:
        from bot.slack.listeners.commands import Commands

        self._run = bot.deferred(Commands(bot).on_command)
        self._client = client  # the front's client: inside the listener a Web API call is a hand-off
        self._reads_later = queue_reads_contexts

    def __call__(self, environ: Mapping[str, Any]) -> BoltResponse | None:
        """The ack of a signed ``/hiring`` request (its work handed on), or None: not one, Bolt's to handle."""
        parsed = environ.get(FORM_KEY)  # set by the signature check's shape test for form bodies only (not JSON)
        if parsed is None:
            return None
        text, form = parsed
        body = slash_command(text, form)
        if body is None:
            return None
        headers = build_normalized_headers(WsgiHttpRequest(environ).get_headers())  # as Bolt's WSGI adapter
        ack = Ack()
        _local.request = FastRequest(text, headers, body)
        _local.read_later = [] if self._reads_later else None
        try:
            self._run(ack=ack, command=body, client=self._client)
        finally:
            _local.request = _local.read_later = None
        metrics.FAST_ACKS.inc()
        return ack.response if ack.response is not None else BoltResponse(status=200, body="")


def slash_command(text: str, form: Mapping[str, list[str]] | None = None) -> dict[str, str] | None:
    """Bolt's body of a ``/hiring`` request, or None when Bolt would read ``text`` as anything else (JSON,
    a ``payload``, ``ssl_check``, no command or another one): what the front's and the workers' fast
    paths take. ``form``: ``text`` parsed by ``parse_qs`` already, when at hand.

    Bolt's body of a form is ``dict(parse_qsl(...))``: the last value of a repeated field wins."""
    if "command=" not in text or "payload" in text or text[:1] == "{":
        return None
    fields = form if form is not None else parse_qs(text, keep_blank_values=True)
    body = {name: values[-1] for name, values in fields.items()}
    if body.get("command") != COMMAND or "ssl_check" in body:
        return None
    return body


def build_front_app(config: SlackConfig, submit: Callable[[WorkItem], bool | None],
                    call: Callable[[WorkItem, float], WorkResult | None],
                    client: WebClient | None = None, *, queue_reads_contexts: bool = False) -> tuple[App, FrontBot]:
    """The front's Bolt app (calls ``auth.test`` once) and its :class:`FrontBot` (whose ``fast`` is
    the slash-command fast path to give :func:`bot.slack.server.make_wsgi_app`). ``queue_reads_contexts``:
    ``submit`` is the shared Redis stream's, which reads an item's contexts as it adds it."""
    from bot.slack.app import bolt_app

    app = bolt_app(config, client)
    front_request = FrontRequest(app.client)
    app.use(front_request)
    bot = FrontBot(config, submit, call)
    bot.client = app.client
    bot.register(app)
    bot.fast = FastCommands(bot, front_request.client, queue_reads_contexts=queue_reads_contexts)
    return app, bot
