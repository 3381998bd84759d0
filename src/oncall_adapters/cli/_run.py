"""``worker`` and ``serve``: the two long-running processes of the app."""

from __future__ import annotations

import argparse
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import attrs

from oncall_adapters.cli._context import Context
from oncall_adapters.cli._errors import EXIT_FAILED, EXIT_OK, BadInput
from oncall_adapters.cli._senders import build_senders
from oncall_adapters.config import Secrets
from oncall_adapters.dispatch import Dispatcher
from oncall_adapters.sql import SqlDirectory, SqlRepository
from oncall_adapters.sql.store import SqlEscalationStore
from oncall_adapters.sql.worker import run_worker
from oncall_adapters.web import make_app, serve

__all__ = ["FEED_TOKEN_VARIABLE", "run_serve", "run_worker_command"]

FEED_TOKEN_VARIABLE = "ONCALL_FEED_TOKEN"
"""The environment variable of the secret that opens every calendar feed."""


@contextmanager
def _stopping(stop: threading.Event) -> Iterator[None]:
    """Set *stop* on SIGINT and SIGTERM while the block runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {
        number: signal.signal(number, handle)
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def run_worker_command(context: Context, arguments: argparse.Namespace) -> int:
    """Advance due escalations and send what is due, once or until stopped."""
    output = context.output
    engine = context.engine()
    settings = context.settings()
    store = SqlEscalationStore(engine)

    def service_of(incident_id: str) -> str | None:
        incident = store.incident(incident_id)
        return None if incident is None else incident.service

    senders = build_senders(
        settings,
        Secrets.from_env(),
        service_of=service_of,
        console=output.out if arguments.console else None,
        clock=context.clock,
    )
    if not senders:
        msg = (
            "no sender is configured: give --config FILE with [settings.twilio], "
            "[settings.smtp], [settings.slack] or [settings.webhook], or --console"
        )
        raise BadInput(msg)
    channels = sorted({c.value for sender in senders for c in sender.channels})
    if not arguments.once:
        output.note(
            f"Worker on {engine.url.render_as_string(hide_password=True)}, sending "
            f"{', '.join(channels)}; Ctrl-C stops it."
        )

    stop = threading.Event()
    with Dispatcher(senders) as dispatcher, _stopping(stop):
        stats = run_worker(
            store,
            SqlDirectory(engine),
            dispatcher,
            clock=context.clock,
            poll_interval=arguments.interval,
            stop=stop,
            once=arguments.once,
        )
    status = EXIT_FAILED if stats.database_errors else EXIT_OK
    if output.json_mode:
        output.json(attrs.asdict(stats))
        return status
    summary = (
        f"{stats.cycles} cycle(s): {stats.steps_recorded} step(s) advanced, "
        f"{stats.sent} notification(s) sent, {stats.send_failures} failed"
    )
    if stats.claims_lost:
        summary += f", {stats.claims_lost} claim(s) lost to another worker"
    if stats.database_errors:
        summary += f", {stats.database_errors} database error(s)"
    if arguments.once:
        output.line(summary + ".")
    else:
        output.note("Worker stopped: " + summary + ".")
    return status


def run_serve(context: Context, arguments: argparse.Namespace) -> int:
    """Serve Twilio callbacks and replies, and calendar feeds, over HTTP."""
    output = context.output
    engine = context.engine()
    settings = context.settings()
    token = Secrets.from_env().twilio_auth_token
    feed_token = os.environ.get(FEED_TOKEN_VARIABLE) or None
    try:
        app = make_app(
            store=SqlEscalationStore(engine),
            repository=SqlRepository(engine),
            twilio_auth_tokens=() if token is None else (token,),
            feed_token=feed_token,
            public_base_url=settings.public_base_url,
            clock=context.clock,
        )
    except ValueError as error:
        raise BadInput(str(error)) from None

    base = f"http://{arguments.host}:{arguments.port}"
    output.note(f"Serving on {base} (Ctrl-C stops it):")
    routes: list[tuple[str, Any]] = [
        ("/twilio/status", "Twilio status callbacks" if token else None),
        ("/twilio/inbound", "SMS and WhatsApp replies (ACK 12)" if token else None),
        ("/calendars/schedules/ID.ics", "calendar feeds" if feed_token else None),
        ("/healthz", "health check"),
    ]
    for path, what in routes:
        if what is not None:
            output.note(f"  {path:<28} {what}")
    if token is None:
        output.note("  (no ONCALL_TWILIO_AUTH_TOKEN: the Twilio routes answer 404)")
    if feed_token is None:
        output.note(f"  (no {FEED_TOKEN_VARIABLE}: calendar feeds answer 404)")
    try:
        with _interrupted_by_sigterm():
            serve(app, host=arguments.host, port=arguments.port)
    except KeyboardInterrupt:
        output.note("Stopped.")
    return EXIT_OK


@contextmanager
def _interrupted_by_sigterm() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt, so that the server stops cleanly."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
