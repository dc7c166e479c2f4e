"""A Groq batch: OpenAI's timeline with a window of 24 h to 7 d and Groq's Batch object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from batchtui.emulator.openai.jobs import OpenAIJob

# Keys of OpenAI's Batch object that Groq's SDK type (BatchRetrieveResponse) does not have;
# the safe reading leaves them out so no client comes to depend on them.
NOT_ON_GROQ = ("model", "usage")


@dataclass
class GroqJob(OpenAIJob):
    """OpenAI's states and counts; the Batch object without ``model`` and ``usage``."""

    def to_json(self, now: float) -> dict[str, Any]:
        """The Batch object at time now (every key the SDK knows present, nulls when unset)."""
        body = super().to_json(now)
        for key in NOT_ON_GROQ:
            body.pop(key, None)
        return body
