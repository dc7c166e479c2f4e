"""`batchtui webhooks`: receive providers' signed batch events and refresh the jobs at once.

Headless: opens the Workspace, starts its poller and a receiver of ``POST
/webhooks/<profile>`` for every profile whose provider sends webhooks and whose secret is set,
prints one line per accepted event, and stops cleanly on Ctrl-C (or SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Iterator

from batchtui.cli.output import emit_json
from batchtui.core.webhooks.receiver import Event, Route
from batchtui.core.webhooks.service import WebhookService, webhook_routes
from batchtui.core.workspace import Workspace


def _err(message: str) -> None:
    print(f"batchtui: {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _log_refusals() -> Iterator[None]:
    """Refusals (one line each, no secret) go to stderr while the receiver runs."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("batchtui webhooks: %(message)s"))
    logger = logging.getLogger("batchtui.webhooks")
    saved = (logger.level, logger.propagate)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


async def cmd_webhooks(ws: Workspace, args: argparse.Namespace) -> int:
    routes, skipped = webhook_routes(ws)
    usable = set(ws.usable_profiles())
    for name in list(routes):
        if name not in usable:
            del routes[name]
            skipped[name] = "no API key, so its jobs cannot be refreshed"
    if args.profile:
        ws.config.profile(args.profile)  # an unknown name: one clear error
        routes = {n: r for n, r in routes.items() if n == args.profile}
        skipped = {n: why for n, why in skipped.items() if n == args.profile}
    for name, why in skipped.items():
        _err(f"{name}: webhooks off: {why}")
    if not routes:
        _err(
            "no profile can receive webhooks: set the provider's webhook secret variable "
            "(e.g. the one `batchtui config --json` lists as webhook_secret_env) or "
            "webhook_secret_env in a profile"
        )
        return 1

    def accepted(event: Event) -> None:
        if args.json:
            emit_json(
                {
                    "profile": event.profile,
                    "id": event.batch_id,
                    "type": event.type,
                    "webhook_id": event.webhook_id,
                }
            )
        else:
            print(f"{event.profile} {event.batch_id} {event.type}", flush=True)

    ws.subscribe_errors(lambda profile, batch_id, exc: _err(f"{batch_id or profile}: {exc}"))
    with _log_refusals():
        return await _serve(ws, args, routes, accepted)


async def _serve(
    ws: Workspace,
    args: argparse.Namespace,
    routes: dict[str, Route],
    accepted: Callable[[Event], None],
) -> int:
    service = WebhookService(ws, routes, on_accepted=accepted)
    try:
        await service.start(args.host, args.port)
    except OSError as exc:
        _err(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        for name in routes:
            line = f"listening on {service.receiver.url_for(name)}"
            if args.json:
                emit_json({"listening": service.receiver.url_for(name), "profile": name})
            else:
                print(line, flush=True)
        polling = ws.start_polling_task()
        await service.cover_when_polling()
        waiter = asyncio.ensure_future(stop.wait())
        await asyncio.wait({waiter, polling}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if polling.done() and not polling.cancelled():
            failure = polling.exception()
            if failure is not None:
                raise failure
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        await service.close()
        await ws.stop_polling()
    if not args.json:
        print("stopped", flush=True)
    return 0
