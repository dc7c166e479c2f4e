"""Plain `batchtui`: the dashboard on the user's own profiles and job store."""

from __future__ import annotations


def run_dashboard(webhooks: tuple[str, int] | None = None) -> int:
    """Open the user's workspace and run the dashboard until the user quits (`webhooks`:
    also receive signed provider events on that address)."""
    from batchtui import startup
    from batchtui.core.workspace import Workspace
    from batchtui.ui.app import make_app

    startup.mark("imports (core, Textual, the app)")
    workspace = Workspace.open()
    startup.mark("workspace opened (config, store)")
    try:
        make_app(workspace, workspace.clock, webhooks=webhooks).run()
    finally:
        workspace.store.close()
        startup.print_report()
    return 0
