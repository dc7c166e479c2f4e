"""Opening a screen's filter box from its `/` binding, so no typed key is lost.

The binding has priority: the screen opens the box as the app reads `/`, and the box takes
the focus at once (`set_focus`, not the deferred `focus()`). Keys typed right after `/` are
often already queued behind it (fast typing, or an app busy polling many jobs), and they are
forwarded to whatever has the focus when the app reads them: without both, they went to the
table and were lost (or fired its one-letter bindings). With the box focused, `/` is text.
"""

from __future__ import annotations

from textual.widgets import Input


def open_filter(box: Input) -> None:
    """Show and focus ``box``; when it already has the focus, type a `/` into it."""
    if box.has_focus:
        if box.selection.is_empty:
            box.insert_text_at_cursor("/")
        else:
            box.replace("/", *box.selection)
        return
    box.remove_class("-hidden")
    box.app.set_focus(box)
