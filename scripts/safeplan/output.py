"""Rendered bytes → files under build/, atomically: a killed build never leaves half an output.

Renderers write through these helpers only. A file is written to a temporary
sibling and renamed over the old one; a directory is staged whole and swapped in
with two renames, and a swap that was interrupted is completed on the next run.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import fnmatch
import os
import shutil
import stat
from pathlib import Path


class BuildLocked(Exception):
    """Another build holds the lock on this build/ folder."""


class UnsafeCopy(Exception):
    """A copy met a link, a special file or a file it would overwrite; the message (Chinese) says which."""


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


def copy_file(source: Path, target: Path) -> None:
    """Copy one regular file, never through a link, never over a file that is already there."""
    try:
        descriptor = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UnsafeCopy(f"{source} 是符号链接，不予复制。") from None
        raise
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise UnsafeCopy(f"{source} 不是普通文件，不予复制。")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(target, "xb") as out:
                shutil.copyfileobj(handle, out)
        except FileExistsError:
            raise UnsafeCopy(f"{source} 会覆盖网站中已有的文件 {target.name}。") from None


def copy_folder(source: Path, target: Path, leave_out: tuple[str, ...] = ()) -> None:
    """Copy a folder's regular files (names matching leave_out skipped); a link or special file stops the copy."""
    if source.is_symlink():
        raise UnsafeCopy(f"{source} 是指向文件夹的符号链接，不予复制。")
    for folder, dirnames, filenames in os.walk(source):
        here = Path(folder)
        for name in dirnames + filenames:
            if (here / name).is_symlink():
                raise UnsafeCopy(f"{here / name} 是符号链接，不予复制。")
        dirnames[:] = [d for d in dirnames if not any(fnmatch.fnmatch(d, p) for p in leave_out)]
        for name in filenames:
            if not any(fnmatch.fnmatch(name, p) for p in leave_out):
                copy_file(here / name, target / (here / name).relative_to(source))


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
