"""Anthropic's half of the emulator: Message Batches under /v1/messages/batches.

``api`` holds the routes, the request checks and the wire (request ids, headers, auth, fault
answers), ``errors`` the error bodies, ``jobs`` the batch timeline and ``results`` the result
lines. Installed through batchtui.emulator.app.HALVES.
"""

from batchtui.emulator.anthropic.api import AnthropicApi

HALF = AnthropicApi

__all__ = ["HALF", "AnthropicApi"]
