"""The import screen: pick an input file, validate it in a worker, read errors, submit."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.markup import escape
from textual.widgets import DirectoryTree, Footer, Input, OptionList, ProgressBar, Select, Static
from textual.widgets.option_list import Option

from batchtui.ui.messages import ValidationProgressed
from batchtui.ui.models.inputs import ValidationView, input_suffix_ok, read_window, validation_view
from batchtui.ui.models.jobs import job_view
from batchtui.ui.models.workspace import profile_choices
from batchtui.ui.screens.base import BaseScreen


class InputTree(DirectoryTree):
    """A directory tree listing only folders and input files (.jsonl, .json, .csv)."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="tree.down"),
        Binding("k", "cursor_up", "Up", show=False, id="tree.up"),
    ]

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [
            p for p in paths if not p.name.startswith(".") and (p.is_dir() or input_suffix_ok(p))
        ]


def display_path(path: Path, *bases: Path) -> str:
    """`path` relative to the first of `bases` (then the working directory) it lies below."""
    resolved = path.resolve()
    for base in (*bases, Path.cwd()):
        try:
            return str(resolved.relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)


def summary_content(view: ValidationView) -> Content:
    """The summary block under the progress bar."""
    tone = "$text-success" if view.ok else "$text-error"
    verdict = "valid" if view.ok else f"{view.total_errors:,} problem(s)"
    models = ", ".join(f"{m} ×{n:,}" if n else m for m, n in view.models.items()) or "—"
    tokens = f"{view.input_tokens:,}" if view.input_tokens is not None else "—"
    if len(view.splits) > 1:
        plan = f"{len(view.splits)} jobs of " + " + ".join(f"{n:,}" for n in view.splits)
    else:
        plan = "one job"
    lines = [
        Content.assemble((Path(view.path).name, "bold"), "  ", (verdict, tone), "\n"),
        Content.assemble(("format     ", "$text-muted"), view.format or "—", "\n"),
        Content.assemble(("requests   ", "$text-muted"), f"{view.requests:,}", "\n"),
        Content.assemble(("models     ", "$text-muted"), models, "\n"),
        Content.assemble(("est. input ", "$text-muted"), f"{tokens} tokens", "\n"),
        Content.assemble(("est. cost  ", "$text-muted"), view.cost or "no price yet", "\n"),
        Content.assemble(("split      ", "$text-muted"), plan),
    ]
    return Content("").join(lines)


class ImportScreen(BaseScreen):
    """Choose a file (tree or typed path), validate, inspect errors, submit to a profile."""

    QUIT_ON_Q = False  # a path is typed and a file picked here: ctrl+q quits

    BINDINGS = [
        Binding("escape", "back", "Back", id="import.back"),
        Binding("ctrl+r", "submit", "Submit", id="import.submit"),
        Binding("ctrl+l", "focus_path", "Type path", id="import.path"),
    ]

    def __init__(self, start: Path | None = None) -> None:
        super().__init__()
        self.start = start or Path.cwd()
        self.path: Path | None = None
        self.report: ValidationView | None = None
        self._generation = 0

    def compose(self) -> ComposeResult:
        choices = profile_choices(self.workspace)
        with Horizontal(id="import-main"):
            with Vertical(id="import-left"):
                yield Input(
                    placeholder="path to .jsonl / .json / .csv — enter validates", id="import-path"
                )
                yield InputTree(self.start, id="import-tree")
            with Vertical(id="import-right"):
                yield Select(
                    [(c.title, c.name) for c in choices],
                    value=choices[0].name if choices else Select.NULL,
                    allow_blank=not choices,
                    prompt="profile",
                    id="import-profile",
                )
                yield ProgressBar(id="import-progress", show_eta=False)
                yield Static(Content("Pick a file to validate."), id="import-summary")
                yield OptionList(id="import-errors")
                with VerticalScroll(id="import-preview-pane"):
                    yield Static(id="import-preview")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#import-tree", InputTree).focus()

    # ------------------------------------------------------------------ choosing

    @on(DirectoryTree.FileSelected, "#import-tree")
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#import-path", Input).value = display_path(event.path, self.start)
        self.choose(event.path)

    @on(Input.Submitted, "#import-path")
    def _path_typed(self, event: Input.Submitted) -> None:
        path = Path(event.value.strip()).expanduser()
        if not path.is_file():
            self.notify(f"No such file: {escape(str(path))}", severity="error")
            return
        self.choose(path)

    @on(Select.Changed, "#import-profile")
    def _profile_changed(self) -> None:
        if self.path is not None:
            self.choose(self.path)

    def profile(self) -> str | None:
        value = self.query_one("#import-profile", Select).value
        return None if value is Select.NULL else str(value)

    def choose(self, path: Path) -> None:
        """Validate `path` for the selected profile and preview its first lines."""
        self.path = path
        self.report = None
        self._generation += 1
        self.query_one("#import-errors", OptionList).clear_options()
        self.query_one("#import-summary", Static).update(Content(f"Validating {path.name}…"))
        self.query_one("#import-progress", ProgressBar).update(total=None, progress=0)
        self.show_preview(1, highlight=None)
        profile = self.profile()
        if profile is None:
            self.notify("No profile to validate against.", severity="error")
            return
        self.validate(path, profile, self._generation)

    @work(
        thread=True, exclusive=True, group="validate", exit_on_error=False, description="validate"
    )
    def validate(self, path: Path, profile: str, generation: int) -> None:
        def progress(done: int, total: int | None = None) -> None:
            self.post_message(ValidationProgressed(done, total))

        report = self.workspace.validate(path, profile, progress=progress)
        view = validation_view(report, path, with_cost=True)
        self.app.call_from_thread(self._validated, view, generation)

    def on_validation_progressed(self, message: ValidationProgressed) -> None:
        self.query_one("#import-progress", ProgressBar).update(
            total=message.total, progress=message.done
        )

    def _validated(self, view: ValidationView, generation: int) -> None:
        if generation != self._generation:
            return
        self.report = view
        bar = self.query_one("#import-progress", ProgressBar)
        bar.update(total=1, progress=1)
        self.query_one("#import-summary", Static).update(summary_content(view))
        errors = self.query_one("#import-errors", OptionList)
        errors.clear_options()
        errors.add_options(
            Option(Text(error.text(), no_wrap=True, overflow="ellipsis"), id=str(n))
            for n, error in enumerate(view.errors)
        )
        if view.total_errors > len(view.errors):
            errors.add_option(
                Option(Text(f"… and {view.total_errors - len(view.errors):,} more"), disabled=True)
            )
        errors.set_class(view.ok, "-hidden")

    @on(OptionList.OptionSelected, "#import-errors")
    def _error_selected(self, event: OptionList.OptionSelected) -> None:
        if self.report is None or event.option_id is None:
            return
        error = self.report.errors[int(event.option_id)]
        if error.line:
            self.show_preview(error.line, highlight=error.line)

    def show_preview(self, line: int, highlight: int | None) -> None:
        """Show the lines around `line`, reading only as far as needed."""
        if self.path is None:
            return
        try:
            window = read_window(self.path, line, before=5 if highlight else 0, after=30)
        except OSError as error:
            self.notify(escape(str(error)), severity="error")
            return
        width = len(str(window[-1][0])) if window else 1
        parts = []
        for number, text in window:
            style = "$text-error on $error-muted" if number == highlight else ""
            parts.append(
                Content.assemble((f"{number:>{width}} ", "$text-muted"), (text, style), "\n")
            )
        self.query_one("#import-preview", Static).update(Content("").join(parts))
        if highlight is not None:
            pane = self.query_one("#import-preview-pane", VerticalScroll)
            pane.scroll_to(y=max(0, highlight - window[0][0] - 2), animate=False)

    # ------------------------------------------------------------------ actions

    def action_focus_path(self) -> None:
        self.query_one("#import-path", Input).focus()

    def action_back(self) -> None:
        self.dismiss()

    def action_submit(self) -> None:
        if self.path is None or self.report is None:
            self.notify("Pick and validate a file first.", severity="warning")
            return
        if not self.report.ok:
            self.notify("Fix the listed problems before submitting.", severity="error")
            return
        profile = self.profile()
        if profile is not None:
            self.submit(self.path, profile)

    @work(group="submit", exclusive=True, exit_on_error=False, description="submit")
    async def submit(self, path: Path, profile: str) -> None:
        records = await self.workspace.submit_file(path, profile)
        views = [job_view(r) for r in records]
        self.notify(
            f"Submitted {len(views)} job{'s' if len(views) != 1 else ''} from {escape(path.name)}."
        )
        self.dismiss(views[0].local_id if views else None)
