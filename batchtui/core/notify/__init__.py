"""What a job end sets off besides the in-app notification: terminal escape sequences for a
desktop notification (`terminal`), the profile's `on_end` command and `notify_urls` (`hooks`).

Provider-neutral and free of Textual: the dashboard and the headless `watch` share it.
"""

from __future__ import annotations

from batchtui.core.notify.hooks import (
    CLAIMS,
    EXTRA,
    HOOK_TIMEOUT_S,
    EndNotifier,
    HookResult,
    Sender,
    apprise_installed,
    claim_dir,
    hook_env,
    hook_payload,
    run_hook,
    send_apprise,
)
from batchtui.core.notify.terminal import (
    BEL,
    ENDED,
    MODES,
    end_text,
    notification_sequence,
    osc9,
    osc777,
    pick_mode,
    sanitise,
    stale_text,
)

__all__ = [
    "BEL",
    "CLAIMS",
    "ENDED",
    "EXTRA",
    "HOOK_TIMEOUT_S",
    "MODES",
    "EndNotifier",
    "HookResult",
    "Sender",
    "apprise_installed",
    "claim_dir",
    "end_text",
    "hook_env",
    "hook_payload",
    "notification_sequence",
    "osc9",
    "osc777",
    "pick_mode",
    "run_hook",
    "sanitise",
    "send_apprise",
    "stale_text",
]
