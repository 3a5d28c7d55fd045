"""Slack configuration, read from the environment only.

Tokens and the signing secret never come from files or flags, so they cannot end
up in shell history or a committed config; they are also kept out of ``repr`` so
that a logged config object cannot leak them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CONTEXT_TTL = 30 * 60.0
DEFAULT_PORT = 3000
DEFAULT_HOST = "0.0.0.0"


class ConfigError(Exception):
    """A start-up problem the operator must fix; the message names the variable, never its value."""


@dataclass(frozen=True)
class SlackConfig:
    """Everything the Slack layer needs that is not the engine."""

    bot_token: str = field(repr=False)
    signing_secret: str = field(default="", repr=False)
    app_token: str | None = field(default=None, repr=False)
    # Web API base URL override (tests point it at a local fake Slack).
    api_url: str | None = None
    # How long a thread or DM remembers the role of its last answer.
    context_ttl: float = DEFAULT_CONTEXT_TTL
    feedback_db: Path | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT

    @property
    def socket_mode(self) -> bool:
        """Socket Mode needs no public URL, so it wins whenever an app token is given."""
        return bool(self.app_token)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SlackConfig:
        """Read and check the configuration; raise :class:`ConfigError` naming what is wrong."""
        env = os.environ if environ is None else environ
        app_token = _get(env, "SLACK_APP_TOKEN")
        bot_token = _require(env, "SLACK_BOT_TOKEN", "the bot token (xoxb-...) from OAuth & Permissions")
        if not bot_token.startswith("xoxb-"):
            raise ConfigError("SLACK_BOT_TOKEN must be a bot token (it starts with xoxb-)")
        if app_token is not None and not app_token.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN must be an app-level token (it starts with xapp-)")
        if app_token is None:
            # HTTP mode: every request is verified with the signing secret.
            signing_secret = _require(env, "SLACK_SIGNING_SECRET", "Basic Information > App Credentials")
        else:
            # Socket Mode requests arrive over an authenticated WebSocket; no signature to check.
            signing_secret = _get(env, "SLACK_SIGNING_SECRET") or ""
        return cls(
            bot_token=bot_token,
            signing_secret=signing_secret,
            app_token=app_token,
            api_url=_api_url(_get(env, "SLACK_API_URL")),
            context_ttl=_positive_float(env, "ROLECALL_CONTEXT_TTL", DEFAULT_CONTEXT_TTL),
            feedback_db=_path(_get(env, "ROLECALL_FEEDBACK_DB")),
            host=_get(env, "HOST") or DEFAULT_HOST,
            port=_port(env),
        )


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _require(env: Mapping[str, str], name: str, where: str) -> str:
    value = _get(env, name)
    if value is None:
        raise ConfigError(f"{name} is not set: export it before starting ({where})")
    return value


def _api_url(value: str | None) -> str | None:
    """slack_sdk joins method names onto the base URL, so it must end with a slash."""
    if value is None:
        return None
    return value if value.endswith("/") else value + "/"


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds") from None
    if value <= 0:
        raise ConfigError(f"{name} must be greater than zero")
    return value


def _port(env: Mapping[str, str]) -> int:
    raw = _get(env, "PORT")
    if raw is None:
        return DEFAULT_PORT
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError("PORT must be a TCP port number (1-65535)")
    return int(raw)


def _path(value: str | None) -> Path | None:
    return Path(value).expanduser() if value else None
