"""Desktop notifications through the terminal's own escape sequences, and the text they carry.

OSC 9 (``ESC ] 9 ; text BEL``: iTerm2, WezTerm, Windows Terminal, kitty, Ghostty) and OSC 777
(``ESC ] 777 ; notify ; title ; body BEL``: rxvt-unicode, foot, VTE terminals, Ghostty). The
sequences are plain text; who writes them (Textual's driver, the headless `watch`) is the
caller's business. Nothing from a label or a provider can break out of a sequence: control
characters, ESC, BEL and ``;`` are removed from every field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from batchtui.core.models import BatchStatus
from batchtui.core.store import JobRecord

__all__ = [
    "BEL",
    "ENDED",
    "MODES",
    "end_text",
    "notification_sequence",
    "osc9",
    "osc777",
    "pick_mode",
    "sanitise",
    "stale_text",
]

BEL = "\a"
ESC = "\x1b"
MODES = ("auto", "osc9", "osc777", "off")
ENDED = frozenset(
    {BatchStatus.COMPLETED, BatchStatus.FAILED, BatchStatus.EXPIRED, BatchStatus.CANCELLED}
)
"""The job ends that notify and run `on_end` (every terminal status)."""

FIELD_MAX = 200
"""Characters kept of one field (terminals cut long notifications anyway)."""

_SPACES = re.compile(r"\s+")


def sanitise(text: str, limit: int = FIELD_MAX) -> str:
    """`text` safe inside an OSC field: control and format characters (C0, DEL, C1, ESC, BEL,
    bidirectional overrides) become spaces, ``;`` becomes ``,``, runs of space shrink to
    one; at most `limit` characters (cut with an ellipsis)."""
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Zl", "Zp"):  # C0, DEL, C1 (incl. ST, OSC), bidi marks
            kept.append(" ")
        elif char == ";":
            kept.append(",")
        else:
            kept.append(char)
    clean = _SPACES.sub(" ", "".join(kept)).strip()
    if len(clean) > limit:
        clean = clean[: max(0, limit - 1)].rstrip() + "…"
    return clean


def osc9(text: str) -> str:
    """``ESC ] 9 ; text BEL``; a text starting with a digit and ``;`` would be read as a
    ConEmu sub-command (``9;4;…`` is a progress bar), so digits first get a leading space."""
    body = sanitise(text)
    if body[:1].isdigit():
        body = " " + body
    return f"{ESC}]9;{body}{BEL}"


def osc777(title: str, body: str) -> str:
    """``ESC ] 777 ; notify ; title ; body BEL``."""
    return f"{ESC}]777;notify;{sanitise(title)};{sanitise(body)}{BEL}"


def pick_mode(setting: str, env: Mapping[str, str]) -> str:
    """The sequence to use (``osc9``, ``osc777`` or ``off``) for a ``desktop_notify`` setting;
    ``auto`` looks at the terminal's environment, and is ``off`` when nothing is known (a
    terminal that ignores an OSC it does not know is fine, one that prints it is not)."""
    if setting in ("osc9", "osc777", "off"):
        return setting
    if env.get("TMUX") or env.get("STY"):  # multiplexers swallow or mangle OSC notifications
        return "off"
    program = env.get("TERM_PROGRAM", "").lower()
    term = env.get("TERM", "").lower()
    if program == "ghostty" or "ghostty" in term:
        return "osc777"
    if program in ("iterm.app", "wezterm") or env.get("WT_SESSION") or env.get("KITTY_WINDOW_ID"):
        return "osc9"
    if "kitty" in term or "wezterm" in term:
        return "osc9"
    if env.get("VTE_VERSION") or term.startswith(("foot", "rxvt")):
        return "osc777"
    return "off"


def notification_sequence(mode: str, title: str, body: str) -> str:
    """The escape sequence of a picked mode (empty for ``off``)."""
    if mode == "osc9":
        return osc9(f"{title}: {body}" if body else title)
    if mode == "osc777":
        return osc777(title, body)
    return ""


def end_text(record: JobRecord) -> tuple[str, str]:
    """(title, body) of a job end: ``batchtui: <label> completed`` and its counts."""
    label = record.label or record.id or record.local_id
    counts = record.counts
    body = f"{counts.succeeded:,} succeeded, {counts.errored:,} errored"
    if counts.canceled:
        body += f", {counts.canceled:,} canceled"
    if counts.expired:
        body += f", {counts.expired:,} expired"
    body += f" of {counts.total:,}"
    return f"batchtui: {label} {record.status.value}", body


def stale_text(record: JobRecord) -> tuple[str, str]:
    """(title, body) of a job that went stale."""
    label = record.label or record.id or record.local_id
    counts = record.counts
    return f"batchtui: {label} stale", f"no progress ({counts.done:,} of {counts.total:,} done)"
