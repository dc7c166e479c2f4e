"""Groq's half of the emulator: OpenAI's Files + Batches shapes under /openai/v1.

``api`` holds the routes and Groq's differences from OpenAI (window, endpoint, purpose, limits,
list without paging), ``window`` the completion-window durations, ``jobs`` the Batch object
Groq's SDK knows and ``results`` Groq's chat completion bodies. Installed through
batchtui.emulator.app.HALVES.
"""

from batchtui.emulator.groq.api import GroqApi

HALF = GroqApi

__all__ = ["HALF", "GroqApi"]
