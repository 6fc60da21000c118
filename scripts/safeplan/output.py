"""Rendered bytes → files under build/, atomically: a killed build never leaves half an output.

Renderers write through these helpers only. A file is written to a temporary
sibling and renamed over the old one; a directory is staged whole and swapped in
with two renames, and a swap that was interrupted is completed on the next run.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from pathlib import Path

from .problems import EnvironmentProblem


class BuildLocked(EnvironmentProblem):
    """Another build holds the lock on this build/ folder."""


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def _previous(final: Path) -> Path:
    return final.with_name(f".{final.name}.previous")


def recover(final: Path) -> None:
    """Finish a swap that a kill interrupted: put the last good output back in place."""
    previous = _previous(final)
    if previous.exists() and not final.exists():
        os.rename(previous, final)
    elif previous.exists():
        shutil.rmtree(previous, ignore_errors=True)
    for stale in final.parent.glob(f".{final.name}.staging-*"):
        shutil.rmtree(stale, ignore_errors=True)


@contextlib.contextmanager
def staged_directory(final: Path):
    """Yield an empty staging folder; on success it replaces `final`, on failure it is removed."""
    final.parent.mkdir(parents=True, exist_ok=True)
    recover(final)
    staging = final.with_name(f".{final.name}.staging-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    previous = _previous(final)
    if final.exists():
        os.rename(final, previous)
    os.rename(staging, final)
    shutil.rmtree(previous, ignore_errors=True)


@contextlib.contextmanager
def build_lock(build_dir: Path):
    """One build at a time per build/ folder; a second one fails at once with a clear message."""
    build_dir.mkdir(parents=True, exist_ok=True)
    handle = open(build_dir / ".lock", "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise BuildLocked(f"另一个构建正在使用 {build_dir}；请等它结束后再运行。") from None
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
