"""The gaps digest: posted to ROLECALL_DIGEST_CHANNEL once a period, by one of the replicas sharing the log."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from datetime import datetime, timezone

from bot.engine import Engine
from bot.questionlog import QuestionLog
from bot.slack.config import SlackConfig
from bot.slack.digest import Digest, period_of
from bot.slack.transport import make_web_client
from fake_slack import BOT_TOKEN, FakeSlack, assert_cannot_ping

from conftest import ROOT, SEEDS

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc).timestamp()
WEEK = 7 * 86400


def replica(tmp_path, fake):
    """One replica: its own engine and its own connection to the shared question log."""
    engine = Engine(SEEDS, tmp_path / "index.sqlite", question_log=QuestionLog(tmp_path / "questions.sqlite"))
    client = make_web_client(SlackConfig(bot_token=BOT_TOKEN, api_url=fake.api_url))
    return engine, client


def digests(fake):
    return fake.calls("chat.postMessage")


def test_periods_run_monday_to_monday():
    key, start = period_of(MONDAY + 3 * 86400, 7)
    assert (key, start.isoformat()) == ("7d:2026-11-30T00:00", "2026-11-30T00:00:00+00:00")
    assert period_of(MONDAY - 10 * 3600, 7)[0] == "7d:2026-11-23T00:00"  # Monday 9:00 minus 10 h is Sunday
    assert period_of(MONDAY, 1)[0] == "1d:2026-11-30T00:00"


def test_replicas_sharing_the_log_post_each_period_once(tmp_path):
    with FakeSlack() as fake:
        engines = [replica(tmp_path, fake) for _ in range(3)]
        engines[0][0].ask("who does the <!channel> chief happiness officer report to?", user="U0ALICE")
        engines[1][0].ask("who does the chief happiness officer report to?", user="U0BOB")
        now = [MONDAY]
        runners = [Digest(engine, client, "C0DIGEST", 7, clock=lambda: now[0]) for engine, client in engines]

        for _ in range(2):  # every replica checks, twice, at the same moment
            threads = [threading.Thread(target=runner.run_once) for runner in runners]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        posted = digests(fake)
        assert len(posted) == 1
        assert posted[0].params["channel"] == "C0DIGEST"
        text = posted[0].mrkdwn()
        assert "*Gaps digest* (the 7 days before 2026-11-30)" in text
        assert "• 1× “who does the chief happiness officer report to?”: no such role" in text  # real gaps of the log
        assert_cannot_ping(text)

        now[0] = MONDAY + 2 * 86400  # later the same week: nothing
        assert [runner.run_once() for runner in runners] == [None, None, None]
        now[0] = MONDAY + WEEK  # the next week: once more
        assert sorted(map(str, [runner.run_once() for runner in runners])) == ["None", "None", "sent"]
        assert len(digests(fake)) == 2


def test_a_digest_slack_refused_is_tried_again_and_one_that_may_have_been_posted_is_not(tmp_path):
    with FakeSlack() as fake:
        engine, client = replica(tmp_path, fake)
        runner = Digest(engine, client, "C0DIGEST", 7, clock=lambda: MONDAY)
        fake.fail_next(3, status=500, method="chat.postMessage")  # the first try and both retries

        assert runner.run_once() == "failed"
        assert runner.run_once() == "sent"  # the claim was given back
        assert runner.run_once() is None
        assert len(digests(fake)) == 1


def test_two_processes_sharing_the_log_post_once(tmp_path):
    with FakeSlack() as fake:
        script = textwrap.dedent(f"""
            import sys, pathlib
            sys.path.insert(0, {str(ROOT / 'tests')!r})
            from test_slack_digest import replica, MONDAY
            from bot.slack.digest import Digest
            class Fake: api_url = {fake.api_url!r}
            engine, client = replica(pathlib.Path({str(tmp_path)!r}), Fake)
            sys.stdin.readline()  # start together
            print(Digest(engine, client, "C0DIGEST", 7, clock=lambda: MONDAY).run_once())
        """)
        replica(tmp_path, fake)  # build the index once, so both processes start equally fast
        procs = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [proc.communicate("go\n", timeout=60) for proc in procs]
        assert [proc.returncode for proc in procs] == [0, 0], outputs
        assert sorted(out.strip().splitlines()[-1] for out, _ in outputs) == ["None", "sent"]
        assert len(digests(fake)) == 1
