"""Together's half of the emulator: Files and Batches under /together/v1, in Together's shapes.

``api`` holds the batch routes and the wire (request ids, headers, auth, fault answers),
``files`` the file routes with the together SDK's three-step upload, ``errors`` the error
bodies, ``validate`` the input-file checks of VALIDATING, ``jobs`` the job timeline and
``results`` the output- and error-file lines. Installed through batchtui.emulator.app.HALVES.
"""

from batchtui.emulator.together.api import TogetherApi

HALF = TogetherApi

__all__ = ["HALF", "TogetherApi"]
