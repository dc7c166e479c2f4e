"""Triage: problem results grouped by error type or flag; mark results or groups, retry them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.markup import escape
from textual.widgets import Footer, Static, Tree
from textual.widgets.tree import TreeNode

from batchtui.ui.models.jobs import JobView
from batchtui.ui.models.results import (
    TRUNCATED,
    LineSource,
    TriageGroup,
    group_problems,
    is_flag_group,
    preview_text,
    suggested_max_tokens,
    truncated_among,
)
from batchtui.ui.screens.base import BaseScreen
from batchtui.ui.screens.retry_prompt import MaxTokensModal, RetryChoice
from batchtui.ui.widgets.result_detail import ResultDetail

LEAF_LIMIT = 200


@dataclass(frozen=True, slots=True)
class NodeRef:
    """What a triage tree node stands for: a whole group, or one result line."""

    group: str
    index: int | None = None


class TriageTree(Tree[NodeRef]):
    """The group tree; space marks instead of expanding."""

    COMPONENT_CLASSES = Tree.COMPONENT_CLASSES | {"triage-tree--flag"}

    BINDINGS = [
        Binding("space", "mark", "Mark", id="triage.mark"),
        Binding("j", "cursor_down", "Down", show=False, id="triage.down"),
        Binding("k", "cursor_up", "Up", show=False, id="triage.up"),
    ]

    def action_mark(self) -> None:
        self.screen.toggle_mark(self.cursor_node)  # type: ignore[attr-defined]


class RetryOptions(TypedDict, total=False):
    """Keywords of `Workspace.retry` (the ones triage uses)."""

    custom_ids: list[str]
    flag: str
    max_tokens: int


def retry_options(
    custom_ids: list[str], max_tokens: int | None = None, flag: str | None = None
) -> RetryOptions:
    """Keywords of `Workspace.retry` for marked results: a whole flag group goes by its flag
    (the core skips requests a later retry already answered), anything else by custom_id."""
    options: RetryOptions = {"flag": flag} if flag else {"custom_ids": custom_ids}
    if max_tokens is not None:
        options["max_tokens"] = max_tokens
    return options


class TriageScreen(BaseScreen):
    """Errored and flagged results of a job, grouped, with marks and retry."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="triage.back"),
        Binding("R", "retry_marked", "Retry marked", id="triage.retry"),
        Binding("a", "mark_all", "Mark all", id="triage.mark_all"),
    ]

    def __init__(self, local_id: str, source: LineSource, view: JobView | None = None) -> None:
        super().__init__()
        self.local_id = local_id
        self.source = source
        self.job = view
        self.groups: dict[str, TriageGroup] = {}
        self.marked_groups: set[str] = set()
        self.marked_lines: set[int] = set()
        self.leaf_texts: dict[int, str] = {}

    def compose(self) -> ComposeResult:
        name = (self.job.label if self.job else "") or self.local_id
        yield Static(Content.assemble(("Triage ", "bold"), name), id="triage-title")
        with Horizontal(id="triage-main"):
            tree = TriageTree("problems", id="triage-tree")
            tree.show_root = False
            yield tree
            yield ResultDetail(id="triage-detail")
        yield Static(id="triage-status", classes="status-line")
        yield Footer()

    @property
    def groups_tree(self) -> TriageTree:
        return self.query_one(TriageTree)

    def on_mount(self) -> None:
        self.groups_tree.focus()
        self.query_one("#triage-status", Static).update(Content("Grouping results…"))
        self.build_groups()

    @work(
        thread=True, group="triage-groups", exclusive=True, exit_on_error=False, description="group"
    )
    def build_groups(self) -> None:
        groups = group_problems(self.source)
        texts: dict[int, str] = {}
        for group in groups:
            for index in group.indices[:LEAF_LIMIT]:
                result = self.source.get_result(index)
                texts[index] = f"{result.custom_id}  {preview_text(result, 60)}"
        self.app.call_from_thread(self._show_groups, groups, texts)

    def _show_groups(self, groups: list[TriageGroup], texts: dict[int, str]) -> None:
        self.groups = {group.key: group for group in groups}
        self.leaf_texts = texts
        tree = self.groups_tree
        tree.clear()
        for group in groups:
            node = tree.root.add("", data=NodeRef(group.key), expand=False)
            for index in group.indices[:LEAF_LIMIT]:
                node.add_leaf("", data=NodeRef(group.key, index))
            if group.count > LEAF_LIMIT:
                node.add_leaf(Text(f"… {group.count - LEAF_LIMIT:,} more (mark the group)"))
        self._relabel()
        if groups:
            tree.move_cursor(tree.root.children[0])
        self._update_status()

    # ------------------------------------------------------------------ marks

    def toggle_mark(self, node: TreeNode[NodeRef] | None) -> None:
        """Mark or unmark a group (with all its results) or one result."""
        if node is None or node.data is None:
            return
        ref = node.data
        if ref.index is None:
            if ref.group in self.marked_groups:
                self.marked_groups.discard(ref.group)
            else:
                self.marked_groups.add(ref.group)
                self.marked_lines.difference_update(self.groups[ref.group].indices)
        elif ref.group in self.marked_groups:
            self.marked_groups.discard(ref.group)
            others = set(self.groups[ref.group].indices) - {ref.index}
            self.marked_lines.update(others)
        elif ref.index in self.marked_lines:
            self.marked_lines.discard(ref.index)
        else:
            self.marked_lines.add(ref.index)
        self._relabel()
        self._update_status()
        self.groups_tree.action_cursor_down()

    def action_mark_all(self) -> None:
        if set(self.groups) == self.marked_groups:
            self.marked_groups.clear()
        else:
            self.marked_groups = set(self.groups)
            self.marked_lines.clear()
        self._relabel()
        self._update_status()

    def marked_indices(self) -> list[int]:
        """Result lines of every mark, groups included, in file order."""
        lines = set(self.marked_lines)
        for key in self.marked_groups:
            lines.update(self.groups[key].indices)
        return sorted(lines)

    def marked_custom_ids(self) -> list[str]:
        """custom_ids of every marked result, groups included, without repeats."""
        ids: dict[str, None] = {}
        for key in self.marked_groups:
            ids.update(dict.fromkeys(self.groups[key].custom_ids))
        for group in self.groups.values():
            for index, custom_id in zip(group.indices, group.custom_ids, strict=True):
                if index in self.marked_lines:
                    ids[custom_id] = None
        return list(ids)

    def _relabel(self) -> None:
        for node in self.groups_tree.root.children:
            ref = node.data
            if ref is None:
                continue
            group = self.groups[ref.group]
            whole = ref.group in self.marked_groups
            some = any(i in self.marked_lines for i in group.indices)
            box = "[x]" if whole else "[-]" if some else "[ ]"
            style = Style(bold=True)
            if is_flag_group(group.key):
                style += self.groups_tree.get_component_rich_style(
                    "triage-tree--flag", partial=True
                )
            node.set_label(Text.assemble(f"{box} ", (group.label, style), f"  ({group.count:,})"))
            for leaf in node.children:
                leaf_ref = leaf.data
                if leaf_ref is None or leaf_ref.index is None:
                    continue
                mark = "[x]" if whole or leaf_ref.index in self.marked_lines else "[ ]"
                leaf.set_label(Text(f"{mark} {self.leaf_texts.get(leaf_ref.index, '')}"))

    def _update_status(self) -> None:
        total = sum(g.count for g in self.groups.values())
        flagged = sum(g.count for g in self.groups.values() if is_flag_group(g.key))
        marked = len(self.marked_custom_ids())
        text = f"{len(self.groups)} groups · {total:,} problem results"
        if flagged:
            text += f" ({flagged:,} flagged)"
        text += f" · {marked:,} marked"
        if not self.groups:
            text = "No errored or flagged results."
        self.query_one("#triage-status", Static).update(Content(text))

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[NodeRef]) -> None:
        ref = event.node.data
        detail = self.query_one(ResultDetail)
        if ref is not None and ref.index is not None:
            detail.show(self.source.get_result(ref.index))
        elif (
            ref is not None and self.groups.get(ref.group, None) and self.groups[ref.group].indices
        ):
            detail.show(self.source.get_result(self.groups[ref.group].indices[0]))

    # ------------------------------------------------------------------ actions

    def action_back(self) -> None:
        self.dismiss()

    def action_retry_marked(self) -> None:
        ids = self.marked_custom_ids()
        if not ids:
            self.notify("Mark a group or results with space first.", severity="warning")
            return
        truncated = truncated_among(self.source, self.marked_indices())
        if not truncated:
            self.retry(ids)
            return
        only_truncated = self.marked_groups == {f"flag:{TRUNCATED}"} and not self.marked_lines

        def answered(choice: RetryChoice | None) -> None:
            if choice is None:
                return
            flag = TRUNCATED if only_truncated else None
            self.retry(ids, choice.max_tokens, flag)

        suggestion = suggested_max_tokens(self.source, truncated)
        self.app.push_screen(MaxTokensModal(len(ids), len(truncated), suggestion), answered)

    @work(group="triage-retry", exit_on_error=False, description="retry")
    async def retry(
        self, custom_ids: list[str], max_tokens: int | None = None, flag: str | None = None
    ) -> None:
        record = await self.workspace.retry(
            self.local_id, **retry_options(custom_ids, max_tokens, flag)
        )
        self.marked_groups.clear()
        self.marked_lines.clear()
        self._relabel()
        self._update_status()
        label = record.label or record.local_id
        self.notify(f"Retry job {escape(label)} submitted with {len(custom_ids):,} requests.")
