"""`rolecall serve`: configuration from the environment, clear start-up errors, a real HTTP server."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.slack.config import ConfigError, SlackConfig
from bot.slack.server import serve
from fake_slack import APP_TOKEN, BOT_TOKEN, SEEDS, SIGNING_SECRET, FakeSlack, SlackSender, wait_for_health

ROOT = Path(__file__).resolve().parents[1]
SLACK_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "HOST", "PORT",
                   "ROLECALL_ALLOWED_TEAMS", "ROLECALL_ALLOWED_CHANNELS", "ROLECALL_ADMINS", "ROLECALL_HANDOFF_CHANNEL",
                   "ROLECALL_DIGEST_CHANNEL", "ROLECALL_DIGEST_DAYS")


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A clean Slack environment with the seeds and a throw-away index."""
    for name in SLACK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ROLECALL_SEEDS", str(SEEDS))
    monkeypatch.setenv("ROLECALL_DB", str(tmp_path / "index.sqlite"))
    return monkeypatch


def test_http_mode_needs_the_bot_token_and_the_signing_secret(env, capsys):
    env.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    assert serve() == 2
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN is not set" in err
    assert SIGNING_SECRET not in err

    env.delenv("SLACK_SIGNING_SECRET")
    env.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    assert serve() == 2
    err = capsys.readouterr().err
    assert "SLACK_SIGNING_SECRET is not set" in err
    assert BOT_TOKEN not in err


def test_socket_mode_is_chosen_by_the_app_token_and_needs_no_signing_secret():
    config = SlackConfig.from_env({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN})
    assert config.socket_mode
    assert not SlackConfig.from_env({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s"}).socket_mode


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SLACK_BOT_TOKEN": "xapp-swapped", "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN must be a bot token"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": BOT_TOKEN}, "SLACK_APP_TOKEN must be an app-level token"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s", "PORT": "http"}, "PORT must be a TCP port"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s", "ROLECALL_CONTEXT_TTL": "0"}, "ROLECALL_CONTEXT_TTL"),
    ],
)
def test_misconfiguration_is_named_without_echoing_values(environ, message):
    with pytest.raises(ConfigError) as error:
        SlackConfig.from_env(environ)
    assert message in str(error.value)
    assert BOT_TOKEN not in str(error.value)


def test_secrets_never_appear_in_the_config_repr():
    config = SlackConfig.from_env({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_APP_TOKEN": APP_TOKEN})
    assert BOT_TOKEN not in repr(config)
    assert SIGNING_SECRET not in repr(config)
    assert APP_TOKEN not in repr(config)


def test_slack_api_url_gets_its_trailing_slash_and_host_port_defaults():
    config = SlackConfig.from_env({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "http://127.0.0.1:9/api"})
    assert config.api_url == "http://127.0.0.1:9/api/"
    assert (config.host, config.port) == ("0.0.0.0", 3000)


def test_a_rejected_token_is_a_clear_start_up_error(env, capsys):
    with FakeSlack(bot_token="xoxb-the-right-one") as fake:
        env.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
        env.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
        env.setenv("SLACK_API_URL", fake.api_url)

        assert serve() == 1

    err = capsys.readouterr().err
    assert "Slack rejected SLACK_BOT_TOKEN (auth.test: invalid_auth)" in err
    assert BOT_TOKEN not in err and SIGNING_SECRET not in err


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_runs_http_mode_on_host_and_port_until_sigterm(tmp_path):
    """The real entry point in its own process, as `rolecall serve` runs it."""
    port = free_port()
    with FakeSlack() as fake:
        env = {
            **{k: v for k, v in os.environ.items() if k not in SLACK_VARIABLES},
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "ROLECALL_SEEDS": str(SEEDS),
            "ROLECALL_DB": str(tmp_path / "index.sqlite"),
            "ROLECALL_QUESTION_LOG": str(tmp_path / "questions.sqlite"),
            "ROLECALL_LOG_LEVEL": "DEBUG",
        }
        process = subprocess.Popen(
            [sys.executable, "-c", "from bot.slack.server import serve; raise SystemExit(serve())"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        try:
            health = wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
            assert health["status"] == "ok" and health["pages"] == 5

            slack = SlackSender(f"http://127.0.0.1:{port}/slack/events", fake=fake)
            assert slack.command("who does the Associate Sales Operations Analyst report to?").status == 200
            assert "Manager, Sales Operations" in fake.wait_for("response_url")[0].mrkdwn()
            assert slack.command("who reports to whom?", signature="v0=forged").status == 401
            with sqlite3.connect(tmp_path / "questions.sqlite") as log:  # ROLECALL_QUESTION_LOG
                assert log.execute("select surface, question from questions").fetchall() == [
                    ("slack:command", "who does the Associate Sales Operations Analyst report to?"),
                ]
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=10)

    assert process.returncode == 0, output
    assert f"listening on http://127.0.0.1:{port}/slack/events" in output
    assert BOT_TOKEN not in output and SIGNING_SECRET not in output




def test_a_rejected_app_token_is_a_clear_start_up_error(env, capsys):
    with FakeSlack() as fake:
        env.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
        env.setenv("SLACK_APP_TOKEN", "xapp-1-revoked")
        env.setenv("SLACK_API_URL", fake.api_url)

        assert serve() == 1

    err = capsys.readouterr().err
    assert "Slack rejected SLACK_APP_TOKEN (apps.connections.open: invalid_auth)" in err
    assert "xapp-1-revoked" not in err


def test_serve_runs_socket_mode_when_the_app_token_is_set(tmp_path):
    """Socket Mode end to end: the app dials the fake's WebSocket, which delivers envelopes like Slack;
    /healthz (socket connected, index answering) and /metrics are served on HOST:PORT meanwhile."""
    port = free_port()
    with FakeSlack() as fake:
        env = {
            **{k: v for k, v in os.environ.items() if k not in SLACK_VARIABLES},
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,  # and no signing secret: Socket Mode does not need one
            "SLACK_API_URL": fake.api_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "ROLECALL_SEEDS": str(SEEDS),
            "ROLECALL_DB": str(tmp_path / "index.sqlite"),
            "ROLECALL_QUESTION_LOG": str(tmp_path / "questions.sqlite"),
        }
        process = subprocess.Popen(
            [sys.executable, "-c", "from bot.slack.server import serve; raise SystemExit(serve())"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        try:
            fake.wait_for_socket(timeout=20)
            ts = "1700000000.000100"
            event = {
                "type": "app_mention", "user": "U0ALICE", "channel": "C0SOCKET", "ts": ts, "event_ts": ts,
                "text": "<@U0BOT> who does the Associate Sales Operations Analyst report to?",
            }
            callback = {"type": "event_callback", "team_id": "T0TEST", "event": event, "event_id": "Ev0SOCK", "event_time": int(time.time())}
            first = fake.send_envelope("events_api", callback)
            reply = fake.wait_for("chat.postMessage")[0]
            assert reply.params["thread_ts"] == ts
            assert "Manager, Sales Operations" in reply.mrkdwn()
            fake.wait_for("socket_ack", where=lambda call: call.params.get("envelope_id") == first)

            fake.send_envelope("events_api", callback, retry_attempt=1)  # Slack retrying: acked, not answered
            command = {
                "team_id": "T0TEST", "channel_id": "C0SOCKET", "user_id": "U0ALICE", "command": "/hiring",
                "text": "what's grade 7?", "response_url": fake.response_url("socket"),
            }
            fake.send_envelope("slash_commands", command)
            assert "Sr. Sales Operations Manager" in fake.wait_for("response_url")[0].mrkdwn()
            assert len(fake.wait_for("socket_ack", 3)) == 3
            assert len(fake.calls("chat.postMessage")) == 1

            health = wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
            assert health["status"] == "ok" and health["socket"] == "connected" and health["roles"] == 21
            deadline = time.monotonic() + 10  # the bot counts a delivery once Slack's reply is back, just after the fake saw it
            while health["delivery"]["answers_delivered"] < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
                health = wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
            assert health["delivery"]["answers_delivered"] == 2
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                text = response.read().decode()
            assert 'rolecall_answers_total{intent="grade",status="answered",surface="slack:command"} 1.0' in text
            assert 'rolecall_deliveries_total{outcome="answers_delivered"} 2.0' in text
        finally:
            process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            while process.poll() is None and time.monotonic() < deadline:
                fake.ping_sockets()  # the client's reader holds a lock until it receives something
                time.sleep(0.05)
            output, _ = process.communicate(timeout=10)

    assert process.returncode == 0, output
    assert "Socket Mode" in output
    assert BOT_TOKEN not in output and APP_TOKEN not in output


def test_two_serve_replicas_sharing_the_log_post_the_gaps_digest_once(tmp_path):
    """ROLECALL_DIGEST_CHANNEL: each replica checks at start and every minute; only one posts the period."""
    from bot.engine import Engine
    from bot.questionlog import QuestionLog

    log_path = tmp_path / "questions.sqlite"
    Engine(SEEDS, tmp_path / "index.sqlite", question_log=QuestionLog(log_path)).ask(
        "who does the chief happiness officer report to?", user="U0ALICE")
    with FakeSlack() as fake:
        processes = []
        for _ in range(2):
            port = free_port()
            env = {
                **{k: v for k, v in os.environ.items() if k not in SLACK_VARIABLES},
                "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake.api_url,
                "HOST": "127.0.0.1", "PORT": str(port), "ROLECALL_SEEDS": str(SEEDS),
                "ROLECALL_DB": str(tmp_path / "index.sqlite"), "ROLECALL_QUESTION_LOG": str(log_path),
                "ROLECALL_DIGEST_CHANNEL": "C0DIGEST", "ROLECALL_DIGEST_DAYS": "7",
            }
            process = subprocess.Popen([sys.executable, "-c", "from bot.slack.server import serve; raise SystemExit(serve())"],
                                       cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            processes.append((process, port))
        try:
            for process, port in processes:
                wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
            digest = fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == "C0DIGEST")[0]
            assert "*Gaps digest*" in digest.mrkdwn()
            assert "“who does the chief happiness officer report to?”: no such role" in digest.mrkdwn()
            time.sleep(1.0)  # both replicas have made their first check by now
            assert len([c for c in fake.calls("chat.postMessage") if c.params.get("channel") == "C0DIGEST"]) == 1
            with sqlite3.connect(log_path) as log:
                assert len(log.execute("select period from digests").fetchall()) == 1
        finally:
            outputs = []
            for process, _ in processes:
                process.send_signal(signal.SIGTERM)
                outputs.append(process.communicate(timeout=10)[0])
    assert all(BOT_TOKEN not in output for output in outputs)


def test_socket_mode_health_is_unavailable_while_the_socket_is_down_or_the_index_fails():
    from bot.slack.server import socket_health

    class Client:
        def __init__(self, up: bool) -> None:
            self.up = up

        def is_connected(self) -> bool:
            return self.up

    class Handler:
        def __init__(self, up: bool) -> None:
            self.client = Client(up)

    class Engine:
        def __init__(self, broken: bool = False) -> None:
            self.broken = broken

        def stats(self) -> dict:
            if self.broken:
                raise RuntimeError("index gone")
            return {"pages": 5, "roles": 21, "indexed_at": "now"}

    status, body = socket_health(Handler(True), Engine())
    assert status == "200 OK" and body["socket"] == "connected" and body["roles"] == 21
    status, body = socket_health(Handler(False), Engine())
    assert status.startswith("503") and body["socket"] == "disconnected" and body["status"] == "unavailable"
    status, body = socket_health(Handler(True), Engine(broken=True))
    assert status.startswith("503") and body["status"] == "unavailable"


def test_in_one_process_metrics_and_json_logs_work_too(tmp_path):
    """ROLECALL_WORKERS=0: the answers are computed in the one process; /metrics counts them, logs are JSON."""
    port = free_port()
    with FakeSlack() as fake:
        env = {
            **{k: v for k, v in os.environ.items() if k not in SLACK_VARIABLES},
            "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake.api_url,
            "HOST": "127.0.0.1", "PORT": str(port), "ROLECALL_SEEDS": str(SEEDS),
            "ROLECALL_DB": str(tmp_path / "index.sqlite"), "ROLECALL_QUESTION_LOG": str(tmp_path / "questions.sqlite"),
            "ROLECALL_WORKERS": "0", "ROLECALL_LOG_FORMAT": "json",
        }
        process = subprocess.Popen([sys.executable, "-c", "from bot.slack.server import serve; raise SystemExit(serve())"],
                                   cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            health = wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
            assert "workers" not in health  # one process
            slack = SlackSender(f"http://127.0.0.1:{port}/slack/events", fake=fake)
            assert slack.command("what's grade 7?").status == 200
            fake.wait_for("response_url")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                text = response.read().decode()
            assert 'rolecall_answers_total{intent="grade",status="answered",surface="slack:command"} 1.0' in text
            assert "rolecall_ack_seconds_count 1.0" in text
            assert 'rolecall_index_generation{process="main"} 1.0' in text
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=10)
    assert process.returncode == 0, output
    records = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert any("listening on" in r["message"] and r["level"] == "INFO" and r["process"] == "MainProcess" for r in records)
