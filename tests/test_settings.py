"""One settings module, one README table: every environment variable the code reads, documented
once, with the default the code uses."""

from __future__ import annotations

import re
from pathlib import Path

from bot import settings

from conftest import ROOT

CODE = sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")])
NAME = re.compile(r"""["'](ROLECALL_[A-Z_]+|SLACK_[A-Z_]+|XDG_[A-Z_]+|HOST|PORT)["']""")


def readme_table() -> dict[str, str]:
    """Variable -> its row, from the table under "Configure"."""
    text = (ROOT / "README.md").read_text()
    start = text.index("| Variable | Needed | Meaning |")
    rows = {}
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        names = re.findall(r"`([A-Z_]+)`", line.split("|")[1])
        assert len(names) == 1, f"one variable per row: {line}"
        rows[names[0]] = line
    return rows


def test_only_the_settings_module_touches_the_environment():
    offenders = [str(path.relative_to(ROOT)) for path in CODE
                 if path.name != "settings.py" and re.search(r"os\.environ|os\.getenv|getenv\(", path.read_text())]
    assert offenders == []


def test_every_variable_the_code_names_is_registered_and_every_registered_one_is_read():
    named = {name for path in CODE if path.name != "settings.py" for name in NAME.findall(path.read_text())}
    assert named - set(settings.SETTINGS) == set(), "read but not registered in bot/settings.py"
    assert set(settings.SETTINGS) - named == set(), "registered but never read"


def test_the_readme_table_lists_exactly_the_settings_with_their_defaults():
    rows = readme_table()
    assert list(rows) == list(settings.SETTINGS)
    for name, setting in settings.SETTINGS.items():
        row = rows[name]
        assert f"| {setting.needed} |" in row, row
        if setting.default is not None:
            assert f"(default `{setting.default}`" in row, f"README gives another default for {name}: {row}"
        else:
            assert "(default" not in row, row


def test_an_unregistered_variable_cannot_be_read():
    try:
        settings.get("ROLECALL_NOT_A_THING")
    except KeyError as error:
        assert "not a registered setting" in str(error)
    else:
        raise AssertionError("an unregistered variable was read")


def test_documented_defaults_are_the_ones_the_code_uses(monkeypatch):
    from bot.slack import app, server
    from bot.slack.config import SlackConfig

    for name in settings.SETTINGS:
        monkeypatch.delenv(name, raising=False)
    assert server.http_threads() == int(settings.SETTINGS["ROLECALL_HTTP_THREADS"].default)
    assert app.listener_threads() == int(settings.SETTINGS["ROLECALL_LISTENER_THREADS"].default)
    assert server.gil_switch_seconds() == float(settings.SETTINGS["ROLECALL_GIL_SWITCH_SECONDS"].default)
    assert server.front_gil_switch_seconds() == float(settings.SETTINGS["ROLECALL_FRONT_GIL_SWITCH_SECONDS"].default)
    config = SlackConfig.from_env({"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s"})
    assert (config.host, str(config.port)) == (settings.SETTINGS["HOST"].default, settings.SETTINGS["PORT"].default)
    assert config.context_ttl == float(settings.SETTINGS["ROLECALL_CONTEXT_TTL"].default)
    monkeypatch.setenv("ROLECALL_HTTP_THREADS", "many")
    assert server.http_threads() == 8
    monkeypatch.setenv("ROLECALL_FRONT_GIL_SWITCH_SECONDS", "soon")
    assert server.front_gil_switch_seconds() == 0.005
    monkeypatch.setenv("ROLECALL_FRONT_GIL_SWITCH_SECONDS", "0.01")
    assert server.front_gil_switch_seconds() == 0.01 and server.gil_switch_seconds() == 0.001
