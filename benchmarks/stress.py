"""Stress: ``rolecall serve`` under signed Slack traffic while its pages change.

    python -m benchmarks.stress --seconds 20 --concurrency 16

What it does, all on 127.0.0.1 and bounded by ``--seconds`` and ``--max-requests``:

* copies ``seeds/`` to a temporary folder and starts ``rolecall serve`` (``python -m bot.cli serve``,
  HTTP mode, a free port) on it, with its own temporary index (``ROLECALL_DB``), question log
  (``ROLECALL_QUESTION_LOG``) and ``ROLECALL_RELOAD_SECONDS=1``, talking to the fake Slack Web API
  of ``tests/fake_slack.py`` (``SLACK_API_URL``), which also receives the ``response_url`` posts;
* ``--concurrency`` threads send signed ``/hiring`` slash commands and ``app_mention`` events, each
  in a channel of its own so every reply can be matched to its request;
* meanwhile a thread keeps editing, adding, breaking and removing pages in the copied folder, so
  the server keeps reloading its index while it answers.

Once the traffic stops it waits for the server to finish what it acknowledged: until every request
has its reply and ``/healthz`` shows no unfinished work, for as long as replies keep coming (it gives
up only after ``drain_seconds`` without progress, and says how much work the server still had).
It then stops the server (SIGTERM, which finishes or apologises for anything left) and counts the
replies again, so an answer the server posted late is counted, not taken for lost.

At the end it prints requests sent, non-2xx answers and client errors, replies received at the
fake Slack against the number expected (missing, duplicated, apologies, refused by Slack, busy
notices), question log rows against questions sent (lost rows), the server's tracebacks and exit
code, and the ack and reply latency percentiles. On a failure it also names each request left
without a reply (what it asked, when, its ack) and quotes the server's log lines about work it
lost, redelivered or left unfinished. The exit code is 1 when anything was wrong, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
HOST = "127.0.0.1"  # loopback only, on purpose
QUESTIONS = [
    "who does the Associate Sales Operations Analyst report to?",
    "what's grade 7?",
    "interview steps for Inside Sales, Mid-Market",
    "responsibilities of the Sr. Sales Operations Manager",
    "who reports to the Manager, Sales Operations?",
    "which roles need Zuora?",
    "requirements for the Director of Sales Operations",
    "career ladder for Sales Operations",
    "what grade is the stress test role 1?",  # a page the editor adds and removes
    "who does the chief happiness officer report to?",  # not_found, on purpose
    "and what grade is it?",  # a follow-up without context
    "<!channel> what's grade 8?",
]
APOLOGIES = ("Sorry, I couldn't answer that just now", "Sorry, something went wrong",
             "Sorry, my answer to your question could not be delivered")
BUSY = "I'm answering a lot of questions right now"  # a full work queue's notice (bot.slack.front.BUSY)
# Server log lines that say what became of work it could not simply answer (quoted when a reply is missing).
WORK_LOG_MARKS = ("Work item", "Stopping", "died", "is hung", "work queue is full", "could not be done")
MISSING_NAMED = 10  # requests without a reply named one by one in the report, at most
# Variables of the caller's environment that would change what the server does.
SCRUBBED = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "HOST", "PORT",
            "ROLECALL_SEEDS", "ROLECALL_DB", "ROLECALL_QUESTION_LOG", "ROLECALL_ALLOWED_TEAMS",
            "ROLECALL_ALLOWED_CHANNELS", "ROLECALL_ADMINS", "ROLECALL_LOG_RETENTION_DAYS")
MAX_SECONDS = 600.0
MAX_CONCURRENCY = 256


@dataclass
class Sent:
    """One request to the server and what became of it."""

    kind: str  # "command" or "mention"
    channel: str
    started: float
    question: str = ""
    status: int = 0
    ack_seconds: float = 0.0
    ack_body: str = ""
    error: str = ""


@dataclass
class Report:
    seconds: float
    concurrency: int
    sent: list[Sent] = field(default_factory=list)
    edits: int = 0
    replies: dict[str, list[Any]] = field(default_factory=dict)  # channel -> calls answering it
    rejected: int = 0
    log_rows: int | None = None
    server_exit: int | None = None
    tracebacks: int = 0
    reloads: int = 0
    delivery: dict[str, int] = field(default_factory=dict)  # the server's /healthz "delivery" counters
    busy_notices: int = 0  # posted notices that the work queue was full (a busy ack counts in ``busy_acks``)
    drained: float = 0.0  # seconds waited for the server to finish after the traffic stopped
    unfinished: int | None = None  # work items the server still held when the wait ended (None: not known)
    started: float = 0.0  # time.monotonic() when the traffic started
    notes: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # printed only on a failure: what pins a loss down

    @property
    def acked(self) -> list[Sent]:
        return [s for s in self.sent if 200 <= s.status < 300]

    @property
    def non_2xx(self) -> int:
        return sum(1 for s in self.sent if s.status and not 200 <= s.status < 300)

    @property
    def client_errors(self) -> int:
        return sum(1 for s in self.sent if s.error)

    @property
    def missing(self) -> int:
        return sum(1 for s in self.acked if not self.replies.get(s.channel))

    @property
    def duplicated(self) -> int:
        return sum(len(calls) - 1 for calls in self.replies.values() if len(calls) > 1)

    @property
    def busy_acks(self) -> int:
        return sum(1 for s in self.acked if BUSY in s.ack_body)

    @property
    def apologies(self) -> int:
        return sum(1 for calls in self.replies.values() for call in calls if any(a in call.text for a in APOLOGIES))

    @property
    def lost_rows(self) -> int:
        return max(0, len(self.acked) - (self.log_rows or 0))

    @property
    def extra_rows(self) -> int:
        return max(0, (self.log_rows or 0) - len(self.acked))

    @property
    def errors(self) -> int:
        """Everything that counts as a failure, apart from lost rows."""
        return (self.non_2xx + self.client_errors + self.missing + self.duplicated + self.apologies + self.rejected
                + self.busy_acks + self.busy_notices + self.extra_rows + self.tracebacks + self.delivery.get("answers_lost", 0) + (self.server_exit != 0) + (len(self.sent) == 0) + len(self.notes))

    @property
    def ok(self) -> bool:
        return self.errors == 0 and self.lost_rows == 0 and self.log_rows is not None

    def lines(self) -> list[str]:
        commands = sum(1 for s in self.sent if s.kind == "command")
        reply_latencies = [calls[0].at - s.started for s in self.acked if (calls := self.replies.get(s.channel))]
        received = sum(len(calls) for calls in self.replies.values())
        return [
            f"stress: {self.seconds:.1f} s, concurrency {self.concurrency}, {self.edits} page edits, {self.reloads} index reloads seen",
            f"requests sent: {len(self.sent)} ({commands} slash commands, {len(self.sent) - commands} mentions)",
            f"non-2xx: {self.non_2xx}",
            f"client errors: {self.client_errors}",
            f"replies received: {received} of {len(self.acked)} expected (missing {self.missing}, duplicated {self.duplicated}, "
            f"apologies {self.apologies}, refused by Slack {self.rejected}, busy {self.busy_acks + self.busy_notices})",
            f"drain: {self.drained:.1f} s, server work unfinished at its end: "
            + ("unknown" if self.unfinished is None else str(self.unfinished)),
            f"question log rows: {self.log_rows} of {len(self.acked)} questions sent (lost {self.lost_rows}, extra {self.extra_rows})",
            f"ack latency ms: {percentiles([s.ack_seconds for s in self.acked])}",
            f"reply latency ms: {percentiles(reply_latencies)}",
            f"server: exit {self.server_exit}, tracebacks {self.tracebacks}",
            "server delivery: " + (", ".join(f"{k.replace('_', ' ')} {v}" for k, v in self.delivery.items()) or "unknown"),
            *(f"problem: {note}" for note in self.notes),
            *(f"detail: {line}" for line in (self.details if not self.ok else [])),
            f"errors: {self.errors}",
            f"lost rows: {self.lost_rows}",
            "result: " + ("OK" if self.ok else "FAILED"),
        ]


def percentiles(seconds: list[float]) -> str:
    """p50/p95/p99 in milliseconds (nearest rank)."""
    if not seconds:
        return "p50 -  p95 -  p99 -"
    ordered = sorted(seconds)

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))] * 1000

    return f"p50 {rank(50):.1f}  p95 {rank(95):.1f}  p99 {rank(99):.1f}"


def load_fake_slack() -> Any:
    """tests/fake_slack.py: the fake Web API, the signed sender and the test credentials."""
    tests = str(ROOT / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    import fake_slack  # noqa: PLC0415 (a test helper, importable only with tests/ on the path)

    return fake_slack


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- the page editor


class PageEditor(threading.Thread):
    """Keeps changing the pages folder: edits in place and atomically, adds, breaks, fixes and removes pages."""

    def __init__(self, folder: Path, interval: float, stop: threading.Event) -> None:
        super().__init__(name="stress-editor", daemon=True)
        self.folder = folder
        self.interval = interval
        self.stop_event = stop
        self.edits = 0
        self.error: str = ""

    def run(self) -> None:
        steps = [self.touch_bdr, self.add_extra, self.regrade_sales_ops, self.break_extra, self.fix_extra, self.remove_extra]
        step = 0
        while not self.stop_event.wait(self.interval):
            try:
                steps[step % len(steps)](step // len(steps))
            except OSError as error:  # the stress run reports it; the server must cope with anything on disk anyway
                self.error = f"page editor: {type(error).__name__}: {error}"
                return
            self.edits += 1
            step += 1

    def touch_bdr(self, round_: int) -> None:
        page = self.folder / "jobs--business-development-representative.md"
        text = page.read_text(encoding="utf-8").split("\n<!-- stress", 1)[0]
        page.write_text(text + f"\n<!-- stress edit {round_} -->\n", encoding="utf-8")  # in place, as an editor saves

    def add_extra(self, round_: int) -> None:
        n = round_ % 3 + 1
        text = f"---\ntitle: Stress Test Role {n}\n---\n\nThe Stress Test Role {n} is a grade {5 + n}.\nThe Stress Test Role {n} reports to the Manager, Sales Operations.\n"
        self.write_atomically(self.folder / f"stress--extra-{n}.md", text)

    def regrade_sales_ops(self, round_: int) -> None:
        page = self.folder / "sales--sales-operations.md"
        text = page.read_text(encoding="utf-8")
        for grade in range(5, 13):
            old = f"The Manager, Sales Operations is a [grade {grade}]"
            if old in text:
                new = f"The Manager, Sales Operations is a [grade {8 + round_ % 2}]"
                self.write_atomically(page, text.replace(old, new))
                return

    def break_extra(self, round_: int) -> None:
        page = self.folder / f"stress--extra-{round_ % 3 + 1}.md"
        if page.exists():
            page.write_bytes(b"\x00\x00 half-written \xff\xfe")

    def fix_extra(self, round_: int) -> None:
        self.add_extra(round_)

    def remove_extra(self, round_: int) -> None:
        (self.folder / f"stress--extra-{(round_ + 1) % 3 + 1}.md").unlink(missing_ok=True)

    @staticmethod
    def write_atomically(path: Path, text: str) -> None:
        temporary = path.with_name(f".{path.name}.tmp")  # not *.md: the indexer never reads it
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)


# --------------------------------------------------------------------------- the run


def run(seconds: float, concurrency: int, max_requests: int, edit_interval: float = 0.2,
        drain_seconds: float = 20.0, http_threads: int | None = None) -> Report:
    """Start everything, send traffic for ``seconds`` (or ``max_requests``), collect the report."""
    fake_slack = load_fake_slack()
    report = Report(seconds=seconds, concurrency=concurrency)
    with tempfile.TemporaryDirectory(prefix="rolecall-stress-") as tmp, fake_slack.FakeSlack() as fake:
        work = Path(tmp)
        pages = work / "pages"
        shutil.copytree(SEEDS, pages)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
        env.update({
            "SLACK_BOT_TOKEN": fake_slack.BOT_TOKEN,
            "SLACK_SIGNING_SECRET": fake_slack.SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
            "HOST": HOST,
            "PORT": str(port),
            "ROLECALL_SEEDS": str(pages),
            "ROLECALL_DB": str(work / "index.sqlite"),
            "ROLECALL_QUESTION_LOG": str(work / "questions.sqlite"),
            "ROLECALL_RELOAD_SECONDS": "1",
            "ROLECALL_LOG_LEVEL": "INFO",
            # Room in the work queue for every request the run may send: the senders wait only for
            # acks, so on a slow machine they can get thousands ahead of the answers, and a full queue
            # refuses with "busy" (counted as errors here). This run is about work surviving reloads
            # and stops; the bounded queue's busy replies are tests/test_front_limits.py's.
            "ROLECALL_QUEUE_LIMIT": str(max_requests),
        })
        if http_threads:
            env["ROLECALL_HTTP_THREADS"] = str(http_threads)
        output_path = work / "serve.log"
        with output_path.open("w") as output:
            server = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], cwd=ROOT, env=env,
                                      stdout=output, stderr=subprocess.STDOUT)
            try:
                fake_slack.wait_for_health(f"http://{HOST}:{port}/healthz", server, timeout=60.0)
                send_traffic(fake_slack.SlackSender(f"http://{HOST}:{port}/slack/events", fake=fake),
                             pages, report, seconds, concurrency, max_requests, edit_interval)
                wait_until_answered(fake, report, f"http://{HOST}:{port}/healthz", drain_seconds)
                report.delivery = fetch_delivery(f"http://{HOST}:{port}/healthz")
            except RuntimeError as error:
                report.notes.append(str(error))
            finally:
                report.server_exit = fake_slack.stop_server(server)
        collect_replies(fake, report)  # after the stop: what the server answered while stopping counts too
        text = output_path.read_text(errors="replace")
        report.tracebacks = text.count("Traceback (most recent call last)")
        report.reloads = text.count("index updated")
        if report.edits and not report.reloads and seconds >= 3:
            report.notes.append("pages changed but the server never reloaded them")
        if fake_slack.BOT_TOKEN in text or fake_slack.SIGNING_SECRET in text:
            report.notes.append("a secret appeared in the server's output")
        if report.tracebacks:
            report.notes.append("first server traceback:\n" + text[text.index("Traceback"):][:1500])
        report.log_rows = count_log_rows(work / "questions.sqlite")
        report.details = loss_details(report, text) if report.missing else []
    return report


def send_traffic(slack: Any, pages: Path, report: Report, seconds: float, concurrency: int,
                 max_requests: int, edit_interval: float) -> None:
    """``concurrency`` senders until the time or the request budget is spent, with the page editor running."""
    lock = threading.Lock()
    counter = iter(range(max_requests))
    deadline = time.monotonic() + seconds
    stop_editing = threading.Event()
    editor = PageEditor(pages, edit_interval, stop_editing)

    def sender(worker: int) -> None:
        rng = random.Random(worker)
        while time.monotonic() < deadline:
            with lock:
                number = next(counter, None)
            if number is None:
                return
            question = QUESTIONS[rng.randrange(len(QUESTIONS))]
            kind = "command" if number % 2 == 0 else "mention"
            channel = slack.new_id("C")
            user = f"U0STRESS{number % 40:02d}"
            sent = Sent(kind, channel, time.monotonic(), question)
            try:
                if kind == "command":
                    reply = slack.command(question, channel=channel, user=user)
                else:
                    reply, _ = slack.mention(question, channel=channel, user=user)
                sent.status, sent.ack_body = reply.status, reply.body
            except OSError as error:
                sent.error = type(error).__name__
            sent.ack_seconds = time.monotonic() - sent.started
            with lock:
                report.sent.append(sent)

    report.started = time.monotonic()
    editor.start()
    workers = [threading.Thread(target=sender, args=(n,), name=f"stress-{n}", daemon=True) for n in range(concurrency)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=seconds + 60)  # each request is bounded by the sender's own 10 s timeout
    stop_editing.set()
    editor.join(timeout=10)
    report.edits = editor.edits
    if editor.error:
        report.notes.append(editor.error)


def wait_until_answered(fake: Any, report: Report, health_url: str, drain_seconds: float) -> None:
    """Wait until every acknowledged request has its reply and the server holds no unfinished work,
    for as long as it makes progress: give up only after ``drain_seconds`` without a new reply.

    Why not a fixed wait: the senders only wait for acks, so the server may still be working through
    seconds of queued answers when the traffic stops, and on a slow machine a fixed 20 s ran out
    first: the server, stopped then, dropped what it still had queued (it now finishes it or says so).
    Answers arriving late are answers, and are counted."""
    expected = {s.channel for s in report.acked}
    began = progressed = time.monotonic()
    answered = -1
    while True:
        replies = replies_by_channel(fake)
        now = time.monotonic()
        if len(replies) != answered:
            answered, progressed = len(replies), now
        if expected <= set(replies):
            report.unfinished = unfinished_work(health_url)
            if report.unfinished == 0:
                break
        elif now - progressed > drain_seconds:
            report.unfinished = unfinished_work(health_url)
            break
        time.sleep(0.1)
    report.drained = time.monotonic() - began
    time.sleep(0.5)  # a duplicate would arrive right after its original
    if report.unfinished:
        report.notes.append(f"the server still had {report.unfinished} acknowledged work item(s) unfinished after "
                            f"{drain_seconds:.0f} s without a new reply")


def collect_replies(fake: Any, report: Report) -> None:
    """Match the replies at the fake Slack to the requests; count busy notices and refused calls."""
    report.replies = replies_by_channel(fake)
    report.rejected = len(fake.rejected())
    report.busy_notices = sum(1 for call in fake.calls("chat.postEphemeral") if BUSY in call.text)


def unfinished_work(health_url: str) -> int | None:
    """Work items the server has acknowledged and not finished (``/healthz``: its backlog and each
    worker's unfinished items); None when it does not say."""
    try:
        with urllib.request.urlopen(health_url, timeout=10) as response:
            workers = json.loads(response.read()).get("workers") or {}
    except (OSError, ValueError):
        return None
    return int(workers.get("backlog") or 0) + sum(int(w.get("unfinished") or 0) for w in workers.get("processes") or [])


def loss_details(report: Report, server_log: str) -> list[str]:
    """What pins a missing reply down next time: each request without one (what, when, its ack) and the
    server's log lines about work it lost, redelivered, refused or left unfinished."""
    missing = [s for s in report.acked if not report.replies.get(s.channel)]
    lines = [f"no reply to the {s.kind} in {s.channel} ({s.question!r}), sent at +{s.started - report.started:.2f} s, "
             f"acked {s.status} in {s.ack_seconds * 1000:.0f} ms{' with ' + repr(s.ack_body[:80]) if s.ack_body else ''}"
             for s in missing[:MISSING_NAMED]]
    if len(missing) > MISSING_NAMED:
        lines.append(f"... and {len(missing) - MISSING_NAMED} more")
    marked = [line for line in server_log.splitlines() if any(mark in line for mark in WORK_LOG_MARKS)]
    lines.extend(f"server log: {line[:300]}" for line in marked[-20:])
    return lines


def replies_by_channel(fake: Any) -> dict[str, list[Any]]:
    """Answers at the fake Slack by the channel they answer: mentions by ``channel``, commands by their response_url."""
    replies: dict[str, list[Any]] = {}
    for call in fake.calls():
        if call.method == "chat.postMessage":
            channel = call.params.get("channel")
        elif call.method == "response_url" and "/response/cmd-" in call.path:
            channel = call.path.rsplit("/response/cmd-", 1)[1]
        else:
            continue
        replies.setdefault(str(channel), []).append(call)
    return replies


def fetch_delivery(url: str) -> dict[str, int]:
    """How the server says its answers fared (delivered, maybe delivered, undelivered, apologies, lost)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return dict(json.loads(response.read()).get("delivery") or {})
    except (OSError, ValueError):
        return {}


def count_log_rows(path: Path) -> int | None:
    """Questions the server logged from Slack (the stress run sends nothing else)."""
    if not path.exists():
        return None
    with sqlite3.connect(path) as db:
        return int(db.execute("select count(*) from questions where surface in ('slack:command', 'slack:mention')").fetchone()[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stress", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to send requests (default 20, at most 600)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent senders (default 16)")
    parser.add_argument("--max-requests", type=int, default=20_000, help="stop after this many requests (default 20000)")
    parser.add_argument("--edit-interval", type=float, default=0.2, help="seconds between page changes (default 0.2)")
    parser.add_argument("--http-threads", type=int, default=None, help="ROLECALL_HTTP_THREADS for the server (default: its own, 32)")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be in (0, {MAX_SECONDS:.0f}]")
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        parser.error(f"--concurrency must be 1..{MAX_CONCURRENCY}")
    if args.max_requests < 1:
        parser.error("--max-requests must be at least 1")
    if args.edit_interval <= 0:
        parser.error("--edit-interval must be positive")
    report = run(args.seconds, args.concurrency, args.max_requests, args.edit_interval, http_threads=args.http_threads)
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
