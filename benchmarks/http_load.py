"""HTTP mode under load: signed ``/hiring`` slash commands against ``rolecall serve``.

``rolecall serve`` runs in its own process on 127.0.0.1 (HTTP mode, over the generated corpus's
existing index: the front, its answer workers and the indexer), talking to the fake Slack Web API
of ``tests/fake_slack.py`` (which also receives the ``response_url`` posts that carry the answers).

* **Closed loop** (sustained): ``concurrency`` client threads start together and each sends
  ``rounds`` commands one after another, the next as soon as the previous was acked.
* **Open loop**: commands are sent on a fixed schedule, ``rate`` a second for ``seconds``, whatever
  the server does (from a pool of client threads). A command's ack
  latency counts from its scheduled time, so a server (or client) that falls behind cannot hide
  it by slowing the senders down.

With ``replicas`` > 1 (``--replicas 2``) a real ``redis-server`` is started (``tests/servers.py``) and
that many ``rolecall serve`` share it (``ROLECALL_REDIS_URL``: dedupe, context and the work queue as a
Redis stream); each client sends its commands to the replicas in turn, as a load balancer would.

Ack latency is the time until the bot's HTTP 200 (what Slack's 3-second limit applies to);
answers per second count the answers that reached the fake ``response_url``. Both loops send from
kept-alive connections (:class:`LeanClient`), so that the load generator, which shares the machine,
costs the server as little CPU as it can.

    python -m benchmarks.http_load --families 1000 --seed 7 --workdir DIR --closed 50x20 --open-rate 450 --open-seconds 10
    python -m benchmarks.http_load --families 1000 --seed 7 --workdir DIR --closed 50x20 --open-rate 450 --replicas 2
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any
from pathlib import Path

from benchmarks.checks import latency_summary

ROOT = Path(__file__).resolve().parents[1]
SEQUENTIAL = 20  # unloaded reference commands
SLACK_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "HOST", "PORT")


def load_fake_slack():
    """tests/fake_slack.py (FakeSlack, SlackSender and the test credentials), or the reason it cannot be used."""
    tests = str(ROOT / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    try:
        import fake_slack  # noqa: PLC0415
    except Exception as error:  # pytest missing, or the module is mid-rewrite
        return None, f"tests/fake_slack.py not importable: {type(error).__name__}: {error}"
    missing = [n for n in ("FakeSlack", "SlackSender", "BOT_TOKEN", "SIGNING_SECRET", "command_body") if not hasattr(fake_slack, n)]
    if missing:
        return None, f"tests/fake_slack.py lacks {', '.join(missing)}"
    return fake_slack, ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set) of a running process, from /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants (the front, its answer workers and the indexer)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            for child in (task / "children").read_text().split():
                found.extend(tree(int(child)))
        except OSError:
            pass
    return found


def tree_cpu_seconds(pid: int) -> float:
    return sum(cpu_seconds(p) for p in tree(pid))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (from /proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")




def run_http_load(pages: Path, db: Path, workdir: Path, questions: list[str], *, concurrency: int = 50,
                  rounds: int = 4, start_timeout: float = 180.0, answer_timeout: float = 300.0,
                  open_rate: float | None = None, open_seconds: float = 10.0, workers: int | None = None,
                  replicas: int = 1) -> dict:
    """The load run (closed loop, then the open loop when ``open_rate`` is given), against one server or
    ``replicas`` servers sharing a real Redis; a server that does not start is reported (with its last
    log line), never raised."""
    try:
        return _run(pages, db, workdir, questions, concurrency, rounds, start_timeout, answer_timeout,
                    open_rate, open_seconds, workers, replicas)
    except Exception as error:  # noqa: BLE001 - the rest of the benchmark must still be reported
        log = workdir / "serve.log"
        tail = ""
        if log.is_file():
            lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
            tail = lines[-1] if lines else ""
        return {"skipped": f"{type(error).__name__}: {error}" + (f" ({tail})" if tail else ""), "log": str(log)}


@contextlib.contextmanager
def serving(fake_slack, fake, pages: Path, db: Path, workdir: Path, start_timeout: float,
            workers: int | None, *, log_name: str = "serve.log", redis_url: str | None = None,
            ) -> Iterator[tuple[subprocess.Popen, int, dict, float]]:
    """``rolecall serve`` in its own process on a free 127.0.0.1 port: (process, port, health, seconds to ready)."""
    port = free_port()
    log_path = workdir / log_name
    with open(log_path, "w") as log:
        env = {k: v for k, v in os.environ.items() if k not in SLACK_VARIABLES + ("ROLECALL_WORKERS", "ROLECALL_REDIS_URL")}
        env.update({
            "SLACK_BOT_TOKEN": fake_slack.BOT_TOKEN,
            "SLACK_SIGNING_SECRET": fake_slack.SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "ROLECALL_SEEDS": str(pages),
            "ROLECALL_DB": str(db),
            "ROLECALL_QUESTION_LOG": str(workdir / "questions.sqlite"),
            "ROLECALL_LOG_LEVEL": "WARNING",
        })
        if workers is not None:
            env["ROLECALL_WORKERS"] = str(workers)
        if redis_url is not None:
            env["ROLECALL_REDIS_URL"] = redis_url
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--seeds", str(pages), "--db", str(db)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            health = fake_slack.wait_for_health(f"http://127.0.0.1:{port}/healthz", process, start_timeout)
            want = (health.get("workers") or {}).get("configured", 0)
            deadline = time.monotonic() + start_timeout
            while want and (health.get("workers") or {}).get("ready", 0) < want and time.monotonic() < deadline:
                time.sleep(0.2)
                health = fake_slack.wait_for_health(f"http://127.0.0.1:{port}/healthz", process, start_timeout)
            yield process, port, health, time.perf_counter() - started
        finally:
            fake_slack.stop_server(process, timeout=30)


@contextlib.contextmanager
def fleet(fake_slack, fake, pages: Path, db: Path, workdir: Path, start_timeout: float, workers: int | None,
          replicas: int) -> Iterator[tuple[list[tuple[subprocess.Popen, int, dict, float]], str | None]]:
    """One ``rolecall serve``, or ``replicas`` of them on one real ``redis-server``, each with its own index
    file (a copy of the first one's, as a second host would build the same); and the Redis URL (or None)."""
    with contextlib.ExitStack() as stack:
        redis_url = None
        if replicas > 1:
            from servers import RedisServer  # tests/servers.py, on the path since load_fake_slack()

            redis_url = stack.enter_context(RedisServer(workdir / "redis")).url
        running = []
        for n in range(replicas):
            own_db = db if n == 0 else db.with_name(f"{db.stem}-replica{n + 1}{db.suffix}")
            if n:
                shutil.copyfile(db, own_db)
            running.append(stack.enter_context(serving(fake_slack, fake, pages, own_db, workdir, start_timeout, workers,
                                                       log_name="serve.log" if n == 0 else f"serve-{n + 1}.log",
                                                       redis_url=redis_url)))
        yield running, redis_url


class RedisCalls:
    """Commands the servers sent to Redis (``INFO commandstats``, counted from when it was made): a
    figure that, unlike time on a shared machine, is the same on every run."""

    def __init__(self, url: str | None) -> None:
        self.client = None
        if url is not None:
            import redis

            self.client = redis.Redis.from_url(url, decode_responses=True)
            self.client.config_resetstat()

    def per_command(self, commands: int) -> dict[str, Any]:
        if self.client is None:
            return {}
        stats = {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in self.client.info("commandstats").items()}
        stats.pop("config", None)
        stats.pop("info", None)
        return {"redis_calls_per_command": round(sum(stats.values()) / max(commands, 1), 2),
                "redis_calls": dict(sorted(stats.items(), key=lambda kv: -kv[1]))}


def _run(pages: Path, db: Path, workdir: Path, questions: list[str], concurrency: int, rounds: int,
         start_timeout: float, answer_timeout: float, open_rate: float | None = None, open_seconds: float = 10.0,
         workers: int | None = None, replicas: int = 1) -> dict:
    fake_slack, why = load_fake_slack()
    if fake_slack is None:
        return {"skipped": why}
    workdir.mkdir(parents=True, exist_ok=True)
    with fake_slack.FakeSlack() as fake, fleet(fake_slack, fake, pages, db, workdir, start_timeout, workers,
                                               replicas) as (running, redis_url):
        process, port, health, ready_s = running[0]
        urls = [f"http://127.0.0.1:{p}/slack/events" for _, p, _, _ in running]
        pids = [proc.pid for proc, _, _, _ in running]
        url = urls[0]
        sender = fake_slack.SlackSender(url, fake=fake)
        # one warm-up command end to end, then a clean record
        sender.command(questions[0])
        fake.wait_for("response_url", 1, timeout=60)
        fake.reset()

        # reference: the same commands one at a time (no queueing), each waited for to the answer
        sequential: list[float] = []
        for i in range(SEQUENTIAL):
            start = time.perf_counter()
            sender.command(questions[i % len(questions)])
            sequential.append((time.perf_counter() - start) * 1000)
            fake.wait_for("response_url", i + 1, timeout=60)
        fake.reset()

        calls = RedisCalls(redis_url)
        ports = [p for _, p, _, _ in running]
        figures = FrontFigures(ports)
        result = closed_loop(fake_slack, fake, urls, questions, concurrency, rounds, pids, answer_timeout)
        result.update(calls.per_command(result["requests"]))
        result.update(figures.delta())
        result.update({
            "ack_sequential": latency_summary(sequential),
            "server_ready_s": ready_s,
            "server_pages": health.get("pages"),
            "server_roles": health.get("roles"),
            "server_workers": (health.get("workers") or {}).get("configured", 0),
            "replicas": replicas,
            "log": str(workdir / "serve.log"),
        })
        if open_rate:
            time.sleep(1.0)
            fake.reset()
            calls = RedisCalls(redis_url)
            figures = FrontFigures(ports)
            result["open_loop"] = open_loop(fake_slack, fake, urls, questions, open_rate, open_seconds, pids, answer_timeout)
            result["open_loop"].update(calls.per_command(result["open_loop"]["requests"]))
            result["open_loop"].update(figures.delta())
        everything = [p for pid in pids for p in tree(pid)]
        peaks = [peak_rss_mb(p) for p in everything]
        result["server_peak_rss_mb"] = max(peaks)  # the largest process (front, a worker or the indexer)
        result["server_front_peak_rss_mb"] = peak_rss_mb(pids[0])
        result["server_total_rss_mb"] = sum(peaks)
        result["server_processes"] = len(everything)
    return result


class FrontFigures:
    """What the fronts' own ``/metrics`` say about a loop (read before and after it): their garbage
    collections (count, seconds, the longest bucket reached, by generation) and their server-side ack
    times (``rolecall_ack_seconds``: from the WSGI call to its return, so without waitress's reading and
    writing and without the client's own waits), counted over 25 / 100 ms. A client-side tail that the
    server-side figures do not show was spent outside the front's application code."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.before = [self._read(port) for port in ports]

    @staticmethod
    def _read(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        from prometheus_client.parser import text_string_to_metric_families

        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
                text = response.read().decode()
        except OSError:
            return {}
        wanted = ("rolecall_gc_pause_seconds", "rolecall_ack_seconds")
        return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
                for family in text_string_to_metric_families(text) if family.name in wanted
                for sample in family.samples}

    def delta(self) -> dict[str, Any]:
        after = [self._read(port) for port in self.ports]
        change: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        for old, new in zip(self.before, after):
            for key, value in new.items():
                change[key] = change.get(key, 0.0) + value - old.get(key, 0.0)

        def value(name: str, **labels: str) -> float:
            return change.get((name, tuple(sorted(labels.items()))), 0.0)

        gc_figures = {}
        for generation in ("0", "1", "2"):
            count = value("rolecall_gc_pause_seconds_count", generation=generation)
            bounds = sorted({float(dict(k[1])["le"]) for k in change if k[0] == "rolecall_gc_pause_seconds_bucket"
                             and dict(k[1]).get("generation") == generation and dict(k[1])["le"] != "+Inf"})
            longest = next((b for b in bounds if value("rolecall_gc_pause_seconds_bucket", generation=generation,
                                                       le=str(b)) >= count), float("inf")) if count else 0.0
            gc_figures[generation] = {"count": int(count), "ms": round(1000 * value("rolecall_gc_pause_seconds_sum",
                                                                                   generation=generation), 1),
                                      "longest_ms_at_most": round(1000 * longest, 2)}
        acks = value("rolecall_ack_seconds_count")
        return {"front_gc": gc_figures, "front_acks_counted": int(acks),
                "front_ack_mean_ms": round(1000 * value("rolecall_ack_seconds_sum") / acks, 2) if acks else None,
                "front_acks_over_25ms": int(acks - value("rolecall_ack_seconds_bucket", le="0.025")),
                "front_acks_over_100ms": int(acks - value("rolecall_ack_seconds_bucket", le="0.1"))}


class LeanClient:
    """One kept-alive connection sending signed ``/hiring`` commands shaped like Slack's, with as little
    client CPU as it takes (the load generator shares the machine with the server).

    The request bytes are what ``http.client`` sent (the same request line and headers, in the same
    order), written with one ``sendall``; the reply is read straight off the socket (status line,
    ``Content-Length`` body, or a chunked one). Why not ``http.client``: it parses every reply's headers
    with the ``email`` package, which with the fake Slack's own request parsing made the load generator
    cost more CPU a command than the front it measures (1.9 ms against 1.3-1.8 ms, same machine)."""

    def __init__(self, fake_slack, fake, urls: list[str], questions: list[str], tag: str) -> None:
        self.targets = [urllib.parse.urlsplit(url) for url in urls]
        self.secret = fake_slack.SIGNING_SECRET.encode()
        self.team = fake_slack.TEAM_ID
        self.command_body = fake_slack.command_body
        self.fake = fake
        self.questions = questions
        self.tag = tag
        self.conns: list[socket.socket | None] = [None] * len(self.targets)
        self.sent = 0
        self.busy = 0  # acks that said the bot is busy (a full work queue): no answer follows

    def body(self, i: int, user: str) -> bytes:
        """Command number ``i``'s form body (its own channel and response_url)."""
        return self.command_body(self.questions[i % len(self.questions)], channel=f"C{i:08d}", user=user,
                                 team=self.team, response_url=self.fake.response_url(f"{self.tag}-{i}")).encode()

    def send(self, i: int, user: str, body: bytes | None = None) -> int:
        """Command number ``i`` (``body``: its form body made beforehand) to the next server in turn; the
        HTTP status, 0 on a connection error."""
        turn = self.sent % len(self.targets)
        self.sent += 1
        data = body if body is not None else self.body(i, user)
        timestamp = str(int(time.time())).encode()
        signature = hmac.new(self.secret, b"v0:" + timestamp + b":" + data, hashlib.sha256).hexdigest().encode()
        target = self.targets[turn]
        request = b"".join((
            b"POST ", target.path.encode(), b" HTTP/1.1\r\nHost: ", target.netloc.encode(),
            b"\r\nAccept-Encoding: identity\r\nContent-Length: ", str(len(data)).encode(),
            b"\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Slack-Request-Timestamp: ", timestamp,
            b"\r\nX-Slack-Signature: v0=", signature, b"\r\n\r\n", data))
        try:
            conn = self.conns[turn]
            if conn is None:
                conn = self.conns[turn] = socket.create_connection((target.hostname, target.port), timeout=10)
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.sendall(request)
            status, reply, keep = read_reply(conn)
        except (OSError, ValueError):
            self._drop(turn)
            return 0
        if not keep:
            self._drop(turn)
        if b"try again in a minute" in reply:
            self.busy += 1
        return status

    def _drop(self, turn: int) -> None:
        conn, self.conns[turn] = self.conns[turn], None
        if conn is not None:
            conn.close()

    def close(self) -> None:
        for turn in range(len(self.conns)):
            self._drop(turn)


def _receive_until(conn: socket.socket, data: bytes, done: Callable[[bytes], bool], where: str) -> bytes:
    """``data`` and what ``conn`` sends next, until ``done(data)``; ValueError if it closes first."""
    while not done(data):
        chunk = conn.recv(65536)
        if not chunk:
            raise ValueError(f"the connection closed {where}")
        data += chunk
    return data


def read_reply(conn: socket.socket) -> tuple[int, bytes, bool]:
    """One HTTP/1.1 reply off ``conn``: (status, body, whether the connection stays open). ValueError
    when it is not one (cut short, or no length the body can be read by)."""
    buffer = _receive_until(conn, b"", lambda data: b"\r\n\r\n" in data, "before a reply")
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    keep = headers.get(b"connection", b"").lower() != b"close"
    if b"content-length" in headers:
        length = int(headers[b"content-length"])
        return status, _receive_until(conn, rest, lambda data: len(data) >= length, "inside a reply")[:length], keep
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = b""
        while True:
            rest = _receive_until(conn, rest, lambda data: b"\r\n" in data, "inside a chunked reply")
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            rest = _receive_until(conn, rest, lambda data, size=size: len(data) >= size + 2, "inside a chunked reply")
            if size == 0:
                return status, body, keep
            body, rest = body + rest[:size], rest[size + 2:]
    while True:  # neither: the body runs to the connection's end
        chunk = conn.recv(65536)
        if not chunk:
            return status, rest, False
        rest += chunk


class ServerCpu:
    """CPU seconds the servers (every process of each) and their fronts alone used since it was made, and
    this process's (the load generator's senders and the fake Slack that takes the answers): on a shared
    2-core machine a client that eats the CPU slows the server it measures."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.total, self.front = self._read()
        self.client = time.process_time()
        self.senders = 0.0  # CPU seconds of the sending threads alone (time.thread_time), added by them

    def _read(self) -> tuple[float, float]:
        return sum(tree_cpu_seconds(p) for p in self.pids), sum(cpu_seconds(p) for p in self.pids)

    def per_command_ms(self, commands: int) -> dict[str, float]:
        total, front = self._read()
        client = time.process_time() - self.client
        return {"server_cpu_ms_per_command": 1000 * (total - self.total) / max(commands, 1),
                "front_cpu_ms_per_command": 1000 * (front - self.front) / max(commands, 1),
                "client_cpu_ms_per_command": 1000 * client / max(commands, 1),
                "client_senders_cpu_ms_per_command": 1000 * self.senders / max(commands, 1)}


def wait_answers(fake, total: int, answer_timeout: float) -> tuple[list, bool]:
    """The fake's ``response_url`` posts once ``total`` arrived (or the time ran out: timed out True)."""
    try:
        return fake.wait_for("response_url", total, timeout=answer_timeout), False
    except AssertionError:
        return fake.calls("response_url"), True


def ack_figures(acks: list[tuple[float, int]], calls: list, busy: int) -> dict:
    """What both loops report about their acks and answers (``busy``: acks saying the queue was full)."""
    ok = [ms for ms, status in acks if status == 200]
    return {"acked_200": len(ok), "non_200": len(acks) - len(ok), "ack": latency_summary(ok), "answers": len(calls),
            "answer_errors": sum(1 for c in calls if "couldn't answer" in c.mrkdwn()), "busy_acks": busy}


def closed_loop(fake_slack, fake, urls: list[str], questions: list[str], concurrency: int, rounds: int,
                pids: list[int], answer_timeout: float) -> dict:
    """``concurrency`` clients, each sending ``rounds`` commands back to back (to each server in turn)."""
    total = concurrency * rounds
    cpu = ServerCpu(pids)
    busy: list[int] = []
    acks: list[tuple[float, int]] = []
    firsts: list[float] = []  # each client's first command, which also opens its connection
    lock = threading.Lock()
    barrier = threading.Barrier(concurrency + 1)

    def client(index: int) -> None:
        own = LeanClient(fake_slack, fake, urls[index % len(urls):] + urls[:index % len(urls)], questions, "closed")
        user = f"U{index:07d}"
        bodies = [own.body(index * rounds + r, user) for r in range(rounds)]  # made before the clock starts
        barrier.wait()
        spent = time.thread_time()
        for r in range(rounds):
            start = time.perf_counter()
            status = own.send(index * rounds + r, user, bodies[r])
            ms = (time.perf_counter() - start) * 1000
            with lock:
                acks.append((ms, status))
                if r == 0:
                    firsts.append(ms)
        with lock:
            busy.append(own.busy)
            cpu.senders += time.thread_time() - spent
        own.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(concurrency)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    acked_s = time.perf_counter() - t0
    calls, timed_out = wait_answers(fake, total - sum(busy), answer_timeout)
    answered_s = time.perf_counter() - t0
    return {
        "concurrency": concurrency,
        "rounds": rounds,
        "requests": total,
        **ack_figures(acks, calls, sum(busy)),
        "ack_first_command": latency_summary(firsts),
        **cpu.per_command_ms(len(calls)),
        "timed_out": timed_out,
        "answers_per_s": len(calls) / answered_s if answered_s > 0 else float("nan"),
        "all_acked_s": acked_s,
        "all_answered_s": answered_s,
    }


def open_loop(fake_slack, fake, urls: list[str], questions: list[str], rate: float, seconds: float, pids: list[int],
              answer_timeout: float, threads: int = 64) -> dict:
    """``rate`` commands a second for ``seconds`` on a fixed schedule, from ``threads`` kept-alive connections."""
    total = max(1, int(rate * seconds))
    schedule = iter(range(total))
    lock = threading.Lock()
    acks: list[tuple[float, int, float]] = []  # (ms from the scheduled time, status, ms the client sent late)
    cpu = ServerCpu(pids)
    busy: list[int] = []
    maker = LeanClient(fake_slack, fake, urls, questions, "open")
    bodies = [maker.body(i, f"U{i % 997:07d}") for i in range(total)]  # made before the schedule starts
    t0 = time.perf_counter() + 0.2

    def client() -> None:
        own = LeanClient(fake_slack, fake, urls, questions, "open")
        spent = time.thread_time()
        while True:
            with lock:
                i = next(schedule, None)
            if i is None:
                break
            due = t0 + i / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            late = max(0.0, time.perf_counter() - due) * 1000
            status = own.send(i, f"U{i % 997:07d}", bodies[i])
            ms = (time.perf_counter() - due) * 1000
            with lock:
                acks.append((ms, status, late))
        with lock:
            busy.append(own.busy)
            cpu.senders += time.thread_time() - spent
        own.close()

    workers = [threading.Thread(target=client, daemon=True) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    sent_s = time.perf_counter() - t0
    calls, timed_out = wait_answers(fake, total - sum(busy), answer_timeout)
    drained_s = time.perf_counter() - t0
    window_end = time.monotonic() - (time.perf_counter() - (t0 + seconds))  # the schedule's end, on the fake's clock
    in_window = sum(1 for c in calls if c.at <= window_end)
    return {
        "rate": rate,
        "seconds": seconds,
        "requests": total,
        **ack_figures([(ms, status) for ms, status, _ in acks], calls, sum(busy)),
        "client_late_ms": latency_summary([late for _, _, late in acks]),
        "sent_s": sent_s,
        "timed_out": timed_out,
        "answers_per_s_during": in_window / seconds,
        "answers_per_s_overall": len(calls) / drained_s if drained_s > 0 else float("nan"),
        "all_answered_s": drained_s,
        **cpu.per_command_ms(len(calls)),
    }


def main(argv: list[str] | None = None) -> int:
    """Generate (or reuse) a corpus, then run the closed loop and, with --open-rate, the open loop; print JSON."""
    from benchmarks.generate import generate

    parser = argparse.ArgumentParser(prog="python -m benchmarks.http_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--closed", default="50x20", help="CLIENTSxCOMMANDS of the closed loop (default 50x20)")
    parser.add_argument("--open-rate", type=float, default=None, help="commands a second of the open loop (default: none)")
    parser.add_argument("--open-seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=None, help="ROLECALL_WORKERS for the server (default: its own)")
    parser.add_argument("--replicas", type=int, default=1, choices=(1, 2, 3, 4),
                        help="servers sharing one real redis-server, sent commands in turn (default 1: no Redis)")
    parser.add_argument("--json-out", type=Path, default=None)
    args = parser.parse_args(argv)
    clients, _, commands = args.closed.partition("x")
    if not (clients.isdigit() and commands.isdigit()) or not 0 < int(clients) <= 256 or not 0 < int(commands) <= 1000:
        parser.error("--closed must be CLIENTSxCOMMANDS, e.g. 50x20 (at most 256 clients, 1000 commands each)")
    if args.open_rate is not None and not (0 < args.open_rate <= 2000 and 0 < args.open_seconds <= 120):
        parser.error("--open-rate must be in (0, 2000] and --open-seconds in (0, 120]")
    corpus = args.workdir / "corpus"
    facts_path = corpus / "facts.json"
    if not facts_path.is_file():
        generate(corpus, families=args.families, seed=args.seed, questions=args.questions)
    facts = json.loads(facts_path.read_text())
    result = run_http_load(corpus / "pages", args.workdir / "index.sqlite", args.workdir / "http",
                           [q["question"] for q in facts["questions"]], concurrency=int(clients), rounds=int(commands),
                           open_rate=args.open_rate, open_seconds=args.open_seconds, workers=args.workers,
                           replicas=args.replicas)
    result["command"] = "python -m benchmarks.http_load " + " ".join(argv if argv is not None else sys.argv[1:])
    result["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(result, indent=2, default=str)
    print(text)
    if args.json_out:
        args.json_out.write_text(text)
    return 0 if "skipped" not in result else 1


if __name__ == "__main__":
    sys.exit(main())
