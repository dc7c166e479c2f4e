"""The fake workspace of the UI tests is checked against the real `Workspace`: every public
name it has exists there, each method takes the same parameters (names, kinds, which ones
are required), is async exactly where the real one is, and returns the core's type. Without
this a renamed core method would only show as a UI feature that silently works in tests."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_fakes import FakeStore, FakeWorkspace

from batchtui.core.budget import CostTotal
from batchtui.core.clean import CleanPlan
from batchtui.core.config import Config
from batchtui.core.store import JobRecord, JobStore
from batchtui.core.workspace import Workspace

IN_MEMORY_RESULTS = {
    "fetch_results": "ListSource",
    "results": "ListSource | None",
    "results_preview": "ListSource | None",
    "run_view": "RunSummary",
}
"""Methods whose fake returns the dashboard's in-memory stand-in for the core's results
(`ListSource` for a `ResultIndex`, `RunSummary` for a `RunMerge`); the screens accept both."""

VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


@pytest.fixture
def real_ws(tmp_path: Path) -> Iterator[Workspace]:
    """A real workspace on the fake's own config (opening it touches no network)."""
    ws = Workspace.open(tmp_path / "home", config=FakeWorkspace().config)
    yield ws
    ws.store.close()


def public_names(obj: object) -> set[str]:
    """Public names of an object: its class's attributes and its own instance attributes."""
    names = set(dir(type(obj))) | set(vars(obj))
    return {name for name in names if not name.startswith("_")}


def contract_names(fake: FakeWorkspace) -> list[str]:
    """The fake's public names that stand for `Workspace` API (all but the test controls)."""
    return sorted(public_names(fake) - FakeWorkspace.CONTROLS - {"CONTROLS"})


def signature_problems(fake: Callable[..., Any], real: Callable[..., Any]) -> list[str]:
    """Why a call the fake accepts could fail on the real method (or the other way round)."""
    mine = inspect.signature(fake).parameters
    theirs = inspect.signature(real).parameters
    problems: list[str] = []
    for param in mine.values():
        if param.kind in VARIADIC:
            if not any(p.kind is param.kind for p in theirs.values()):
                problems.append(f"the fake accepts {param} where the real one names its parameters")
            continue
        other = theirs.get(param.name)
        if other is None:
            problems.append(f"the real method has no parameter {param.name!r}")
            continue
        if other.kind is not param.kind:
            problems.append(
                f"{param.name!r} is {param.kind.description} in the fake, "
                f"{other.kind.description} in the real one"
            )
        if (param.default is param.empty) != (other.default is other.empty):
            problems.append(f"{param.name!r} is required in only one of them")
    for other in theirs.values():
        if other.kind not in VARIADIC and other.default is other.empty and other.name not in mine:
            problems.append(f"the fake does not take the required {other.name!r}")
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    mine_order = [p.name for p in mine.values() if p.kind in positional]
    their_order = [p.name for p in theirs.values() if p.kind in positional]
    if their_order[: len(mine_order)] != mine_order:
        problems.append(f"positional order {mine_order} is not the real {their_order}")
    return problems


def type_checking_names(module_name: str) -> dict[str, Any]:
    """The names a module imports under ``if TYPE_CHECKING:`` (run here, so annotations that
    use them evaluate to the real types)."""
    import ast
    import sys

    module = sys.modules[module_name]
    tree = ast.parse(inspect.getsource(module))
    names: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            exec(compile(ast.Module(body=node.body, type_ignores=[]), "<tc>", "exec"), names)
    return names


def return_type(func: Callable[..., Any]) -> object:
    """The return annotation, evaluated in the function's module (with the names it imports
    only for type checking) when it can be."""
    annotation = inspect.signature(func).return_annotation
    if isinstance(annotation, str):
        scope = dict(func.__globals__)  # type: ignore[attr-defined]
        scope.update(type_checking_names(func.__module__))
        try:
            return eval(annotation, scope)
        except NameError:  # a name unknown even so: compare the text
            return annotation
    return annotation


def test_test_controls_are_no_workspace_api(real_ws: Workspace) -> None:
    fake = FakeWorkspace()
    assert public_names(fake) >= FakeWorkspace.CONTROLS
    assert sorted(name for name in FakeWorkspace.CONTROLS if hasattr(real_ws, name)) == []


def test_every_public_name_of_the_fake_exists_on_the_workspace(real_ws: Workspace) -> None:
    fake = FakeWorkspace()
    missing = [name for name in contract_names(fake) if not hasattr(real_ws, name)]
    assert missing == []


def test_methods_match_in_kind_signature_and_async(real_ws: Workspace) -> None:
    fake = FakeWorkspace()
    problems: dict[str, list[str]] = {}
    for name in contract_names(fake):
        mine, theirs = getattr(fake, name), getattr(real_ws, name)
        if callable(mine) != callable(theirs):
            problems[name] = ["a method in only one of them"]
            continue
        if not callable(mine):
            continue
        found = signature_problems(mine, theirs)
        if inspect.iscoroutinefunction(mine) != inspect.iscoroutinefunction(theirs):
            found.append("async in only one of them")
        if found:
            problems[name] = found
    assert problems == {}


def test_methods_return_the_cores_types(real_ws: Workspace) -> None:
    fake = FakeWorkspace()
    differ: dict[str, tuple[object, object]] = {}
    for name in contract_names(fake):
        mine = getattr(fake, name)
        if not callable(mine):
            continue
        if name in IN_MEMORY_RESULTS:
            assert inspect.signature(mine).return_annotation == IN_MEMORY_RESULTS[name]
            continue
        ours, real = return_type(mine), return_type(getattr(real_ws, name))
        if ours != real:
            differ[name] = (ours, real)
    assert differ == {}


def test_what_the_fake_holds_and_reads_is_the_cores(real_ws: Workspace) -> None:
    fake = FakeWorkspace()
    assert type(fake.config) is type(real_ws.config) is Config
    assert {type(p) for p in fake.profiles()} == {type(p) for p in real_ws.profiles()}
    assert {type(r) for r in [*fake.jobs(), *fake.store.list_jobs()]} == {JobRecord}
    assert {type(t) for t in fake.cost_totals()} == {CostTotal}
    assert type(fake.clean_plan()) is CleanPlan


def test_the_fake_store_matches_the_job_store(real_ws: Workspace) -> None:
    fake = FakeWorkspace().store
    assert isinstance(real_ws.store, JobStore)
    problems = {
        name: signature_problems(getattr(fake, name), getattr(real_ws.store, name))
        for name in public_names(fake)
    }
    assert {name: found for name, found in problems.items() if found} == {}
    assert isinstance(fake, FakeStore)


def test_the_check_catches_a_loose_fake() -> None:
    """The signature check itself: `**kwargs` for named parameters, a renamed or missing
    parameter, a default the real one lacks."""

    def real(ident: str, *, custom_ids: list[str] | None = None) -> None: ...

    def loose(ident: str, **kwargs: Any) -> None: ...

    def renamed(id: str, *, custom_ids: list[str] | None = None) -> None: ...

    def defaulted(ident: str = "", *, custom_ids: list[str] | None = None) -> None: ...

    def keyword(ident: str, custom_ids: list[str] | None = None) -> None: ...

    assert signature_problems(real, real) == []
    for fake in (loose, renamed, defaulted, keyword):
        assert signature_problems(fake, real), fake.__name__
