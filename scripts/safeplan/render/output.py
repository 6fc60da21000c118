"""Rendered bytes → files under build/, atomically: a killed build never leaves half an output.

Renderers write through these helpers only. A file is written to a temporary
sibling and renamed over the old one. A directory is staged whole and exchanged
with the old one in a single step (Linux renameat2 RENAME_EXCHANGE), so build/site
is the old or the new site at every instant; where the exchange is unavailable
two renames are used, and `recover` (run before every build and preview) completes
a swap that a kill interrupted.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import fnmatch
import os
import re
import shutil
import stat
import time
from pathlib import Path

from safeplan.problems import EnvironmentProblem


class BuildLocked(EnvironmentProblem):
    """Another build holds the lock on this build/ folder."""


class UnsafeCopy(Exception):
    """A copy met a link, a special file or a file it would overwrite; the message (Chinese) says which."""


def _step(name: str, path: Path) -> None:
    """Called before every rename and write below: the seam tests use to fail or kill at step k."""


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
try:
    _renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    _renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
except (AttributeError, OSError):  # not Linux, or a C library older than glibc 2.28
    _renameat2 = None


def exchange(first: Path, second: Path) -> bool:
    """Swap two existing paths atomically; False where the system cannot (then nothing changed)."""
    if _renameat2 is None:
        return False
    _step("exchange", second)
    if _renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # kernel or file system without the exchange
        return False
    raise OSError(code, os.strerror(code), str(second))


def _rename(source: Path, target: Path) -> None:
    _step("rename", target)
    os.rename(source, target)


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    _step("write", temporary)
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _step("replace", path)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_staged(path: Path, text: str) -> None:
    """Write a file inside a folder staged_directory yielded: the swap of the whole folder is what makes
    it atomic, so there is no temporary sibling and no fsync per file (a site has hundreds of pages)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _step("write", path)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def link_file(source: Path, target: Path) -> None:
    """Hard-link a file that is never modified in place (a cached or published bundle); copy where links
    are impossible (another file system)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _step("write", target)
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError:
        shutil.copyfile(source, target)


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


def prune_cache(cache: Path, keep: set[str], limit: int, suffixes: tuple[str, ...] = (".json", ".pdf")) -> None:
    """Mark this build's cache entries (files <key><suffix>) as fresh; drop the least recently used
    beyond the limit. The first suffix's file stands for the entry."""
    if not cache.is_dir():
        return
    now = time.time()
    for key in keep:  # the entry's own file only: the others may be hard-linked into published folders,
        try:          # whose timestamps must not move
            os.utime(cache / f"{key}{suffixes[0]}", (now, now))
        except FileNotFoundError:
            pass
    entries = sorted(cache.glob(f"*{suffixes[0]}"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in entries[limit:]:
        if stale.stem not in keep:
            for suffix in suffixes:
                stale.with_suffix(suffix).unlink(missing_ok=True)


def _previous(final: Path) -> Path:
    return final.with_name(f".{final.name}.previous")


def recover(final: Path) -> None:
    """Finish a swap that a kill interrupted: put the last good output back, remove leftovers."""
    previous = _previous(final)
    if previous.exists() and not final.exists():
        _rename(previous, final)
    elif previous.exists():
        shutil.rmtree(previous, ignore_errors=True)
    for stale in final.parent.glob(f".{final.name}.staging-*"):
        shutil.rmtree(stale, ignore_errors=True)


def recover_all(build_dir: Path) -> None:
    """recover() every output under build_dir that a kill left mid-swap; call it holding the build lock."""
    leftovers = re.compile(r"^\.(.+)\.(previous|staging-[0-9]+)$")
    if build_dir.is_dir():
        for name in sorted({m.group(1) for p in build_dir.iterdir() if (m := leftovers.match(p.name))}):
            recover(build_dir / name)


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
        if not (final.exists() and exchange(staging, final)):
            if final.exists():
                _rename(final, _previous(final))
            _rename(staging, final)
    except BaseException:
        recover(final)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # after an exchange: the old output
        if final.exists():
            shutil.rmtree(_previous(final), ignore_errors=True)


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
