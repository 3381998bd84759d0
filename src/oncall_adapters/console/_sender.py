"""A sender that writes what it would send, for the demo and for development."""

from __future__ import annotations

import itertools
import os
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from oncall_core import (
    Channel,
    Clock,
    DeliveryEvent,
    DeliveryEventKind,
    Message,
    Notification,
    mask_phone,
)

__all__ = ["ConsoleSender", "masked_address"]


def masked_address(channel: Channel, address: str) -> str:
    """Return *address* as it may be shown: numbers masked, URLs cut to their host."""
    if channel in (Channel.SMS, Channel.WHATSAPP):
        return mask_phone(address.removeprefix("whatsapp:"))
    if channel is Channel.WEBHOOK:
        parts = urlsplit(address)
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/…"
    if channel is Channel.PUSH:
        return address[:6] + "…" if len(address) > 6 else address
    return address


class ConsoleSender:
    """Writes each notification to a stream or a file instead of sending it.

    Every send succeeds (``SENT`` with a ``console-<n>`` id). Phone numbers
    are masked and webhook URLs cut to their host: the output may end up
    in a terminal's scroll-back or a shared log.

    Args:
        stream: a text stream, or a path to append to (default: stdout).
        channels: the channels it serves (default: all).
        clock: where the instants of events come from (default: UTC now).
        name: the sender's name, for logs and rate limits.
    """

    def __init__(
        self,
        stream: TextIO | str | os.PathLike[str] | None = None,
        *,
        channels: Iterable[Channel] = tuple(Channel),
        clock: Clock | None = None,
        name: str = "console",
    ) -> None:
        self.name = name
        self.channels = frozenset(channels)
        self._path: str | os.PathLike[str] | None = None
        self._stream: TextIO | None = None
        if isinstance(stream, str | os.PathLike):
            self._path = stream
        else:
            self._stream = stream
        self._clock = clock
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        where = self._path if self._path is not None else "a stream"
        return f"ConsoleSender(name={self.name!r}, to={str(where)!r})"

    def send(
        self, notification: Notification, message: Message, address: str
    ) -> DeliveryEvent:
        """Write *message* as it would go to *address*; report it sent."""
        channel = notification.channel
        lines = [
            f"[{self.name}] {channel.value} to {masked_address(channel, address)} "
            f"({notification.key})"
        ]
        if message.subject:
            lines.append(f"  subject: {message.subject}")
        lines += [f"  | {line}" for line in message.text.splitlines() or [""]]
        text = "\n".join(lines) + "\n"

        with self._lock:
            provider_id = f"console-{next(self._ids)}"
            if self._path is not None:
                with Path(self._path).open("a", encoding="utf-8") as file:
                    file.write(text)
            else:
                stream = self._stream or sys.stdout
                stream.write(text)
                stream.flush()
        at = datetime.now(UTC) if self._clock is None else self._clock.now()
        return DeliveryEvent(DeliveryEventKind.SENT, at, provider_id=provider_id)
