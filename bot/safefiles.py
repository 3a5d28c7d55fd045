"""File safety for Rolecall's own SQLite files: know them, check them, never clobber anything else.

Rolecall writes two kinds of files: the index (a cache rebuilt from the pages) and the
question log. Both are SQLite files stamped with an ``application_id`` of their own, so
a file can be told apart from anything a user might point ``--db`` at by mistake:

* :func:`inspect` says whether a path is missing, empty, a healthy file of the expected
  kind, a damaged one (SQLite header and our stamp intact, ``PRAGMA quick_check`` fails),
  or foreign (anything else). Only the first four may ever be replaced.
* :class:`WriterLock` serialises writers of one file across processes (``fcntl.flock`` on
  a ``<file>.lock`` beside it, never deleted, so no two processes can lock different inodes).
* :func:`temp_path` gives unique temporary names beside a file, :func:`remove_quietly`
  removes them (and their SQLite journals) when a write fails.

Everything a user can get wrong (a folder given as a file, a file that is not ours, an
unwritable or full disk) becomes a :class:`FileSafetyError` with a one-line message naming
the path; the command line prints it without a traceback.
"""

from __future__ import annotations

import errno
import fcntl
import os
import sqlite3
import threading
import time
from pathlib import Path

SQLITE_HEADER = b"SQLite format 3\x00"
INDEX_APPLICATION_ID = 0x52434958  # "RCIX"
LOG_APPLICATION_ID = 0x52434C47  # "RCLG"

MISSING, EMPTY, OURS, DAMAGED, FOREIGN = "missing", "empty", "ours", "damaged", "foreign"
SIDE_SUFFIXES = ("-journal", "-wal", "-shm")


class FileSafetyError(Exception):
    """A problem with one of Rolecall's files that the user must fix; the message names the path."""


def application_id(path: Path) -> int | None:
    """The ``application_id`` in a SQLite header, or None when the file does not start like SQLite."""
    with open(path, "rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(SQLITE_HEADER):
        return None
    return int.from_bytes(header[68:72], "big")


# (path, device, inode, size, mtime) of files that passed quick_check: a file is checked once per version
_checked: set[tuple[str, int, int, int, int]] = set()
_checked_lock = threading.Lock()


def _identity(path: Path) -> tuple[str, int, int, int, int]:
    info = path.stat()
    return (str(path), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def check_now(path: Path) -> bool:
    """``PRAGMA quick_check`` of the file as it is now, on a read-only connection (a read
    transaction: writers go on); False when damaged or unreadable. Not cached: see quick_check."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute("PRAGMA quick_check").fetchall() == [("ok",)]
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False


def quick_check(path: Path) -> bool:
    """:func:`check_now`, cached per file version: a file that passed is not read again."""
    try:
        key = _identity(path)
    except OSError:
        return False
    with _checked_lock:
        if key in _checked:
            return True
    ok = check_now(path)
    if ok:
        with _checked_lock:
            if len(_checked) > 1000:
                _checked.clear()
            _checked.add(key)
    return ok


def inspect(path: Path, app_id: int, legacy_table: str, *, check: bool = True) -> str:
    """What is at ``path``: MISSING, EMPTY, OURS (healthy), DAMAGED (ours, but quick_check fails) or FOREIGN.

    ``check=False`` reads only the header (OURS then means "ours", not "healthy"): the index
    checks large files in the background (:class:`bot.index._Checks`), not on the way to an answer.

    A file is ours when its SQLite header carries ``app_id``. Files written before the stamp
    existed (application_id 0) count as ours when they open and hold ``legacy_table``; a
    damaged one of those cannot be proved ours, so it is FOREIGN and left alone.
    """
    if path.is_dir():
        raise FileSafetyError(f"{path} is a folder, not a file")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return MISSING
    except OSError as error:
        raise FileSafetyError(f"cannot read {path}: {error.strerror or error}") from None
    if size == 0:
        return EMPTY
    try:
        found = application_id(path)
    except OSError as error:
        raise FileSafetyError(f"cannot read {path}: {error.strerror or error}") from None
    if found == app_id:
        return OURS if not check or quick_check(path) else DAMAGED
    if found == 0 and _has_table(path, legacy_table):
        return OURS if quick_check(path) else FOREIGN
    return FOREIGN


def _has_table(path: Path, table: str) -> bool:
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute("select 1 from sqlite_master where type = 'table' and name = ?", (table,)).fetchone() is not None
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False


def is_inside(path: Path, folder: Path) -> bool:
    """True when ``path`` is ``folder`` or lies anywhere under it (symlinks resolved)."""
    try:
        return Path(path).resolve().is_relative_to(Path(folder).resolve())
    except OSError:
        return False


def ensure_parent(path: Path) -> None:
    """Create the folder a file goes in, or say in one line why it cannot be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise FileSafetyError(f"cannot create {path}: {path.parent} is not a folder") from None
    except OSError as error:
        raise FileSafetyError(f"cannot create the folder {path.parent}: {error.strerror or error}") from None
    if not path.parent.is_dir():
        raise FileSafetyError(f"cannot create {path}: {path.parent} is not a folder")


def describe(error: BaseException) -> str:
    """An OSError or SQLite error in a few words (no traceback, no paths of ours repeated)."""
    if isinstance(error, OSError):
        if error.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            return "the disk is full"
        return error.strerror or str(error)
    name = getattr(error, "sqlite_errorname", "") or ""
    text = str(error)
    if name == "SQLITE_FULL" or "disk is full" in text:
        return "the disk is full"
    if name.startswith("SQLITE_IOERR") or "disk I/O error" in text:
        return "disk I/O error (is the disk full?)"
    if name == "SQLITE_READONLY" or "readonly" in text:
        return "the file or its folder is read-only"
    return text


def temp_path(path: Path, tag: str) -> Path:
    """A new, unique, empty file beside ``path`` (``<name>.<tag>-XXXX``), for a write that is swapped in later."""
    import tempfile  # only a writer makes one: opening and answering never import it (nor shutil, bz2, lzma, random)

    fd, name = tempfile.mkstemp(prefix=f"{path.name}.{tag}-", dir=path.parent)
    os.close(fd)
    return Path(name)


def remove_quietly(path: Path) -> None:
    """Remove a temporary file of ours and its SQLite side files; never raise."""
    for suffix in ("", *SIDE_SUFFIXES):
        try:
            Path(str(path) + suffix).unlink()
        except OSError:
            pass


def stale_temp_files(path: Path, tag: str) -> list[Path]:
    """Temporary files a killed writer left beside ``path`` (call while holding the writer lock)."""
    try:
        names = [p for p in path.parent.iterdir() if p.name.startswith(f"{path.name}.{tag}")]
    except OSError:
        return []
    return [p for p in names if not any(p.name.endswith(s) for s in SIDE_SUFFIXES)]


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: not every file system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class WriterLock:
    """One writer of ``path`` at a time, across processes and threads: ``flock`` on ``<path>.lock``.

    The kernel releases the lock when its holder dies (even by SIGKILL), so a crashed
    writer never wedges the others. Waits at most ``timeout`` seconds.
    """

    def __init__(self, path: Path, timeout: float = 300.0) -> None:
        self.lock_path = Path(str(path) + ".lock")
        self.timeout = timeout
        self._fd: int | None = None

    def __enter__(self) -> WriterLock:
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise FileSafetyError(f"cannot create the lock file {self.lock_path}: {describe(error)}") from None
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise FileSafetyError(
                        f"another process has been writing {self.lock_path.with_suffix('')} for {self.timeout:.0f} s; gave up"
                    ) from None
                time.sleep(0.05)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
