"""Content root → Problems: load and validate in one call, for the CLI, the build and tests."""

from __future__ import annotations

from pathlib import Path

from safeplan.content.loader import load_library
from safeplan.content.model import Library
from safeplan.problems import Problem
from safeplan.checks.validate import validate


def check_library(root: Path) -> tuple[Library, list[Problem]]:
    library, problems = load_library(Path(root))
    return library, sorted(set(problems + validate(library)))


def check_tree(root: Path) -> list[Problem]:
    return check_library(root)[1]
