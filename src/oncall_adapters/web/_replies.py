"""Replies to a page, read from the text of an SMS or a WhatsApp message."""

from __future__ import annotations

import enum
import re

import attrs

__all__ = ["Command", "Reply", "parse_reply"]


class Command(enum.Enum):
    """What a reply asks for."""

    ACK = "ack"
    """Acknowledge the incident: nothing more fires."""
    RESOLVE = "resolve"
    """Resolve the incident: the escalation ends."""


@attrs.frozen
class Reply:
    """A command and, when the reply named one, the incident it is about."""

    command: Command
    incident: str | None = None


# "ACK", "ack INC-1", " Resolve #123 ": a word, then at most one incident id.
_REPLY = re.compile(r"\s*(ack|resolve)(?:\s+#?(\S+))?\s*", re.IGNORECASE)


def parse_reply(text: str) -> Reply | None:
    """Read ``ACK [INCIDENT]`` or ``RESOLVE [INCIDENT]`` from *text*.

    The command is case-insensitive; the incident id is kept as written,
    without a leading ``#``. Anything else (more words, another command, a
    control character) is not a reply: None.

    >>> parse_reply("ack INC-1")
    Reply(command=<Command.ACK: 'ack'>, incident='INC-1')
    >>> parse_reply("RESOLVE")
    Reply(command=<Command.RESOLVE: 'resolve'>, incident=None)
    >>> parse_reply("thanks!") is None
    True
    """
    found = _REPLY.fullmatch(text)
    if found is None:
        return None
    incident = found.group(2)
    if incident is not None and not incident.isprintable():
        return None
    return Reply(Command(found.group(1).lower()), incident)
