"""Findings → data: the Problem record every stage returns instead of raising."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

ERROR = "error"
WARNING = "warning"
OFF = "off"
SEVERITIES = (ERROR, WARNING, OFF)

# C0 and C1 controls but tab and line breaks, and the bidirectional embeddings, overrides and
# isolates (which make text read differently from what it is): never content, never printed raw.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def control_name(character: str) -> str:
    return f"U+{ord(character):04X}"


_UNPRINTABLE = re.compile(CONTROL.pattern[:-1] + r"\n\r\t\u2028\u2029]")


def printable(text: str) -> str:
    """Text safe for a terminal: every control and bidi character shown as an escape, e.g. \\x1b, \\u202e."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                            text)


@dataclass(frozen=True, order=True)
class Problem:
    """One finding, located in a content file. Messages and hints are Chinese."""

    path: str
    line: int
    column: int
    severity: str
    rule: str
    message: str
    hint: str = field(default="", compare=False)
    cell: str = ""  # a spreadsheet's sheet!cell (隐患!C7), shown in place of line:column

    @property
    def place(self) -> str:
        return f"{self.path}:{self.cell}" if self.cell else f"{self.path}:{self.line}:{self.column}"

    def as_dict(self) -> dict:
        found = asdict(self)
        if not self.cell:
            del found["cell"]
        return found


class ContentError(Exception):
    """A fatal problem found while reading input; carries the Problem to report."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


class ContentRefused(Exception):
    """A renderer cannot use the repository's own configuration (e.g. mkdocs.yml, site-assets/);
    the message (Chinese) names the file and the fix. Reported like content problems."""


class UsageError(Exception):
    """The command asks for something that does not exist or cannot be done; the message says what to type."""


class EnvironmentProblem(Exception):
    """The machine, not the content: an unwritable build/, git refusing the repository, a missing font
    or package, a full disk. The message (Chinese) names what is wrong and how to fix it."""
