"""Environment → dates: the SOURCE_DATE_EPOCH outputs print, and the day reviews fall due against."""

from __future__ import annotations

import os
from datetime import date, datetime, timezone

from safeplan.problems import EnvironmentProblem, UsageError


LATEST_EPOCH = 4102444800  # 2100-01-01: content dates end in 2099 (schemas/common.schema.json)


def fixed_epoch() -> int | None:
    """SOURCE_DATE_EPOCH, when the caller pins every date in the output."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    if value and not (value.isascii() and value.isdigit() and int(value) < LATEST_EPOCH):
        raise EnvironmentProblem(f"环境变量 SOURCE_DATE_EPOCH 的值“{value[:30]}”不是 2100 年以前的 Unix 时间戳（秒）。\n"
                                 "  提示：写成秒数，例如 SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)，或删除这个变量。")
    return int(value) if value else None


def epoch_date(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).date().isoformat()


TODAY_VARIABLE = "SAFEPLAN_TODAY"


def today() -> date:
    """The real day, which reviews fall due against without any commit; SAFEPLAN_TODAY=YYYY-MM-DD pins it (tests)."""
    value = os.environ.get(TODAY_VARIABLE, "")
    try:
        return date.fromisoformat(value) if value else date.today()
    except ValueError:
        raise UsageError(f"环境变量 {TODAY_VARIABLE} 应写成 YYYY-MM-DD，现在是“{value}”。") from None


def chinese_date(value) -> str:
    """2026-11-29 → 2026年11月29日, the form official pages print (GB/T 9704); anything else as it is."""
    try:
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return f"{day.year}年{day.month}月{day.day}日" if isinstance(day, date) else str(value)
    except ValueError:
        return str(value)
