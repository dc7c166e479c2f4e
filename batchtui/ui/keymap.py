"""The user's [keymap] table (binding id -> keys): every binding id the dashboard has, and the
entries of a keymap that name none of them (a typo would otherwise be ignored silently)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import import_module

from textual.binding import Binding
from textual.dom import DOMNode

BINDING_OWNERS = (
    "batchtui.ui.app:BatchTuiApp",
    "batchtui.ui.screens.jobs:JobsScreen",
    "batchtui.ui.screens.results:ResultsScreen",
    "batchtui.ui.screens.triage:TriageScreen",
    "batchtui.ui.screens.triage:TriageTree",
    "batchtui.ui.screens.run:RunScreen",
    "batchtui.ui.screens.compose:ComposeScreen",
    "batchtui.ui.screens.compose:PromptList",
    "batchtui.ui.screens.import_:ImportScreen",
    "batchtui.ui.screens.import_:InputTree",
    "batchtui.ui.screens.confirm:ConfirmModal",
    "batchtui.ui.screens.clean:CleanModal",
    "batchtui.ui.screens.help:HelpScreen",
    "batchtui.ui.screens.path_prompt:PathModal",
    "batchtui.ui.screens.prompt_edit:PromptEditModal",
    "batchtui.ui.screens.retry_prompt:MaxTokensModal",
    "batchtui.ui.widgets.job_table:JobTable",
    "batchtui.ui.widgets.line_view:LineView",
    "batchtui.ui.widgets.results_view:ResultsView",
)
"""Every class of the dashboard that declares bindings, as ``module:Class``."""


def binding_classes() -> list[type[DOMNode]]:
    """The classes of `BINDING_OWNERS` (imports every screen: call it off the start-up path)."""
    classes = []
    for owner in BINDING_OWNERS:
        module, _, name = owner.partition(":")
        classes.append(getattr(import_module(module), name))  # a class named as "module:Class"
    return classes


def known_binding_ids(classes: Iterable[type[DOMNode]] | None = None) -> set[str]:
    """Every binding id a [keymap] entry may name."""
    ids: set[str] = set()
    for cls in binding_classes() if classes is None else classes:
        for binding in cls.BINDINGS:
            if isinstance(binding, Binding) and binding.id:
                ids.add(binding.id)
    return ids


def unknown_ids(keymap: Mapping[str, str], known: set[str] | None = None) -> list[str]:
    """The keymap's binding ids that no binding has, sorted."""
    ids = known_binding_ids() if known is None else known
    return sorted(name for name in keymap if name not in ids)
