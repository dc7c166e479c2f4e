"""Webhook events: Standard Webhooks verification, a small receiver, and the Workspace glue.

Provider facts (which events name which batch, the secret's variable) come through the
registry's `ProviderSpec.webhook_event` and ``webhook_secret_env``; nothing here names a
provider. Import `batchtui.core.webhooks.service` for the Workspace glue (it loads the
Workspace); this package itself loads only the verifier and the receiver.
"""

from batchtui.core.webhooks.receiver import Event, Route, WebhookReceiver
from batchtui.core.webhooks.verify import (
    DEFAULT_TOLERANCE_S,
    Rejected,
    SecretError,
    Verifier,
    decode_secret,
    sign,
)

__all__ = [
    "DEFAULT_TOLERANCE_S",
    "Event",
    "Rejected",
    "Route",
    "SecretError",
    "Verifier",
    "WebhookReceiver",
    "decode_secret",
    "sign",
]
