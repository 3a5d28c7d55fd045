"""Dockerfile, docker-compose.yml and .ci/run say what README.md and pyproject.toml say.

Nothing here builds an image (no registry is reachable from the tests): the files are read and
held to the install and start commands of the README, the Python floor and entry point of
pyproject.toml, and the variable names of bot/settings.py.
"""

from __future__ import annotations

import re
import shlex

import yaml

from bot import settings

from conftest import ROOT

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None


def readme_block(after: str) -> str:
    """The first ``sh`` block after the line containing ``after`` in README.md."""
    text = (ROOT / "README.md").read_text()
    start = text.index(after)
    return re.search(r"```sh\n(.*?)\n```", text[start:], re.S).group(1).strip()


def readme_install_and_start() -> tuple[str, str]:
    """README's run command, ``install && install && .venv/bin/rolecall``: (install, start of `rolecall serve`)."""
    command = readme_block("Run the bot")
    *install, start = command.split(" && ")
    assert start == ".venv/bin/rolecall", command
    return " && ".join(install), start + " serve"


def pyproject() -> dict:
    text = (ROOT / "pyproject.toml").read_text()
    if tomllib is not None:
        return tomllib.loads(text)
    floor = re.search(r'requires-python\s*=\s*"([^"]+)"', text).group(1)
    script = re.search(r'^rolecall\s*=\s*"([^"]+)"', text, re.M).group(1)
    return {"project": {"requires-python": floor, "scripts": {"rolecall": script}}}


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of each Dockerfile line, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_dockerfile_installs_and_starts_exactly_as_the_readme_says():
    install, start = readme_install_and_start()
    instructions = dockerfile()
    assert ("RUN", install) in instructions
    cmd = [args for kind, args in instructions if kind == "CMD"]
    assert cmd == ['[".venv/bin/rolecall", "serve"]']
    assert shlex.join(yaml.safe_load(cmd[0])) == start
    assert pyproject()["project"]["scripts"]["rolecall"] == "bot.cli:main"


def test_the_dockerfile_uses_the_python_floor_of_pyproject():
    floor = pyproject()["project"]["requires-python"]
    assert floor.startswith(">=")
    (base,) = [args for kind, args in dockerfile() if kind == "FROM"]
    assert re.fullmatch(rf"python:{re.escape(floor[2:])}(-slim)?", base), base


def test_the_dockerfile_sets_only_registered_variables():
    names = set()
    for kind, args in dockerfile():
        if kind == "ENV":
            names |= {pair.split("=", 1)[0] for pair in args.split()}
    assert names and names <= set(settings.SETTINGS), names - set(settings.SETTINGS)


def test_compose_runs_two_replicas_with_redis_postgresql_and_the_pages_as_a_volume():
    services = compose()["services"]
    replicas = {name: service for name, service in services.items() if service.get("build")}
    assert len(replicas) == 2
    assert {"redis", "postgres"} <= set(services)
    for service in replicas.values():
        environment = service["environment"]
        assert set(environment) <= set(settings.SETTINGS), set(environment) - set(settings.SETTINGS)
        assert environment["ROLECALL_REDIS_URL"].startswith("redis://redis:")
        assert environment["ROLECALL_DATABASE_URL"].startswith("postgresql://") and "@postgres:" in environment["ROLECALL_DATABASE_URL"]
        assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "ROLECALL_SEEDS"} <= set(environment)
        pages = environment["ROLECALL_SEEDS"]
        assert any(volume.split(":")[1] == pages and volume.endswith(":ro") for volume in service["volumes"])
        assert set(service["depends_on"]) == {"redis", "postgres"}
        assert "command" not in service  # the image's own CMD: `rolecall serve`
    assert len({tuple(service["ports"]) for service in replicas.values()}) == 2


def test_ci_runs_exactly_the_readme_test_command_last():
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert lines[-1] == readme_block("Run the whole test suite")
    assert "apt-get install -y" in (ROOT / ".ci" / "run").read_text()
