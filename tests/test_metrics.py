"""bot.metrics: figures recorded in a worker travel to the front and are counted once there; reload
failures and delivery outcomes are counted; GET /metrics serves Prometheus text over HTTP."""

from __future__ import annotations

import time
import urllib.request

import pytest

from bot import metrics
from bot.engine import Engine
from fake_slack import SEEDS, fake_slack, rolecall, running  # noqa: F401  (pytest fixtures)


def sample(name: str, **labels: str) -> float:
    value = metrics.REGISTRY.get_sample_value(name, labels or None)
    return value or 0.0


@pytest.fixture
def worker_mode():
    """This process buffers its events, as an answer worker does, until the test ends."""
    metrics.buffer_in_this_process()
    try:
        yield
    finally:
        metrics.drain()
        metrics._buffer = None  # noqa: SLF001 - back to applying at once, as the front does


def test_a_workers_figures_are_applied_once_where_they_are_shipped(worker_mode):
    before = sample("rolecall_answers_total", intent="grade", status="answered", surface="slack:command")
    delivered = sample("rolecall_deliveries_total", outcome="answers_delivered")
    metrics.inc("rolecall_answers", {"intent": "grade", "status": "answered", "surface": "slack:command"})
    metrics.observe("rolecall_answer_seconds", 0.002, {"intent": "grade"})
    from bot.slack.delivery import DELIVERY

    health_before = DELIVERY.snapshot()["answers_delivered"]
    DELIVERY.add("answers_delivered")
    # nothing counted yet: a worker only buffers
    assert sample("rolecall_answers_total", intent="grade", status="answered", surface="slack:command") == before
    assert DELIVERY.snapshot()["answers_delivered"] == health_before

    events = metrics.drain()
    assert metrics.drain() == []  # drained once
    for event in events:  # what the front does with a worker's result
        metrics.apply(event)
    assert sample("rolecall_answers_total", intent="grade", status="answered", surface="slack:command") == before + 1
    assert sample("rolecall_deliveries_total", outcome="answers_delivered") == delivered + 1
    assert DELIVERY.snapshot()["answers_delivered"] == health_before + 1  # /healthz counts it too


def test_unknown_metric_events_are_ignored():
    metrics.apply(("inc", "rolecall_no_such_metric", {}, 1.0))


def test_a_failing_reload_is_counted(tmp_path, monkeypatch):
    engine = Engine(SEEDS, tmp_path / "index.sqlite", question_log=False)
    before = sample("rolecall_index_reload_failures_total", process=metrics.process_name())

    def broken() -> None:
        raise OSError("disk went away")

    monkeypatch.setattr(engine, "refresh", broken)
    engine.watch(interval=0.02)
    try:
        deadline = time.monotonic() + 5
        while sample("rolecall_index_reload_failures_total", process=metrics.process_name()) < before + 2:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        engine.stop_watching()
    assert sample("rolecall_index_generation", process=metrics.process_name()) == engine.generation


def test_a_read_only_engine_reopens_a_new_generation_and_never_writes(tmp_path):
    import shutil

    pages = tmp_path / "pages"
    shutil.copytree(SEEDS, pages)
    writer = Engine(pages, tmp_path / "index.sqlite", question_log=False)
    reader = Engine(pages, tmp_path / "index.sqlite", question_log=False, readonly=True)
    assert reader.generation == writer.generation
    page = pages / "sales--sales-operations.md"
    page.write_text(page.read_text().replace("The Manager, Sales Operations is a [grade 8]",
                                             "The Manager, Sales Operations is a [grade 9]"))
    assert reader.refresh().parsed == []  # a reader never indexes
    assert reader.generation == writer.generation
    writer.refresh()
    reader.refresh()
    assert reader.generation == writer.generation and "grade 9" in reader.ask("what grade is the Manager, Sales Operations?").text
    with pytest.raises(FileNotFoundError):
        Engine(pages, tmp_path / "none.sqlite", question_log=False, readonly=True)


def test_metrics_are_served_over_http_in_one_process(rolecall):
    rolecall.slack.command("what's grade 7?")
    rolecall.response()
    rolecall.settle()
    url = rolecall.server.url.replace("/slack/events", "/metrics")
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200 and response.headers["Content-Type"].startswith("text/plain; version=")
        text = response.read().decode()
    assert 'rolecall_answers_total{intent="grade",status="answered",surface="slack:command"}' in text
    assert "rolecall_ack_seconds_bucket" in text and "rolecall_answer_seconds_bucket" in text
    assert "# TYPE rolecall_slack_call_failures_total counter" in text
    assert "# TYPE rolecall_work_queue_depth gauge" in text
