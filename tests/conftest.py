"""Shared fixtures: an engine over the bundled seeds, and a way to ask it questions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.answer import Answer
from bot.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "gitlab-handbook"


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """One index of the seeds for the whole run (in a temp dir, never in the seeds folder)."""
    return Engine(SEEDS, tmp_path_factory.mktemp("index") / "seeds.sqlite")


@pytest.fixture(scope="session")
def ask(engine: Engine):
    """ask("question") -> Answer, the way every surface calls the engine."""

    def _ask(question: str, **kwargs: str) -> Answer:
        return engine.ask(question, **kwargs)

    return _ask


@pytest.fixture(scope="session")
def quiet_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """An engine of the seeds without a question log, for tests that ask hundreds of generated
    questions: they are not gaps anyone asked about, and must not crowd the shared log's report."""
    return Engine(SEEDS, tmp_path_factory.mktemp("quiet") / "seeds.sqlite", question_log=False)


@pytest.fixture(scope="session")
def quiet_ask(quiet_engine: Engine):
    return quiet_engine.ask


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    """A private, writable copy of the seeds (test files that need other pages define their own)."""
    folder = tmp_path / "pages"
    shutil.copytree(SEEDS, folder)
    return folder


def write_page(folder: Path, name: str, text: str) -> Path:
    """A page file for tests that need their own folder of pages."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def redis_server(tmp_path: Path):
    """A real redis-server on 127.0.0.1 (a free port, its own folder); skipped without the binary (failed in CI)."""
    from servers import RedisServer

    with RedisServer(tmp_path / "redis") as server:
        yield server


@pytest.fixture(scope="session")
def postgres_server():
    """One real PostgreSQL cluster for the run (initdb in a temp folder, 127.0.0.1, a free port); each test
    takes its own database with ``postgres_server.new_database()``. Skipped without the binaries (failed in CI)."""
    from servers import PostgresServer

    with PostgresServer() as server:
        yield server


@pytest.fixture
def database_url(postgres_server) -> str:
    """A fresh, empty PostgreSQL database for one test."""
    return postgres_server.new_database()
