"""The window every date that comes in must fall in: target dates, round dates, meeting dates.

Checked in the services, so the page, the workbook and the command line refuse the same dates with the same
message; pages still show whatever an older version stored (see ui/survey_form.py).
"""

from __future__ import annotations

import datetime as dt

EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
WINDOW = f"between {EARLIEST.isoformat()} and {LATEST.isoformat()}"


def in_window(value: dt.date | None) -> bool:
    return value is None or EARLIEST <= value <= LATEST


def problem(value: dt.date | None) -> str | None:
    """Why the date is refused, or None."""
    if in_window(value):
        return None
    assert value is not None
    return f"must be {WINDOW}, not {value.isoformat()}"


def checked(value: dt.date | None) -> dt.date | None:
    """The date, or ValueError (for pydantic validators)."""
    message = problem(value)
    if message:
        raise ValueError(message)
    return value
