"""Real Redis and PostgreSQL servers for the tests: started on 127.0.0.1, a free port, a temporary folder.

* :class:`RedisServer` runs ``redis-server`` with no persistence (``--save ''``, ``--appendonly no``)
  in its own folder (``--dir``); :meth:`RedisServer.stop` and :meth:`RedisServer.start` stop and
  restart it on the same port, the way an operator's restart looks to a client (its data is gone).
* :class:`PostgresServer` runs ``initdb`` and ``postgres -k <folder> -h 127.0.0.1 -p <port>``.
  PostgreSQL refuses to run as root: as root, both run as the ``postgres`` account the Debian
  package creates, else ``nobody``, in a folder under the system temp dir made theirs.

Binaries are looked up on PATH, then (PostgreSQL) under ``/usr/lib/postgresql/<version>/bin``,
newest first. Without them the tests that need a server are skipped, saying which binary is
missing, except under CI (``CI=true``), where ``.ci/run`` installs them: there it is a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def in_ci() -> bool:
    return (os.environ.get("CI") or "").lower() in ("1", "true", "yes")


def need(binary: str | None, name: str, package: str, where: str = "on PATH") -> str:
    """The binary's path; skip (or, in CI, fail) with a clear reason when it is absent."""
    if binary is None:
        reason = f"{name} not found ({where}): install the Debian package {package}"
        if in_ci():
            pytest.fail(f"{reason}; .ci/run installs it, so CI must run these tests")
        pytest.skip(reason)
    return binary


def redis_binary() -> str | None:
    return shutil.which("redis-server")


def postgres_bin_dir() -> Path | None:
    """Where ``initdb`` and ``postgres`` live: PATH (if both are there), else the newest Debian install."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("postgres"):
        return Path(on_path).resolve().parent
    def version(path: str) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", Path(path).parent.parent.name)) or (0,)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version, reverse=True)
    for initdb in found:
        folder = Path(initdb).parent
        if (folder / "postgres").exists():
            return folder
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, log: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            output = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"{what} exited with code {process.returncode}:\n{output}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout} s") from None
            time.sleep(0.05)


class RedisServer:
    """``redis-server`` on 127.0.0.1 and a free port, in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.binary = need(redis_binary(), "redis-server", "redis-server")
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.log = self.folder / "redis.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        for attempt in range(3):
            with open(self.log, "a") as log:  # a file, not a pipe nobody reads: a full pipe would stall the server
                self.process = subprocess.Popen(
                    [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
                     "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning"],
                    stdout=log, stderr=subprocess.STDOUT,
                )
            try:
                wait_for_port(self.port, self.process, "redis-server", self.log)
                return self
            except RuntimeError:
                self.stop()
                if attempt == 2:
                    raise
                self.port = free_port()  # someone took the port between picking and binding it
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def unprivileged_account() -> pwd.struct_passwd | None:
    """The account PostgreSQL runs as when we are root: ``postgres`` (Debian's), else ``nobody``."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    pytest.fail("running as root and neither a 'postgres' nor a 'nobody' account exists to run PostgreSQL as")


class PostgresServer:
    """A throw-away PostgreSQL cluster: ``initdb`` in a temporary folder, ``postgres`` on 127.0.0.1."""

    USER = "rolecall"

    def __init__(self) -> None:
        folder = postgres_bin_dir()
        need(None if folder is None else str(folder), "PostgreSQL's initdb and postgres", "postgresql",
             "on PATH or under /usr/lib/postgresql/<version>/bin")
        self.bin = folder
        self.account = unprivileged_account()
        # Not under pytest's tmp_path: that is private to root (0700), and the server may run as another user.
        self.folder = Path(tempfile.mkdtemp(prefix="rolecall-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self._databases = 0

    def _run_as(self) -> dict:
        if self.account is None:
            return {}
        return {"user": self.account.pw_uid, "group": self.account.pw_gid, "extra_groups": []}

    def _env(self) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C",
                "HOME": str(self.folder), "TZ": "UTC"}

    def start(self) -> "PostgresServer":
        if self.account is not None:
            os.chown(self.folder, self.account.pw_uid, self.account.pw_gid)
        initdb = subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.data), "-U", self.USER, "--auth=trust", "-E", "UTF8",
             "--locale=C", "--no-sync"],
            capture_output=True, text=True, env=self._env(), cwd=self.folder, timeout=120, **self._run_as(),
        )
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed ({initdb.returncode}):\n{initdb.stdout}\n{initdb.stderr}")
        for attempt in range(3):
            with open(self.log, "a") as log:
                self.process = subprocess.Popen(
                    [str(self.bin / "postgres"), "-D", str(self.data), "-k", str(self.folder), "-h", "127.0.0.1",
                     "-p", str(self.port), "-c", "fsync=off", "-c", "synchronous_commit=off",
                     "-c", "full_page_writes=off", "-c", "max_connections=50", "-c", "shared_buffers=16MB"],
                    stdout=log, stderr=subprocess.STDOUT, env=self._env(), cwd=self.folder, **self._run_as(),
                )
            try:
                wait_for_port(self.port, self.process, "postgres", self.log, timeout=30)
                self._wait_ready()
                return self
            except RuntimeError:
                self._stop_process()
                if attempt == 2:
                    raise
                self.port = free_port()
        return self

    def _wait_ready(self, timeout: float = 30.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def url(self, database: str) -> str:
        return f"postgresql://{self.USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database's URL (one per test keeps tests apart on one server)."""
        import psycopg

        self._databases += 1
        name = f"rolecall_{os.getpid()}_{self._databases}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        return self.url(name)

    def _stop_process(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # "fast" shutdown: disconnect clients, stop
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        self._stop_process()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "PostgresServer":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
