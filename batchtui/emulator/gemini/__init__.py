"""Gemini's half of the emulator: Batch Mode of the Developer API at Google's paths.

``api`` holds the routes and the wire (auth by ``x-goog-api-key``, Google's error bodies, fault
answers), ``files`` the Files API and resumable uploads, ``jobs`` the batch timeline,
``results`` the response objects and ``errors`` the error bodies. Not yet in
batchtui.emulator.app.HALVES; tests install it.
"""

from batchtui.emulator.gemini.api import GeminiApi

HALF = GeminiApi

__all__ = ["HALF", "GeminiApi"]
