"""Environment and git → the dates outputs print: SOURCE_DATE_EPOCH, else git, never the clock."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from . import history


def fixed_epoch() -> int | None:
    """SOURCE_DATE_EPOCH, when the caller pins every date in the output."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(value) if value.isdigit() else None


def build_epoch(root: Path) -> int:
    """Dates printed in outputs: SOURCE_DATE_EPOCH, else HEAD's commit time, never the clock."""
    epoch = fixed_epoch()
    return epoch if epoch is not None else history.head_epoch(root) or 0


def epoch_date(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).date().isoformat()


def build_date(root: Path) -> str:
    return epoch_date(build_epoch(root))
