"""The front's CPU per Slack request, in process (no HTTP, no answer workers): fast path against Bolt.

The WSGI callable of ``rolecall serve``'s front (:func:`bot.slack.server.make_wsgi_app` over
:func:`bot.slack.front.build_front_app`, ``auth.test`` answered by the fake Slack of
``tests/fake_slack.py``) is called directly with signed ``/hiring`` requests; its pool takes each
work item and drops it. With and without the fast path, in alternating rounds, so that a busy
machine slows both alike; figures are CPU time (``time.process_time``), which the other engineers'
load does not inflate the way it inflates wall-clock time.

    python -m benchmarks.front_cpu --requests 2000 --rounds 6
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import time
from collections.abc import Callable, Iterable
from typing import Any

from benchmarks.http_load import load_fake_slack

COMMAND_TEXT = "what grade is a backend engineer?"


def command_environ(fake_slack: Any, sender: Any, number: int) -> dict[str, Any]:
    """A WSGI environ of one signed ``/hiring`` request, as waitress builds it."""
    body = fake_slack.command_body(COMMAND_TEXT, channel=f"C{number % 50:07d}", user=f"U{number % 50:07d}",
                                   response_url=f"http://127.0.0.1:9/response/{number}").encode()
    timestamp = str(int(time.time()))
    return {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1:3000", "HTTP_X_SLACK_REQUEST_TIMESTAMP": timestamp,
        "HTTP_X_SLACK_SIGNATURE": sender.sign(body, timestamp), "HTTP_USER_AGENT": "Slackbot 1.0",
        "wsgi.input": io.BytesIO(body),
    }


def cpu_ms_per_request(wsgi: Callable[..., Iterable[bytes]], environs: list[dict[str, Any]]) -> float:
    """CPU milliseconds per request of ``wsgi`` over fresh copies of ``environs``; each must ack 200."""
    prepared = []
    for environ in environs:
        copy = dict(environ)
        copy["wsgi.input"] = io.BytesIO(environ["wsgi.input"].getvalue())
        prepared.append(copy)
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        statuses.append(status)

    started = time.process_time()
    for environ in prepared:
        b"".join(wsgi(environ, start_response))
    spent = time.process_time() - started
    assert all(s.startswith("200") for s in statuses), set(statuses)
    return 1000 * spent / len(prepared)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=6, help="rounds of each path, alternating")
    args = parser.parse_args(argv)
    fake_slack, problem = load_fake_slack()
    if fake_slack is None:
        print(json.dumps({"skipped": problem}))
        return 1
    import logging

    logging.disable(logging.INFO)  # refusals are not measured; keep log formatting out of the figures
    from bot.slack.config import SlackConfig
    from bot.slack.front import build_front_app
    from bot.slack.server import make_wsgi_app

    with fake_slack.FakeSlack() as fake:
        config = SlackConfig(bot_token=fake_slack.BOT_TOKEN, signing_secret=fake_slack.SIGNING_SECRET, api_url=fake.api_url)
        handed: list[Any] = []
        app, bot = build_front_app(config, lambda item: handed.append(item.id) is None, lambda item, timeout: None)
        paths = {
            "fast": make_wsgi_app(app, None, fake_slack.SIGNING_SECRET, health_check=lambda: ("200 OK", {}), fast=bot.fast),
            "bolt": make_wsgi_app(app, None, fake_slack.SIGNING_SECRET, health_check=lambda: ("200 OK", {})),
        }
        sender = fake_slack.SlackSender("http://unused", signing_secret=fake_slack.SIGNING_SECRET)
        environs = [command_environ(fake_slack, sender, n) for n in range(args.requests)]
        for wsgi in paths.values():  # warm up both
            cpu_ms_per_request(wsgi, environs[:200])
        figures: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(args.rounds):
            for name, wsgi in paths.items():
                figures[name].append(cpu_ms_per_request(wsgi, environs))
                handed.clear()
    result = {name: {"cpu_ms_per_request_median": round(statistics.median(v), 4),
                     "rounds": [round(x, 4) for x in v]} for name, v in figures.items()}
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
