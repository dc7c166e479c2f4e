"""A local emulator of the OpenAI Batch API and the Anthropic Message Batches API.

One HTTP server answers both: OpenAI Files + Batches under ``/v1/files`` and ``/v1/batches``,
Anthropic Message Batches under ``/v1/messages/batches``. Job state is computed lazily from the
injected clock on every request, so a ``FixedClock`` makes a test fully deterministic. See
``batchtui.emulator.results`` for the request markers (``[[http_error]]``, ``[[refuse]]``, tiny
``max_tokens``) and ``batchtui.emulator.faults`` for the fault spec grammar.
"""

from batchtui.emulator.config import EmulatorConfig
from batchtui.emulator.server import EmulatorServer

__all__ = ["EmulatorConfig", "EmulatorServer"]
