"""Git history of the content files → Provenance: the frozen facts the outputs print about their sources.

build.py gathers it once, before anything is written (review/history reads all of it in one
git call), and passes it to the renderers, which talk to no git of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Commit:
    sha: str
    date: str  # ISO date of the author date, UTC
    author: str
    message: str  # first line
    path: str  # the file's path in that commit, relative to the repository top (differs across renames)
    epoch: int = 0  # committer time (Unix seconds): what a bundle's date is taken from


@dataclass(frozen=True)
class Source:
    """What one bundle was made from: the newest commit among its inputs and the date it prints."""

    commit: str  # short sha, '' outside git
    date: str  # YYYY-MM-DD


@dataclass(frozen=True)
class Provenance:
    head: str  # short sha of HEAD, '' outside git
    epoch: int  # the build epoch: SOURCE_DATE_EPOCH, else HEAD's commit time, else the newest content date
    date: str  # the build date pages print (from epoch, never the clock)
    dated_by: str  # why date is what it is when neither git nor SOURCE_DATE_EPOCH fixes it, else ''
    logs: dict[str, tuple[Commit, ...]] = field(default_factory=dict)  # content path → its commits, newest first
    # the latest commits that touched content, newest first, each with the content paths it changed
    recent: tuple[tuple[Commit, tuple[str, ...]], ...] = ()
    sources: dict[str, Source] = field(default_factory=dict)  # school id → its bundle's source
