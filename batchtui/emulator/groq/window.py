"""Groq's completion windows: durations from ``24h`` to ``7d`` (groq SDK, batch_create_params).

The SDK names only the range. Which spellings the API takes besides ``24h`` and ``7d`` is not
documented [U]; the safe reading accepts a whole number of hours (``h``) or days (``d``) inside
the range and refuses everything else (minutes, fractions, ``1w``), so a client never relies on
a form the real API might refuse.
"""

from __future__ import annotations

import re

from batchtui.emulator.errors import ApiError

HOUR = 3600
MIN_HOURS, MAX_HOURS = 24, 7 * 24
_DURATION = re.compile(r"([1-9][0-9]{0,4})([hd])\Z")


def window_hours(value: object) -> int:
    """The window in hours; a 400 in OpenAI's shape (param completion_window) otherwise."""
    m = _DURATION.match(value) if isinstance(value, str) else None
    hours = (int(m.group(1)) * (24 if m.group(2) == "d" else 1)) if m else 0
    if not MIN_HOURS <= hours <= MAX_HOURS:
        raise ApiError(
            400,
            f"Invalid value: '{value}'. Supported values are durations from '24h' to '7d'.",
            param="completion_window",
            code="invalid_value",
        )
    return hours
