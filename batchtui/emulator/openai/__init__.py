"""OpenAI's half of the emulator: Files + Batches under /v1, answered in OpenAI's shapes.

``api`` holds the routes and the wire (request ids, headers, auth, fault answers), ``errors`` the
error bodies, ``validate`` the input-file checks of ``validating``, ``jobs`` the batch timeline
and ``results`` the output- and error-file lines. Installed through batchtui.emulator.app.HALVES.
"""

from batchtui.emulator.openai.api import OpenAIApi

HALF = OpenAIApi

__all__ = ["HALF", "OpenAIApi"]
