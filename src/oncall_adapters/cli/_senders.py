"""The senders of the app, built from the settings and the secrets.

Twilio (SMS, and WhatsApp when enabled), SMTP, Slack and the JSON webhook,
each only when its settings are there; with a console stream, the console
sender takes every channel no other sender serves.
"""

from __future__ import annotations

import secrets as random_secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TextIO

from oncall_adapters.cli._errors import BadInput
from oncall_adapters.config import Secrets, Settings, SlackSettings, TwilioSettings
from oncall_adapters.console import ConsoleSender
from oncall_adapters.email import SmtpEmailSender
from oncall_adapters.slack import SlackWebhookSender
from oncall_adapters.twilio import (
    TwilioAccount,
    TwilioSmsSender,
    TwilioWhatsAppSender,
    WhatsAppTemplate,
)
from oncall_adapters.webhook import HttpWebhookSender
from oncall_core import (
    Channel,
    Clock,
    DeliveryEvent,
    DeliveryEventKind,
    Message,
    Notification,
    OncallError,
    Sender,
)

__all__ = ["STATUS_CALLBACK_PATH", "SlackByService", "build_senders"]

STATUS_CALLBACK_PATH = "/twilio/status"
"""Where ``oncall serve`` takes Twilio's status callbacks, under the public URL."""


class SlackByService:
    """Posts to the Slack webhook of each incident's service, or the global one.

    Args:
        settings: the Slack settings.
        service_of: the service id of an incident id, or None.
        clock: where the instants of events come from.
    """

    channels: frozenset[Channel] = frozenset({Channel.SLACK})

    def __init__(
        self,
        settings: SlackSettings,
        service_of: Callable[[str], str | None],
        *,
        clock: Clock | None = None,
        name: str = "slack",
    ) -> None:
        self.name = name
        self._settings = settings
        self._service_of = service_of
        self._clock = clock
        urls = {settings.webhook_url, *settings.service_webhooks.values()}
        self._senders = {
            url: SlackWebhookSender(url, clock=clock, name=name)
            for url in urls
            if url is not None
        }

    def __repr__(self) -> str:
        return f"SlackByService(name={self.name!r}, webhooks=<{len(self._senders)}>)"

    def send(
        self, notification: Notification, message: Message, address: str
    ) -> DeliveryEvent:
        """Post *message* through the webhook of the incident's service."""
        service = self._service_of(notification.incident)
        url = self._settings.webhook_for(service or "")
        if url is None:
            at = datetime.now(UTC) if self._clock is None else self._clock.now()
            return DeliveryEvent(
                DeliveryEventKind.FAILED,
                at,
                code="no-webhook",
                reason=f"no Slack webhook for service {service!r}",
            )
        return self._senders[url].send(notification, message, address)


@contextmanager
def _table(name: str) -> Iterator[None]:
    """Name the settings table a sender's own check refuses."""
    try:
        yield
    except OncallError as error:
        msg = f"[{name}]: {error}"
        raise BadInput(msg) from None


def _missing(settings: Settings, secrets: Secrets) -> None:
    missing = secrets.missing(settings)
    if missing:
        msg = (
            f"{', '.join(missing)} must be set in the environment: "
            "the settings need them (secrets are never read from the file)"
        )
        raise BadInput(msg)


def build_senders(
    settings: Settings,
    secrets: Secrets,
    *,
    service_of: Callable[[str], str | None],
    console: TextIO | None = None,
    clock: Clock | None = None,
) -> list[Sender]:
    """Return a sender for each channel the settings configure.

    Twilio's status callbacks go to ``public_base_url`` + ``/twilio/status``
    when the settings have a public URL. With *console*, a
    :class:`~oncall_adapters.console.ConsoleSender` writing there takes
    every channel left over.

    Raises:
        BadInput: a secret the settings need is not in the environment.
    """
    _missing(settings, secrets)
    senders: list[Sender] = []
    twilio = settings.twilio
    if twilio is not None and secrets.twilio_auth_token is not None:
        with _table("settings.twilio"):
            senders.extend(_twilio(settings, twilio, secrets.twilio_auth_token, clock))
    smtp = settings.smtp
    if smtp is not None:
        with _table("settings.smtp"):
            senders.append(
                SmtpEmailSender(
                    smtp.host,
                    smtp.port,
                    sender=smtp.sender,
                    security=smtp.security,
                    username=smtp.username,
                    password=secrets.smtp_password if smtp.username else None,
                    clock=clock,
                )
            )
    if settings.slack is not None:
        with _table("settings.slack"):
            senders.append(SlackByService(settings.slack, service_of, clock=clock))
    webhook = settings.webhook
    if webhook is not None:
        # XXX: [settings.webhook] url is not used: a notification goes to its
        # user's webhook_url (docs/cli.md, Limitations).
        # An unsigned webhook still needs a key to sign with: a throw-away one.
        key = secrets.webhook_secret or random_secrets.token_hex(32)
        with _table("settings.webhook"):
            senders.append(HttpWebhookSender(key, clock=clock))
    if console is not None:
        served = {channel for sender in senders for channel in sender.channels}
        rest = [channel for channel in Channel if channel not in served]
        if rest:
            senders.append(ConsoleSender(console, channels=rest, clock=clock))
    return senders


def _twilio(
    settings: Settings, twilio: TwilioSettings, token: str, clock: Clock | None
) -> list[Sender]:
    """The SMS sender, and the WhatsApp one when it is enabled."""
    senders: list[Sender] = []
    account = TwilioAccount(twilio.account_sid, token, base_url=twilio.base_url)
    callback = (
        None
        if settings.public_base_url is None
        else settings.public_base_url.rstrip("/") + STATUS_CALLBACK_PATH
    )
    senders.append(
        TwilioSmsSender(
            account,
            from_=twilio.from_number,
            messaging_service_sid=twilio.messaging_service_sid,
            status_callback=callback,
            clock=clock,
        )
    )
    whatsapp = twilio.whatsapp
    if whatsapp is not None:
        template = None
        if whatsapp.content_sid is not None:
            template = WhatsAppTemplate(
                whatsapp.content_sid, dict(whatsapp.variables) or None
            )
        senders.append(
            TwilioWhatsAppSender(
                account,
                from_=whatsapp.from_number,
                template=template,
                status_callback=callback,
                clock=clock,
            )
        )
    return senders
