"""Email messages: multipart text and HTML, threaded by incident."""

from __future__ import annotations

import email.policy
import email.utils
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from urllib.parse import quote

from oncall_core import Message, Notification, NotificationStatus

__all__ = ["compose", "message_id", "thread_id"]


def _atom(text: str) -> str:
    """Return *text* as a Message-ID may hold it: percent-escaped, no dots."""
    return quote(text, safe="").replace(".", "%2E")


def thread_id(incident: str, domain: str) -> str:
    """Return the Message-ID every mail about *incident* refers to.

    The first mail of an incident (step 0, pass 0) carries it; the others
    name it in ``In-Reply-To`` and ``References``, so mail clients show all
    the mail about one incident as one thread.
    """
    return f"<incident.{_atom(incident)}@{domain}>"


def _is_digest(notification: Notification) -> bool:
    """Whether quiet hours held *notification*: it is sent in a digest."""
    return any(status is NotificationStatus.HELD for _, status in notification.history)


def message_id(notification: Notification, domain: str) -> str:
    """Return the Message-ID of the mail for *notification*.

    It depends on the notification alone, so a retried send carries the same
    one and a receiving server can tell the duplicate.
    """
    key = notification.key
    if _is_digest(notification):
        return f"<digest.{_atom(str(key))}@{domain}>"
    if key.step == 0 and key.pass_ == 0:
        return thread_id(key.incident, domain)
    return (
        f"<incident.{_atom(key.incident)}.s{key.step}.p{key.pass_}."
        f"{_atom(key.user)}@{domain}>"
    )


def compose(
    notification: Notification,
    message: Message,
    *,
    sender: Address,
    recipient: Address,
    domain: str,
    at: datetime,
) -> EmailMessage:
    """Return the mail for *message*: text, and HTML as an alternative if any.

    The HTML is the rendered message's, in which the core escaped every
    field of the incident.

    Raises:
        ValueError: a header would hold a line break.
    """
    mail = EmailMessage(policy=email.policy.SMTP)
    mail["From"] = sender
    mail["To"] = recipient
    mail["Subject"] = message.subject or _first_line(message.text)
    mail["Date"] = email.utils.format_datetime(at)
    mail["Message-ID"] = message_id(notification, domain)
    if not _is_digest(notification):
        root = thread_id(notification.incident, domain)
        if mail["Message-ID"] != root:
            mail["In-Reply-To"] = root
            mail["References"] = root
    # RFC 3834: no vacation replies to a page.
    mail["Auto-Submitted"] = "auto-generated"
    mail["X-Oncall-Incident"] = notification.incident
    mail["X-Oncall-Notification"] = str(notification.key)
    mail.set_content(message.text)
    if message.html is not None:
        mail.add_alternative(message.html, subtype="html")
    return mail


def _first_line(text: str) -> str:
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line[:78] or "On-call notification"
