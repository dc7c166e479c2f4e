"""Fixtures of the money and hygiene tests: the workflow tests' CLI-against-emulator setup.

The helpers live in tests/workflow/workflow_helpers.py; its conftest's fixtures (``make_env``,
``env`` and the TLS-context cache) are loaded from there so both suites drive the CLI alike.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

WORKFLOW = Path(__file__).resolve().parents[1] / "workflow"
if str(WORKFLOW) not in sys.path:
    sys.path.insert(0, str(WORKFLOW))

_spec = importlib.util.spec_from_file_location("workflow_fixtures", WORKFLOW / "conftest.py")
assert _spec is not None and _spec.loader is not None
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)

make_env = _fixtures.make_env
env = _fixtures.env
_reuse_tls_contexts = _fixtures._reuse_tls_contexts
