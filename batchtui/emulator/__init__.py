"""A local emulator of the OpenAI Batch API and the Anthropic Message Batches API.

One HTTP server answers both: OpenAI Files + Batches under ``/v1/files`` and ``/v1/batches``,
Anthropic Message Batches under ``/v1/messages/batches``. Each provider's half is a package
(``batchtui.emulator.openai``, ``batchtui.emulator.anthropic``: routes, validation, result lines,
error shape) installed from the one table ``batchtui.emulator.app.HALVES``; the HTTP server, the
routing, the job clock, faults, the file store and ids are shared. Job state is computed lazily
from the injected clock on every request (no background ticking), so a ``FixedClock`` makes
tests deterministic::

    server = EmulatorServer(EmulatorConfig(seed=7, job_seconds=10, clock=FixedClock())).start()
    openai.OpenAI(base_url=server.openai_base_url, api_key="x")
    anthropic.Anthropic(base_url=server.anthropic_base_url, api_key="x")
    server.override(batch_id, job_seconds=2)  # per-job timing / fail_rate
    server.set_faults("429=0.3:2,cut=1")     # see below
    server.stop()                            # keeps state: start() resumes; close() cleans up

Timeline (job_seconds J from creation): OpenAI ``validating`` for 10% of J, ``in_progress``
with ``request_counts`` moving (each request finishes at a seeded point of the run),
``finalizing`` for the last 10%, then ``completed``; Anthropic ``in_progress`` with every
request counted as ``processing`` until ``ended`` at J. Cancel: ``cancelling``/``canceling`` for
10% of J (``cancel_seconds``), then terminal with the requests finished before the cancel kept.
Expiry at ``expire_seconds``: finished requests kept, the rest ``batch_expired``/``expired``.

Request markers (text of the first user message):

- ``[[http_error]]`` — OpenAI: line in the OUTPUT file with ``response.status_code`` 400 and the
  error in ``response.body.error`` (counted failed); Anthropic: ``errored``
  (``invalid_request_error``).
- ``[[filter]]`` — OpenAI ``finish_reason: "content_filter"`` with a partial answer and no
  ``refusal`` (responses API: ``incomplete``, reason ``content_filter``); Anthropic answers.
- ``[[refuse]]`` — OpenAI ``finish_reason: "content_filter"`` (responses API: a refusal item);
  Anthropic ``stop_reason: "refusal"``.
- an output limit <= 5 (``max_tokens``, ``max_completion_tokens``, ``max_output_tokens``) —
  OpenAI ``finish_reason: "length"`` (responses: ``status: "incomplete"``); Anthropic
  ``stop_reason: "max_tokens"``.

Faults (``EmulatorConfig.faults`` / ``set_faults`` / ``--faults``), comma-separated
``KIND=SHARE[:ARG]``: ``429=P[:retry_after_s]`` (``retry-after`` and ``retry-after-ms``),
``500=P``, ``503=P``, ``529=P`` (Anthropic ``overloaded_error``; OpenAI paths get 503),
``slow=P[:delay_s]``, ``cut=P[:body_share]`` (downloads cut mid-body), ``500after=P`` (a create
commits, then answers 500), ``quota=P`` (429 without retry-after: ``insufficient_quota`` /
``enforced_spend_limit_reached``). Status faults never hit a create after it committed.
Counted faults ``KIND@ROUTE=N[:ARG]`` (ROUTE ``upload``, ``create`` or ``list``; N a count or
``*``) hit the first N calls of that route: ``500@upload=2``, ``529after@create=1`` (the call
takes effect, then answers 529), ``500@list=*``; ``route_calls()`` / ``route_faults()`` count
calls per route. Full grammar in ``batchtui.emulator.faults``.

Enqueued-token limit (``EmulatorConfig.enqueued_token_limit`` / ``--enqueued-token-limit N``):
an OpenAI batch whose prompt tokens, added to those of the same model's unfinished batches,
top N fails validation with ``errors.data[0].code`` ``token_limit_exceeded`` (``line`` null),
as the real organisation limit does.

Webhooks (``EmulatorConfig.webhook_url`` + ``webhook_secret``, ``server.set_webhook(url,
secret)``, ``--webhook-url URL --webhook-secret-env VAR``): as each OpenAI or Gemini job ends,
a Standard Webhooks-signed event is POSTed to the URL (``{provider}`` in it becomes the half's
name) from a background thread; ``server.webhooks.stats`` counts sent and failed deliveries
(``batchtui.emulator.webhooks``, docs/webhooks.md).
"""

from batchtui.emulator.config import EmulatorConfig
from batchtui.emulator.server import EmulatorServer

__all__ = ["EmulatorConfig", "EmulatorServer"]
