"""B6 child: `batchtui` as the dashboard entry runs it, stopping at the first drawn frame.

Mirrors ``batchtui.dashboard.run_dashboard`` (Workspace.open on $BATCHTUI_HOME, the app with
polling on) but runs headless and prints ``FIRST_FRAME`` on Textual's ``Ready`` event, which
is sent once the DOM is ready and the first frame has been composed; then it exits.
"""

from __future__ import annotations

import sys


def main() -> int:
    from pathlib import Path

    from batchtui.core.workspace import Workspace
    from batchtui.ui import app as app_module
    from batchtui.ui.app import BatchTuiApp

    def anchored(css: object) -> object:
        """The app's CSS_PATH made absolute (relative paths are read from the app's module)."""
        if isinstance(css, list | tuple):
            return [anchored(item) for item in css]
        path = Path(str(css))
        return str(path if path.is_absolute() else Path(app_module.__file__).parent / path)

    class FirstFrame(BatchTuiApp):
        CSS_PATH = anchored(BatchTuiApp.CSS_PATH)  # type: ignore[assignment]

        def on_ready(self) -> None:
            rows = self.jobs_screen.table.row_count
            print(f"FIRST_FRAME rows={rows}", flush=True)
            self.exit()

    workspace = Workspace.open()
    try:
        FirstFrame(workspace, workspace.clock).run(headless=True, size=(160, 50))
    finally:
        workspace.store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
