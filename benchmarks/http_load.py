"""HTTP mode under load: concurrent signed ``/hiring`` slash commands against ``rolecall serve``.

``rolecall serve`` runs in its own process on 127.0.0.1 (HTTP mode, over the generated corpus's
existing index), talking to the fake Slack Web API of ``tests/fake_slack.py`` (which also receives
the ``response_url`` posts that carry the answers). ``concurrency`` client threads start together
and each sends ``rounds`` commands one after another, signed with the signing secret like Slack
does. Ack latency is the time until the bot's HTTP 200 (what Slack's 3-second limit applies to);
answers per second count the answers that reached the fake ``response_url``, from the first
request to the last answer.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
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
    missing = [n for n in ("FakeSlack", "SlackSender", "BOT_TOKEN", "SIGNING_SECRET") if not hasattr(fake_slack, n)]
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (from /proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")




def run_http_load(pages: Path, db: Path, workdir: Path, questions: list[str], *, concurrency: int = 50,
                  rounds: int = 4, start_timeout: float = 180.0, answer_timeout: float = 300.0) -> dict:
    """The load run; a server that does not start is reported (with its last log line), never raised."""
    try:
        return _run(pages, db, workdir, questions, concurrency, rounds, start_timeout, answer_timeout)
    except Exception as error:  # noqa: BLE001 - the rest of the benchmark must still be reported
        log = workdir / "serve.log"
        tail = ""
        if log.is_file():
            lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
            tail = lines[-1] if lines else ""
        return {"skipped": f"{type(error).__name__}: {error}" + (f" ({tail})" if tail else ""), "log": str(log)}


def _run(pages: Path, db: Path, workdir: Path, questions: list[str], concurrency: int, rounds: int,
         start_timeout: float, answer_timeout: float) -> dict:
    fake_slack, why = load_fake_slack()
    if fake_slack is None:
        return {"skipped": why}
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = workdir / "serve.log"
    with fake_slack.FakeSlack() as fake, open(log_path, "w") as log:
        env = {k: v for k, v in os.environ.items() if k not in SLACK_VARIABLES}
        env.update({
            "SLACK_BOT_TOKEN": fake_slack.BOT_TOKEN,
            "SLACK_SIGNING_SECRET": fake_slack.SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "ROLECALL_SEEDS": str(pages),
            "ROLECALL_DB": str(db),
            "ROLECALL_FEEDBACK_DB": str(workdir / "feedback.sqlite"),
            "ROLECALL_LOG_LEVEL": "WARNING",
        })
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--seeds", str(pages), "--db", str(db)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            health = fake_slack.wait_for_health(f"http://127.0.0.1:{port}/healthz", process, start_timeout)
            ready_s = time.perf_counter() - started
            url = f"http://127.0.0.1:{port}/slack/events"
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

            total = concurrency * rounds
            cpu_before = cpu_seconds(process.pid)
            acks: list[tuple[float, int]] = []
            lock = threading.Lock()
            barrier = threading.Barrier(concurrency + 1)

            def client(index: int) -> None:
                own = fake_slack.SlackSender(url, fake=fake)
                barrier.wait()
                for r in range(rounds):
                    text = questions[(index * rounds + r) % len(questions)]
                    start = time.perf_counter()
                    try:
                        status = own.command(text, user=f"U{index:07d}").status
                    except Exception:
                        status = 0
                    ms = (time.perf_counter() - start) * 1000
                    with lock:
                        acks.append((ms, status))

            threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(concurrency)]
            for t in threads:
                t.start()
            barrier.wait()
            t0 = time.perf_counter()
            for t in threads:
                t.join()
            acked_s = time.perf_counter() - t0
            try:
                calls = fake.wait_for("response_url", total, timeout=answer_timeout)
                timed_out = False
            except AssertionError:
                calls = fake.calls("response_url")
                timed_out = True
            answered_s = time.perf_counter() - t0
            cpu_used = cpu_seconds(process.pid) - cpu_before
            answers = len(calls)
            errors = sum(1 for c in calls if "couldn't answer" in c.mrkdwn())
            rss = peak_rss_mb(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    ok = [ms for ms, status in acks if status == 200]
    return {
        "concurrency": concurrency,
        "rounds": rounds,
        "requests": total,
        "acked_200": len(ok),
        "non_200": len(acks) - len(ok),
        "ack": latency_summary(ok),
        "ack_sequential": latency_summary(sequential),
        "server_cpu_ms_per_command": 1000 * cpu_used / max(answers, 1),
        "answers": answers,
        "answer_errors": errors,
        "timed_out": timed_out,
        "answers_per_s": answers / answered_s if answered_s > 0 else float("nan"),
        "all_acked_s": acked_s,
        "all_answered_s": answered_s,
        "server_ready_s": ready_s,
        "server_pages": health.get("pages"),
        "server_roles": health.get("roles"),
        "server_peak_rss_mb": rss,
        "log": str(log_path),
    }
