"""Gemini's batch input line ``{"key": str, "request": GenerateContentRequest}`` and its
conversion to and from the neutral chat request (providers.md §3, §9).

The model is not in the line: a batch runs one model, named when it is created. Writing from a
neutral chat body (one with ``messages``): system messages and the ``system`` parameter become
``systemInstruction``, user and assistant messages become ``contents`` with roles ``user`` and
``model``, and ``max_tokens`` (or ``max_completion_tokens``), ``temperature``, ``top_p`` and
``stop`` go into ``generationConfig``; other parameters are carried as they are. A body that is
already a Gemini request (no ``messages``) is written as it is.

Reading gives the neutral chat body when the request converts back to exactly itself (text
parts, known generation settings), else the Gemini request unchanged; so native -> neutral ->
native is the identity, and neutral -> native -> neutral gives back the chat request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from batchtui.core.inputs.native import NativeFormatError, Shape, Split, kind_of, not_object
from batchtui.core.models import BatchRequest

GENERATION_KEYS = (
    ("max_tokens", "maxOutputTokens"),
    ("temperature", "temperature"),
    ("top_p", "topP"),
)
"""Neutral parameter → generationConfig field (``stop`` ↔ ``stopSequences`` is a list)."""

ROLES = {"user": "user", "assistant": "model"}


def _parts(content: Any) -> list[dict[str, Any]]:
    """Gemini parts of neutral message content (a string, or text blocks; other blocks are
    refused by validation and carried as they are)."""
    if isinstance(content, str):
        return [{"text": content}]
    if isinstance(content, list):
        return [
            {"text": block["text"]}
            if isinstance(block, dict) and isinstance(block.get("text"), str)
            else block
            for block in content
        ]
    return [{"text": "" if content is None else str(content)}]


def native_request(body: dict[str, Any]) -> dict[str, Any]:
    """The Gemini ``GenerateContentRequest`` of a neutral request body (a new dict)."""
    if "messages" not in body:
        return dict(body)
    rest = dict(body)
    messages = rest.pop("messages")
    rest.pop("model", None)  # the batch's model, named on the create call
    system_parts: list[dict[str, Any]] = []
    system = rest.pop("system", None)
    if system is not None:
        system_parts.extend(_parts(system))
    contents: list[dict[str, Any]] = []
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        if role == "system":
            system_parts.extend(_parts(message.get("content")))
        else:
            contents.append(
                {"role": ROLES.get(str(role), str(role)), "parts": _parts(message.get("content"))}
            )
    if "max_tokens" not in rest and "max_completion_tokens" in rest:
        rest["max_tokens"] = rest.pop("max_completion_tokens")
    config: dict[str, Any] = {}
    for neutral, native in GENERATION_KEYS:
        if neutral in rest:
            config[native] = rest.pop(neutral)
    if "stop" in rest:
        stop = rest.pop("stop")
        if stop is not None:
            config["stopSequences"] = [stop] if isinstance(stop, str) else stop
    request: dict[str, Any] = {"contents": contents}
    if system_parts:
        request["systemInstruction"] = {"parts": system_parts}
    if config:
        request["generationConfig"] = config
    request.update(rest)
    return request


def _content(parts: Any) -> Any:
    """Neutral content of Gemini parts: one text part is a string, several are text blocks;
    None when a part is not plain text."""
    if not isinstance(parts, list) or not parts:
        return None
    texts = []
    for part in parts:
        if not isinstance(part, dict) or set(part) != {"text"} or not isinstance(part["text"], str):
            return None
        texts.append(part["text"])
    if len(texts) == 1:
        return texts[0]
    return [{"type": "text", "text": text} for text in texts]


def neutral_body(request: dict[str, Any]) -> dict[str, Any] | None:
    """The neutral chat body of a Gemini request, or None when it has parts the chat shape
    cannot hold (such a request is kept as it is)."""
    if not set(request) <= {"contents", "systemInstruction", "generationConfig"}:
        return None
    messages: list[dict[str, Any]] = []
    if "systemInstruction" in request:
        system = request["systemInstruction"]
        if not isinstance(system, dict) or set(system) != {"parts"}:
            return None
        content = _content(system["parts"])
        if content is None:
            return None
        messages.append({"role": "system", "content": content})
    contents = request.get("contents")
    if not isinstance(contents, list):
        return None
    back = {native: neutral for neutral, native in ROLES.items()}
    for item in contents:
        if not isinstance(item, dict) or set(item) != {"role", "parts"}:
            return None
        role = back.get(item["role"]) if isinstance(item["role"], str) else None
        content = _content(item["parts"])
        if role is None or content is None:
            return None
        messages.append({"role": role, "content": content})
    body: dict[str, Any] = {"messages": messages}
    config = request.get("generationConfig", {})
    if not isinstance(config, dict) or ("generationConfig" in request and not config):
        return None
    for neutral, native in GENERATION_KEYS:
        if native in config:
            body[neutral] = config[native]
    if "stopSequences" in config:
        body["stop"] = config["stopSequences"]
    return body if native_request(body) == request else None


@dataclass(frozen=True, eq=False)
class GeminiFormat:
    """The `NativeFormat` of Gemini batch lines: ``{"key", "request"}``."""

    name: str = "gemini"
    document: str | None = None
    body_key: str = "request"
    endpoint_key: str | None = None
    method: str | None = None
    # A first record with key and request is a Gemini line (no other format has "key").
    detect_keys: tuple[frozenset[str], ...] = (frozenset({"key", "request"}),)

    def split(self, obj: Any, copy: bool) -> Split:
        """``(key, request, None, None)``; `Shape` when the record is not a Gemini line."""
        if obj.__class__ is not dict:
            raise not_object(obj)
        request = obj.get("request")
        if request.__class__ is not dict:
            if request is None:
                raise Shape("request", "missing", "missing_request")
            raise Shape("request", f"must be an object, found {kind_of(request)}", "bad_request")
        return obj.get("key"), dict(request) if copy else request, None, None

    def to_native(self, request: BatchRequest) -> dict[str, Any]:
        """The Gemini line of a neutral request (the model stays off the line)."""
        return {"key": request.custom_id, "request": native_request(request.body)}

    def is_native_line(
        self, record: Any, custom_id: str, body: dict[str, Any], endpoint: str | None
    ) -> bool:
        """Whether `to_native` of that request gives ``record`` back: built and compared."""
        return bool(self.to_native(BatchRequest(custom_id, body, endpoint)) == record)

    def from_native(self, obj: Any) -> BatchRequest:
        """The neutral request of a Gemini line (see the module's round-trip rule)."""
        if not isinstance(obj, dict):
            raise NativeFormatError("a native batch line must be a JSON object")
        key = obj.get("key")
        if not isinstance(key, str) or not key:
            raise NativeFormatError("key: missing or not a string")
        request = obj.get("request")
        if not isinstance(request, dict):
            raise NativeFormatError("request: missing or not an object")
        body = neutral_body(request)
        return BatchRequest(key, body if body is not None else dict(request), None)

    def with_max_tokens(self, obj: dict[str, Any], max_tokens: int) -> dict[str, Any]:
        """The line asking for at most ``max_tokens``: ``generationConfig.maxOutputTokens``."""
        request = obj.get("request")
        if isinstance(request, dict):
            config = request.get("generationConfig")
            if not isinstance(config, dict):
                config = request["generationConfig"] = {}
            config["maxOutputTokens"] = max_tokens
        return obj


NATIVE = GeminiFormat()
