"""Slack configuration, read from the environment only.

Tokens and the signing secret never come from files or flags, so they cannot end
up in shell history or a committed config; they are also kept out of ``repr`` so
that a logged config object cannot leak them.

Access control lives here too (:class:`Access`): which workspaces and channels
Rolecall answers in, and who may run admin commands. The rules, in one place:

* ``ROLECALL_ALLOWED_TEAMS`` (workspace ids ``T…``, or a Grid org id ``E…`` for
  all its workspaces) and ``ROLECALL_ALLOWED_CHANNELS`` (channel ids ``C…``/``G…``)
  are allowlists; unset means allowed everywhere.
* A direct message (channel id ``D…``) is checked against the team allowlist
  only: DM channel ids are per person and cannot be listed in advance, and an
  answer in a DM is seen by the asker alone, which is what the channel list
  is there to limit.
* A request without a team or channel id is refused when a list is set (fail closed).
* ``ROLECALL_ADMINS`` (user ids ``U…``/``W…``) may run ``/hiring gaps``; unset
  means nobody may.
* Entries must be ids, not names ("#hiring", "alice"): a name would never
  match and silently lock everyone out, so it stops start-up instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot import settings

DEFAULT_CONTEXT_TTL = 30 * 60.0
DEFAULT_PORT = 3000
DEFAULT_HOST = "0.0.0.0"
# Seconds a Web API or response_url call may take before it is given up (see bot.slack.app).
DEFAULT_HTTP_TIMEOUT = 10.0
DEFAULT_DIGEST_DAYS = 7.0
DEFAULT_HANDBOOK_URL = "https://about.gitlab.com"

TEAM_ID = re.compile(r"^[TE][A-Z0-9]{2,}$")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class ConfigError(Exception):
    """A start-up problem the operator must fix; the message names the variable, never its value."""


@dataclass(frozen=True)
class Access:
    """Where Rolecall answers and who is an admin. ``None`` for a list means "everywhere"."""

    teams: frozenset[str] | None = None
    channels: frozenset[str] | None = None
    admins: frozenset[str] = frozenset()

    def team_allowed(self, team: str | None, enterprise: str | None = None) -> bool:
        """The workspace (or its Enterprise Grid org) is on the team allowlist, or there is none."""
        if self.teams is None:
            return True
        return bool(team and team in self.teams) or bool(enterprise and enterprise in self.teams)

    def channel_allowed(self, channel: str | None) -> bool:
        """The channel is on the channel allowlist, there is none, or it is a DM (team rule only)."""
        if self.channels is None or is_dm_channel(channel):
            return True
        return bool(channel and channel in self.channels)

    def allows(self, team: str | None, channel: str | None, enterprise: str | None = None) -> bool:
        """Both rules at once: may Rolecall answer in this channel of this workspace?"""
        return self.team_allowed(team, enterprise) and self.channel_allowed(channel)

    def is_admin(self, user: str | None) -> bool:
        return bool(user and user in self.admins)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Access:
        teams = _id_list(env, "ROLECALL_ALLOWED_TEAMS", TEAM_ID, "workspace id (like T0123ABCD)")
        channels = _id_list(env, "ROLECALL_ALLOWED_CHANNELS", CHANNEL_ID, "channel id (like C0123ABCD)")
        admins = _id_list(env, "ROLECALL_ADMINS", USER_ID, "user id (like U0123ABCD)")
        return cls(teams=teams, channels=channels, admins=admins or frozenset())


def is_dm_channel(channel: str | None) -> bool:
    """Direct-message channel ids start with D."""
    return bool(channel and channel.startswith("D"))


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
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    access: Access = field(default_factory=Access)
    # Not an environment variable: tests shorten it to provoke timeouts quickly.
    http_timeout: float = DEFAULT_HTTP_TIMEOUT
    # Where "Ask a recruiter" posts a question (a channel id); None: no hand-off button.
    handoff_channel: str | None = None
    # Where the gaps digest goes (a channel id) and how many days a period has; None: no digest.
    digest_channel: str | None = None
    digest_days: float = DEFAULT_DIGEST_DAYS
    # The handbook's address (ROLECALL_HANDBOOK_URL): its domain is the one links are unfurled for.
    handbook_url: str = DEFAULT_HANDBOOK_URL

    @property
    def socket_mode(self) -> bool:
        """Socket Mode needs no public URL, so it wins whenever an app token is given."""
        return bool(self.app_token)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SlackConfig:
        """Read and check the configuration; raise :class:`ConfigError` naming what is wrong."""
        env = settings.environ() if environ is None else environ
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
        _check_redis_url(env)
        return cls(
            bot_token=bot_token,
            signing_secret=signing_secret,
            app_token=app_token,
            api_url=_api_url(_get(env, "SLACK_API_URL")),
            context_ttl=_positive_float(env, "ROLECALL_CONTEXT_TTL", DEFAULT_CONTEXT_TTL),
            host=_get(env, "HOST") or DEFAULT_HOST,
            port=_port(env),
            access=Access.from_env(env),
            handoff_channel=_channel(env, "ROLECALL_HANDOFF_CHANNEL"),
            digest_channel=_channel(env, "ROLECALL_DIGEST_CHANNEL"),
            digest_days=_positive_float(env, "ROLECALL_DIGEST_DAYS", DEFAULT_DIGEST_DAYS, unit="days"),
            handbook_url=_get(env, "ROLECALL_HANDBOOK_URL") or DEFAULT_HANDBOOK_URL,
        )


def _get(env: Mapping[str, str], name: str) -> str | None:
    return settings.get_str(name, env)


def _check_redis_url(env: Mapping[str, str]) -> None:
    """``ROLECALL_REDIS_URL`` is read by :mod:`bot.stores`; a malformed one stops start-up here, by name."""
    url = _get(env, "ROLECALL_REDIS_URL")
    if url is not None and not url.lower().startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("ROLECALL_REDIS_URL must be a redis://, rediss:// or unix:// URL")


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


def _channel(env: Mapping[str, str], name: str) -> str | None:
    """One channel id (``C…``/``G…``), or None when unset; a name would never match, so it stops start-up."""
    raw = _get(env, name)
    if raw is None:
        return None
    if not CHANNEL_ID.match(raw):
        raise ConfigError(f"{name} is not a Slack channel id (like C0123ABCD); use the id, not the name")
    return raw


def _positive_float(env: Mapping[str, str], name: str, default: float, unit: str = "seconds") -> float:
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of {unit}") from None
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


def _id_list(env: Mapping[str, str], name: str, pattern: re.Pattern[str], kind: str) -> frozenset[str] | None:
    """A comma-separated list of Slack ids; None when unset or blank."""
    raw = _get(env, name)
    if raw is None:
        return None
    ids = [item.strip() for item in raw.split(",")]
    ids = [item for item in ids if item]
    if not ids:
        raise ConfigError(f"{name} lists no ids: unset it to allow everything, or list ids separated by commas")
    for position, item in enumerate(ids, start=1):
        if not pattern.match(item):
            raise ConfigError(f"{name}: entry {position} is not a Slack {kind}; use ids, not names")
    return frozenset(ids)
