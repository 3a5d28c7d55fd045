"""Every environment variable Rolecall reads, in one place.

Code reads a variable only through :func:`get` (or the typed helpers), and only variables
registered in :data:`SETTINGS`; README's configuration table lists exactly these, with the
same defaults (``tests/test_settings.py`` keeps the two in line). Values are read when asked
for, not at import, so a test or an embedding program can change the environment.

Tokens and the signing secret are read here like everything else but never printed: the
Slack configuration (``bot.slack.config``) keeps them out of ``repr`` and messages.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None  # as documented; None: no default (unset means "off" or "required")
    needed: str  # always | Socket Mode | HTTP mode | optional | tests
    meaning: str


def _settings(*items: Setting) -> dict[str, Setting]:
    return {item.name: item for item in items}


SETTINGS: dict[str, Setting] = _settings(
    Setting("SLACK_BOT_TOKEN", None, "always", "bot token, `xoxb-…`; when set, plain `rolecall` runs the Slack app"),
    Setting("SLACK_APP_TOKEN", None, "Socket Mode", "app-level token, `xapp-…`; when set, Rolecall uses Socket Mode"),
    Setting("SLACK_SIGNING_SECRET", None, "HTTP mode", "verifies that requests come from Slack"),
    Setting("HOST", "0.0.0.0", "HTTP mode", "address to listen on"),
    Setting("PORT", "3000", "HTTP mode", "port to listen on"),
    Setting("ROLECALL_SEEDS", "./seeds", "optional", "pages folder (as `--seeds`; else the bundled seeds)"),
    Setting("ROLECALL_DB", None, "optional", "index file (as `--db`); unset: one file per pages folder under `$XDG_CACHE_HOME/rolecall/`"),
    Setting("XDG_CACHE_HOME", "~/.cache", "optional", "where the default index file goes (`rolecall/index-<hash>.sqlite`)"),
    Setting("ROLECALL_HANDBOOK_URL", "https://about.gitlab.com", "optional", "base that relative links and page addresses are made absolute with"),
    Setting("ROLECALL_QUESTION_LOG", None, "optional", "question log SQLite file; unset: `<index name>-questions.sqlite` next to the index"),
    Setting("ROLECALL_DATABASE_URL", None, "optional", "PostgreSQL URL of a question log shared by every replica (`postgresql://user:password@host:5432/db`); unset: the SQLite file"),
    Setting("ROLECALL_LOG_RETENTION_DAYS", "180", "optional", "days questions and their feedback are kept (`0` keeps them forever)"),
    Setting("ROLECALL_LOG_FLUSH_MS", "50", "optional", "longest a question answered outside Slack waits in memory before its question-log row is written (rows go in batches, off the answer path; `0`: written at once, still off the answer path)"),
    Setting("ROLECALL_LOG_SALT", None, "optional", "key of the user id HMACs in the question log; unset: a random secret generated on first start, stored beside the log as `<log>.secret` (mode 0600)"),
    Setting("ROLECALL_RELOAD_SECONDS", "5", "optional", "how often the pages folder is checked for changes (`0` turns reloading off)"),
    Setting("ROLECALL_ALLOWED_TEAMS", None, "optional", "comma-separated workspace ids Rolecall answers in; unset: every workspace"),
    Setting("ROLECALL_ALLOWED_CHANNELS", None, "optional", "comma-separated channel ids where mentions and `/hiring` are answered; unset: every channel"),
    Setting("ROLECALL_ADMINS", None, "optional", "comma-separated user ids who may run `/hiring gaps`; unset: nobody"),
    Setting("ROLECALL_HANDOFF_CHANNEL", None, "optional", "channel id where **Ask a recruiter** posts a question that was not answered well; unset: no such button"),
    Setting("ROLECALL_DIGEST_CHANNEL", None, "optional", "channel id the gaps digest is posted to once a period; unset: no digest"),
    Setting("ROLECALL_DIGEST_DAYS", "7", "optional", "length of a digest period in days (periods start on Mondays 00:00 UTC when whole weeks)"),
    Setting("ROLECALL_REDIS_URL", None, "optional", "Redis URL (`redis://host:6379/0`) where replicas share conversation context, event dedupe and the work queue; unset: each process's memory"),
    Setting("ROLECALL_CONTEXT_TTL", "1800", "optional", "seconds a thread or DM remembers its role"),
    Setting("ROLECALL_LOG_LEVEL", "INFO", "optional", "e.g. `DEBUG` for Rolecall, Bolt and slack_sdk logs"),
    Setting("ROLECALL_LOG_FORMAT", "text", "optional", "`json`: one JSON object a line (time, level, logger, process, message)"),
    Setting("ROLECALL_WORKERS", "the number of cores", "HTTP mode", "answer worker processes behind the ack-only front; `0`: answer in the one process"),
    Setting("ROLECALL_WORKER_THREADS", "8", "optional", "work items one answer worker has in hand at once (they mostly wait on Slack)"),
    Setting("ROLECALL_WORKER_NICE", "5", "optional", "how much lower the answer workers' CPU priority is than the front's (acks have a deadline)"),
    Setting("ROLECALL_WORKER_SCHEDULER", "normal", "optional", "Linux scheduling class of the answer workers: `normal`, `batch` (SCHED_BATCH) or `idle` (SCHED_IDLE)"),
    Setting("ROLECALL_ANSWER_TIMEOUT", "30", "optional", "seconds an answer worker may hold one work item before it is taken for hung, killed and replaced (`0`: never)"),
    Setting("ROLECALL_STOP_SECONDS", "8", "optional", "seconds a clean stop (SIGTERM) may take to finish the work already acknowledged, queued items included; what is still unfinished then gets an apology"),
    Setting("ROLECALL_WORK_CLAIM_SECONDS", "15", "optional", "with Redis: seconds a work item taken by a replica may go unrefreshed before another replica takes it over"),
    Setting("ROLECALL_QUEUE_LIMIT", "1000 per answer worker", "optional", "work items acknowledged and not yet answered at most; past it users are told the bot is busy"),
    Setting("ROLECALL_HTTP_THREADS", "8", "optional", "HTTP worker threads; few, since acks never wait on anything slow and threads share one interpreter lock"),
    Setting("ROLECALL_LISTENER_THREADS", "64", "optional", "listeners running at once after their ack (most wait to answer)"),
    Setting("ROLECALL_ANSWER_SLOTS", "the number of cores", "optional", "answers computed at once"),
    Setting("ROLECALL_GIL_SWITCH_SECONDS", "0.001", "optional", "`sys.setswitchinterval` while serving, so acks do not wait behind answers"),
    Setting("ROLECALL_FRONT_GIL_SWITCH_SECONDS", "0.005", "optional", "`sys.setswitchinterval` of the front in HTTP mode with answer workers (it computes no answers; 1 ms there made its request threads take turns instead of finishing)"),
    Setting("SLACK_API_URL", None, "tests", "another Web API base URL (the tests point it at a local fake Slack)"),
)


def environ() -> Mapping[str, str]:
    """The process environment (the one place Rolecall touches ``os.environ``)."""
    return os.environ


def get(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """The raw value of a registered variable (from ``env`` when given), or None when unset."""
    if name not in SETTINGS:
        raise KeyError(f"{name} is not a registered setting: add it to bot/settings.py and README's table")
    return (os.environ if env is None else env).get(name)


def get_str(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """The value with surrounding spaces removed; None when unset or blank."""
    value = (get(name, env) or "").strip()
    return value or None


def number(name: str, fallback: float) -> float:
    """A number, else ``fallback`` when unset or not a number (logged): for tuning knobs, where a
    typo must not stop the bot. Each caller bounds the value its own way."""
    raw = get_str(name)
    if raw is None:
        return fallback
    try:
        return float(raw)
    except ValueError:
        logger.warning("%s=%r is not a number; using %g", name, raw, fallback)
        return fallback


def positive_int(name: str, fallback: int) -> int:
    """A whole number of at least 1, else ``fallback`` (for tuning knobs: a typo must not stop the bot)."""
    raw = get_str(name) or ""
    return int(raw) if raw.isdigit() and int(raw) > 0 else fallback
