"""Delivery settings from the file, and secrets from the environment.

Settings say how messages leave (which Twilio account and sender, which
SMTP server, which Slack webhook) and where the app is reachable; none of
them is a secret. Secrets (the Twilio auth token, the SMTP password, the
webhook signing secret) come only from the environment, through
:meth:`Secrets.from_env`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Literal

import attrs

from oncall_adapters.config._errors import InvalidSettings
from oncall_adapters.config._values import (
    InvalidEntry,
    parse_email,
    parse_phone,
    parse_time_zone,
    parse_url,
)
from oncall_core import InvalidValue

__all__ = [
    "SECRET_VARIABLES",
    "Secrets",
    "Settings",
    "SlackSettings",
    "SmtpSettings",
    "TwilioSettings",
    "WebhookSettings",
    "WhatsAppSettings",
]

KEY = "oncall.key"
"""Field metadata: the key that spells the field in the file, if not its name."""
CHECK = "oncall.check"
"""Field metadata: the function that reads the field's value from the file."""

SmtpSecurity = Literal["starttls", "tls", "none"]

SECRET_VARIABLES: Mapping[str, str] = MappingProxyType(
    {
        "twilio_auth_token": "ONCALL_TWILIO_AUTH_TOKEN",
        "smtp_password": "ONCALL_SMTP_PASSWORD",
        "webhook_secret": "ONCALL_WEBHOOK_SECRET",
    }
)
"""The environment variable each secret is read from."""

_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")
_CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")
_SHORT_CODE = re.compile(r"[0-9]{3,8}")
_SENDER_ID = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
_HOST = re.compile(r"[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]")
_NAMED_ADDRESS = re.compile(r"[^<>]*<([^<>]+)>")

Check = Callable[[object], Any]


def _sid(pattern: re.Pattern[str], prefix: str) -> Check:
    def check(value: object) -> str:
        if isinstance(value, str) and pattern.fullmatch(value):
            return value
        msg = f"must be {prefix} followed by 32 hex digits, got {value!r}"
        raise InvalidValue(msg)

    return check


def _sms_sender(value: object) -> str:
    if isinstance(value, str) and (
        _SHORT_CODE.fullmatch(value) or _SENDER_ID.fullmatch(value)
    ):
        return value
    if isinstance(value, str) and value.startswith("+"):
        return parse_phone(value)
    msg = (
        "must be an E.164 number (+12015550123), a short code or an "
        f"alphanumeric sender ID of up to 11 characters, got {value!r}"
    )
    raise InvalidValue(msg)


def _host(value: object) -> str:
    if isinstance(value, str) and _HOST.fullmatch(value):
        return value
    msg = f"must be a host name such as smtp.example.com, got {value!r}"
    raise InvalidValue(msg)


def _port(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536:
        return value
    msg = f"must be a port number from 1 to 65535, got {value!r}"
    raise InvalidValue(msg)


def _text(value: object) -> str:
    if isinstance(value, str) and value.strip():
        return value
    msg = f"must be a non-empty string, got {value!r}"
    raise InvalidValue(msg)


def _sender_address(value: object) -> str:
    named = _NAMED_ADDRESS.fullmatch(value) if isinstance(value, str) else None
    if named is not None:
        parse_email(named.group(1).strip())
        return str(value)
    return parse_email(value)


def _security(value: object) -> str:
    if value in ("starttls", "tls", "none"):
        return str(value)
    msg = f"must be one of 'starttls', 'tls', 'none', got {value!r}"
    raise InvalidValue(msg)


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    msg = f"must be true or false, got {value!r}"
    raise InvalidValue(msg)


def _mapping_of(check_key: Check, check_value: Check, what: str) -> Check:
    def check(value: object) -> dict[str, str]:
        if not isinstance(value, Mapping):
            msg = f"must be a table of {what}, got {value!r}"
            raise InvalidValue(msg)
        result: dict[str, str] = {}
        for key, item in value.items():
            try:
                result[check_key(key)] = check_value(item)
            except InvalidValue as error:
                raise InvalidEntry(str(key), str(error)) from None
        return result

    return check


def _validator(check: Check) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def validate(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and attribute.default is None:
            return
        try:
            check(value)
        except InvalidValue as error:
            key = attribute.metadata.get(KEY, attribute.name)
            if isinstance(error, InvalidEntry):
                key = f"{key} {error.key!r}:"
            msg = f"{key} {error}"
            raise InvalidSettings(msg) from None

    return validate


def _meta(check: Check, key: str | None = None) -> dict[str, object]:
    meta: dict[str, object] = {CHECK: check}
    if key is not None:
        meta[KEY] = key
    return meta


def _frozen(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


_variables = _mapping_of(_text, _text, "template placeholders and variable names")
_service_urls = _mapping_of(_text, parse_url, "service ids and webhook URLs")


@attrs.frozen
class WhatsAppSettings:
    """Sending on WhatsApp through Twilio: the sender and the approved template.

    Outside WhatsApp's 24-hour window only an approved template gets
    through; without *content_sid* such messages fail and fall back to SMS.
    *variables* maps each placeholder of the template (``"1"``) to the
    message's template variable that fills it (``"1"`` title, ``"2"``
    service, ``"3"`` incident id); empty means the same numbers.
    """

    from_number: str = attrs.field(
        validator=_validator(parse_phone), metadata=_meta(parse_phone, "from")
    )
    content_sid: str | None = attrs.field(
        default=None,
        validator=_validator(_sid(_CONTENT_SID, "HX")),
        metadata=_meta(_sid(_CONTENT_SID, "HX")),
    )
    variables: Mapping[str, str] = attrs.field(
        factory=dict,
        converter=_frozen,
        validator=_validator(_variables),
        metadata=_meta(_variables),
    )


@attrs.frozen
class TwilioSettings:
    """The Twilio account and the SMS sender: a number, or a messaging service.

    The auth token is a secret: ``ONCALL_TWILIO_AUTH_TOKEN`` in the
    environment. WhatsApp is enabled when *whatsapp* is set. *base_url*
    replaces ``https://api.twilio.com`` (a regional edge, or a fake Twilio
    in tests).
    """

    account_sid: str = attrs.field(
        validator=_validator(_sid(_ACCOUNT_SID, "AC")),
        metadata=_meta(_sid(_ACCOUNT_SID, "AC")),
    )
    from_number: str | None = attrs.field(
        default=None,
        validator=_validator(_sms_sender),
        metadata=_meta(_sms_sender, "from"),
    )
    messaging_service_sid: str | None = attrs.field(
        default=None,
        validator=_validator(_sid(_SERVICE_SID, "MG")),
        metadata=_meta(_sid(_SERVICE_SID, "MG")),
    )
    whatsapp: WhatsAppSettings | None = None
    base_url: str | None = attrs.field(
        default=None, validator=_validator(parse_url), metadata=_meta(parse_url)
    )

    def __attrs_post_init__(self) -> None:
        if self.from_number is None and self.messaging_service_sid is None:
            msg = (
                "give 'from' (the number or sender ID SMS come from) or "
                "'messaging_service_sid', or both"
            )
            raise InvalidSettings(msg)


@attrs.frozen
class SmtpSettings:
    """The SMTP server email leaves through.

    *security* is ``starttls`` (upgrade a plain connection, port 587 by
    default), ``tls`` (TLS from the start, port 465) or ``none`` (port 25,
    for a relay on a trusted network). The password is a secret:
    ``ONCALL_SMTP_PASSWORD`` in the environment.
    """

    host: str = attrs.field(validator=_validator(_host), metadata=_meta(_host))
    sender: str = attrs.field(
        validator=_validator(_sender_address), metadata=_meta(_sender_address, "from")
    )
    port: int | None = attrs.field(
        default=None, validator=_validator(_port), metadata=_meta(_port)
    )
    username: str | None = attrs.field(
        default=None, validator=_validator(_text), metadata=_meta(_text)
    )
    security: SmtpSecurity = attrs.field(
        default="starttls", validator=_validator(_security), metadata=_meta(_security)
    )

    @property
    def effective_port(self) -> int:
        """The port to connect to: the one given, or the usual one for *security*."""
        if self.port is not None:
            return self.port
        return {"starttls": 587, "tls": 465, "none": 25}[self.security]


@attrs.frozen
class SlackSettings:
    """Incoming-webhook URLs for Slack: one for all services, or one per service.

    A Slack webhook URL lets anyone who has it post to the channel: keep
    the file where only the on-call admins can read it.
    """

    webhook_url: str | None = attrs.field(
        default=None, validator=_validator(parse_url), metadata=_meta(parse_url)
    )
    service_webhooks: Mapping[str, str] = attrs.field(
        factory=dict,
        converter=_frozen,
        validator=_validator(_service_urls),
        metadata=_meta(_service_urls, "services"),
    )

    def webhook_for(self, service_id: str) -> str | None:
        """Return the webhook URL for *service_id*: its own, else the global one."""
        return self.service_webhooks.get(service_id, self.webhook_url)


@attrs.frozen
class WebhookSettings:
    """Where incidents are posted as JSON, and whether the posts are signed.

    The signing secret is a secret: ``ONCALL_WEBHOOK_SECRET`` in the
    environment.
    """

    url: str = attrs.field(validator=_validator(parse_url), metadata=_meta(parse_url))
    signed: bool = attrs.field(
        default=True, validator=_validator(_flag), metadata=_meta(_flag)
    )


@attrs.frozen
class Settings:
    """The non-secret settings of the app: delivery, links, the default zone.

    *time_zone* is the zone of users and schedules that name none.
    *public_base_url* is where the app's callbacks, reply webhooks and
    calendar feeds are reachable from the internet (and what links in
    messages point to).
    """

    time_zone: str = attrs.field(
        default="Etc/UTC",
        validator=_validator(parse_time_zone),
        metadata=_meta(parse_time_zone),
    )
    public_base_url: str | None = attrs.field(
        default=None, validator=_validator(parse_url), metadata=_meta(parse_url)
    )
    twilio: TwilioSettings | None = None
    smtp: SmtpSettings | None = None
    slack: SlackSettings | None = None
    webhook: WebhookSettings | None = None

    @property
    def whatsapp(self) -> WhatsAppSettings | None:
        """The WhatsApp settings, or None when WhatsApp is not enabled."""
        return None if self.twilio is None else self.twilio.whatsapp


def _masked(value: str | None) -> str:
    return "None" if value is None else "'***'"


def _secret(value: str | None) -> str | None:
    return value or None


@attrs.frozen
class Secrets:
    """The secrets of the app, read from the environment; reprs mask them.

    An empty variable counts as unset.
    """

    twilio_auth_token: str | None = attrs.field(
        default=None, converter=_secret, repr=_masked
    )
    smtp_password: str | None = attrs.field(
        default=None, converter=_secret, repr=_masked
    )
    webhook_secret: str | None = attrs.field(
        default=None, converter=_secret, repr=_masked
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Secrets:
        """Return the secrets set in *environ* (by default, ``os.environ``).

        Reads ``ONCALL_TWILIO_AUTH_TOKEN``, ``ONCALL_SMTP_PASSWORD`` and
        ``ONCALL_WEBHOOK_SECRET``. The default is None rather than
        ``os.environ`` itself so that ``help()`` and rendered signatures
        never print the environment, secrets included.
        """
        if environ is None:
            environ = os.environ
        return cls(
            **{field: environ.get(name) for field, name in SECRET_VARIABLES.items()}
        )

    def missing(self, settings: Settings) -> list[str]:
        """Return the variables that *settings* need but the environment lacks.

        Twilio needs its auth token; SMTP with a username needs a password;
        a signed webhook needs its secret.
        """
        needed = {
            "twilio_auth_token": settings.twilio is not None,
            "smtp_password": settings.smtp is not None
            and settings.smtp.username is not None,
            "webhook_secret": settings.webhook is not None and settings.webhook.signed,
        }
        return [
            SECRET_VARIABLES[field]
            for field, wanted in needed.items()
            if wanted and getattr(self, field) is None
        ]
