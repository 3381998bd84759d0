"""SMS and WhatsApp through Twilio's Messages API, with the official SDK."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

import attrs
import requests
from twilio.base.exceptions import (  # type: ignore[import-untyped]
    TwilioException,
    TwilioRestException,
)
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from oncall_adapters.twilio._account import TwilioAccount
from oncall_adapters.twilio._errors import (
    FALLBACK_CODES,
    InvalidTwilioSetting,
    TwilioRequestFailed,
    Verdict,
    classify,
    describe,
)
from oncall_adapters.twilio._phones import InvalidPhoneNumber, e164
from oncall_core import (
    Channel,
    Clock,
    DeliveryEvent,
    DeliveryEventKind,
    Message,
    Notification,
    Sender,
    mask_phone,
)

__all__ = [
    "TwilioSmsSender",
    "TwilioWhatsAppSender",
    "WhatsAppTemplate",
    "whatsapp_fallback_code",
]

logger = logging.getLogger("oncall_adapters.twilio")

_MESSAGING_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")
_CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")
_ALPHANUMERIC_ID = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
_SHORT_CODE = re.compile(r"[0-9]{5,6}")
_WHATSAPP = "whatsapp:"
_FALLBACK = re.compile(r"sms fallback after WhatsApp error (\d+)")


def _now(clock: Clock | None) -> datetime:
    return datetime.now(UTC) if clock is None else clock.now()


@attrs.frozen
class _Attempt:
    """A request's outcome: the event to report, and Twilio's error code."""

    event: DeliveryEvent
    twilio_code: int | None = None


class _Messages:
    """One request to create a message, and the verdict on how it went."""

    def __init__(self, account: TwilioAccount, name: str, clock: Clock | None) -> None:
        self.account = account
        self.name = name
        self.clock = clock

    def create(
        self, notification: Notification, params: Mapping[str, str], shown: str
    ) -> _Attempt:
        try:
            sid, status = self.account._create_message(params)
        except TwilioRestException as error:
            return self._refused(notification, error, shown)
        except (requests.RequestException, TwilioException, OSError) as error:
            return self._lost(notification, error, shown)
        except ValueError as error:  # an answer that is not a message resource
            return self._lost(notification, error, shown)
        logger.info(
            "%s sent %s to %s: %s (%s)", self.name, notification.key, shown, sid, status
        )
        return _Attempt(
            DeliveryEvent(DeliveryEventKind.SENT, _now(self.clock), provider_id=sid)
        )

    def _refused(
        self, notification: Notification, error: TwilioRestException, shown: str
    ) -> _Attempt:
        """Twilio answered with an error: classify it by status and code."""
        status = error.status if isinstance(error.status, int) else None
        code = error.code if isinstance(error.code, int) else status
        reason = describe(code, status)
        verdict = classify(status, code)
        at = _now(self.clock)

        if verdict is Verdict.TEMPORARY:
            retry_after = self.account._retry_after()
            logger.info(
                "%s could not send %s to %s: %s; will retry (Retry-After: %s)",
                self.name,
                notification.key,
                shown,
                reason,
                retry_after,
            )
            event = DeliveryEvent(
                DeliveryEventKind.TEMPORARY_FAILURE,
                at,
                code=str(code),
                reason=f"{reason}; nothing was sent",
                retry_after=retry_after,
            )
        elif verdict is Verdict.PERMANENT:
            self._warn(
                error,
                "%s failed for good on %s to %s: %s",
                notification.key,
                shown,
                reason,
            )
            event = DeliveryEvent(
                DeliveryEventKind.FAILED, at, code=str(code), reason=reason
            )
        else:
            self._warn(
                error,
                "%s got HTTP %s for %s to %s: outcome unknown, not retried",
                status,
                notification.key,
                shown,
            )
            event = DeliveryEvent(
                DeliveryEventKind.SENT,
                at,
                code=str(code),
                reason=(
                    f"outcome unknown: {reason} after the request was sent; "
                    "Twilio may have accepted it, so it is not retried"
                ),
            )
        return _Attempt(event, code)

    def _lost(
        self, notification: Notification, error: Exception, shown: str
    ) -> _Attempt:
        """No usable answer: temporary if never connected, else outcome unknown."""
        at = _now(self.clock)
        what = type(error).__name__
        if _never_connected(error):
            self._warn(
                error,
                "%s could not reach Twilio for %s to %s; will retry",
                notification.key,
                shown,
            )
            return _Attempt(
                DeliveryEvent(
                    DeliveryEventKind.TEMPORARY_FAILURE,
                    at,
                    code="connection-failed",
                    reason=f"could not connect to Twilio ({what}); nothing was sent",
                )
            )
        self._warn(
            error,
            "%s lost the answer for %s to %s: outcome unknown, not retried",
            notification.key,
            shown,
        )
        return _Attempt(
            DeliveryEvent(
                DeliveryEventKind.SENT,
                at,
                code="no-answer",
                reason=(
                    f"outcome unknown: no answer from Twilio ({what}) after the "
                    "request was sent; it may have been accepted, so it is not retried"
                ),
            )
        )

    def _warn(self, error: BaseException, template: str, *args: object) -> None:
        """Log *template* (its first ``%s`` is this sender) with a scrubbed *error*.

        The SDK's error text may hold the recipient's number: the log gets
        a scrubbed copy of it, with the original traceback.
        """
        clean = TwilioRequestFailed(
            self.account._scrub(f"{type(error).__name__}: {error}")
        ).with_traceback(error.__traceback__)
        logger.warning(template, self.name, *args, exc_info=clean)


def _never_connected(error: BaseException) -> bool:
    """Tell whether *error* happened before any byte of the request was sent."""
    if isinstance(error, requests.ConnectTimeout | requests.exceptions.SSLError):
        return True
    seen: set[int] = set()
    stack: list[object] = [error]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, NewConnectionError | ConnectTimeoutError):
            return True
        stack.extend((*item.args, item.__cause__, item.__context__))
        stack.append(getattr(item, "reason", None))
    return False


def _status_callback(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        msg = f"status_callback must be an http(s) URL, got {value!r}"
        raise InvalidTwilioSetting(msg)
    return value


def _messaging_service_sid(value: str | None) -> str | None:
    if value is not None and (
        not isinstance(value, str) or not _MESSAGING_SERVICE_SID.fullmatch(value)
    ):
        msg = (
            f"messaging_service_sid must be MG followed by 32 hex digits, got {value!r}"
        )
        raise InvalidTwilioSetting(msg)
    return value


def _sms_from(value: str | None) -> str | None:
    """An E.164 number, a short code or an alphanumeric sender ID."""
    if value is None:
        return None
    if isinstance(value, str) and (
        _SHORT_CODE.fullmatch(value) or _ALPHANUMERIC_ID.fullmatch(value)
    ):
        return value
    try:
        return e164(value, "from_")
    except InvalidPhoneNumber as error:
        raise InvalidTwilioSetting(str(error)) from None


def _whatsapp_from(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return _WHATSAPP + e164(value, "from_")
    except InvalidPhoneNumber as error:
        raise InvalidTwilioSetting(str(error)) from None


def _origin(
    from_: str | None, messaging_service_sid: str | None, callback: str | None
) -> dict[str, str]:
    if from_ is None and messaging_service_sid is None:
        msg = "give from_ (a number or sender ID) or messaging_service_sid, or both"
        raise InvalidTwilioSetting(msg)
    origin: dict[str, str] = {}
    if from_ is not None:
        origin["from_"] = from_
    if messaging_service_sid is not None:
        origin["messaging_service_sid"] = messaging_service_sid
    if callback is not None:
        origin["status_callback"] = callback
    return origin


def _invalid_number(
    name: str, notification: Notification, address: str, error: Exception, at: datetime
) -> DeliveryEvent:
    logger.warning("%s refused the address of %s: %s", name, notification.key, error)
    return DeliveryEvent(
        DeliveryEventKind.FAILED, at, code="invalid-number", reason=str(error)
    )


class TwilioSmsSender:
    """Sends SMS through Twilio, from a number or a Messaging Service.

    The address is the recipient's number, validated as E.164 with
    ``phonenumbers``: an invalid one is a ``FAILED`` event, not a request.
    See ``docs/delivery.md`` for how each Twilio error is classified.

    Args:
        account: the Twilio account to send with.
        from_: an E.164 number, a short code or an alphanumeric sender ID.
        messaging_service_sid: ``MG...``: Twilio picks the sender from the
            service's pool (with *from_* too, that sender is used).
        status_callback: the URL Twilio posts delivery statuses to; read
            them with :func:`verify_status_callback`.
        clock: where the instants of events come from (default: UTC now).
        name: the sender's name, for logs and rate limits.

    Raises:
        InvalidTwilioSetting: neither *from_* nor *messaging_service_sid*,
            or a malformed one.
    """

    channels: frozenset[Channel] = frozenset({Channel.SMS})

    def __init__(
        self,
        account: TwilioAccount,
        *,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
        clock: Clock | None = None,
        name: str = "twilio-sms",
    ) -> None:
        self.name = name
        self.account = account
        self.from_ = _sms_from(from_)
        self.messaging_service_sid = _messaging_service_sid(messaging_service_sid)
        self._origin = _origin(
            self.from_, self.messaging_service_sid, _status_callback(status_callback)
        )
        self._clock = clock
        self._messages = _Messages(account, name, clock)

    def __repr__(self) -> str:
        origin = self.messaging_service_sid or mask_phone(self.from_)
        return f"TwilioSmsSender(name={self.name!r}, from={origin!r}, {self.account!r})"

    def send(
        self, notification: Notification, message: Message, address: str
    ) -> DeliveryEvent:
        """Make one attempt to send *message* as an SMS to *address*."""
        try:
            to = e164(address, "SMS recipient")
        except InvalidPhoneNumber as error:
            return _invalid_number(
                self.name, notification, address, error, _now(self._clock)
            )
        params = {**self._origin, "to": to, "body": message.text}
        return self._messages.create(notification, params, mask_phone(to)).event


def _template_variables(value: Mapping[str, str] | None) -> dict[str, str] | None:
    if value is None:
        return None
    result = dict(value)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in result.items()):
        msg = f"template variables map names to names (strings), got {value!r}"
        raise InvalidTwilioSetting(msg)
    return result


@attrs.frozen
class WhatsAppTemplate:
    """An approved WhatsApp Content template, and where its variables come from.

    *variables* maps each placeholder of the template (``"1"``, ``"2"``) to
    the name of one of the message's ``template_variables``: with the core's
    default WhatsApp template (``{"1": title, "2": service, "3": id}``), a
    template reading "{{1}} is down: {{2}}" that wants the id second takes
    ``{"1": "1", "2": "3"}``. ``None`` passes the message's variables as
    they are.

    Raises:
        InvalidTwilioSetting: *content_sid* is not ``HX`` and 32 hex digits,
            or *variables* is not a mapping of strings.
    """

    content_sid: str
    variables: Mapping[str, str] | None = attrs.field(
        default=None, converter=_template_variables
    )

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.content_sid, str) or not _CONTENT_SID.fullmatch(
            self.content_sid
        ):
            msg = (
                "content_sid must be HX followed by 32 hex digits, "
                f"got {self.content_sid!r}"
            )
            raise InvalidTwilioSetting(msg)

    def content_variables(self, message: Message) -> dict[str, str]:
        """Return the template's variables filled from *message*.

        Raises:
            KeyError: the message lacks a variable the mapping names.
        """
        given = dict(message.template_variables or {})
        if self.variables is None:
            return given
        return {slot: given[name] for slot, name in self.variables.items()}


def _assume_outside(number: str) -> bool:
    return False


class TwilioWhatsAppSender:
    """Sends WhatsApp messages through Twilio, falling back to SMS.

    Inside the recipient's 24-hour customer-service window (as the host's
    *in_session* tells) the message goes as free-form text; outside it, as
    the approved *template*. Without a template the free-form text is tried
    and Twilio decides.

    When WhatsApp refuses the message with 63016 (outside the window),
    63003 (not on WhatsApp) or 63018 (rate limit) and *sms_fallback* is set,
    the same number gets the text by SMS at once, and the SMS's event is
    returned, its reason saying ``sms fallback after WhatsApp error <code>``
    (read it back with :func:`whatsapp_fallback_code`); its ``provider_id``
    is the SMS's. Without *sms_fallback*, the WhatsApp failure is returned
    and the core's standby SMS notification takes over.

    Args:
        account: the Twilio account to send with.
        from_: the WhatsApp sender, ``whatsapp:+E164`` or ``+E164``.
        messaging_service_sid: ``MG...``, a service with a WhatsApp sender.
        template: the approved template for outside the window.
        in_session: ``in_session(number) -> bool``, whether the E.164
            *number* wrote in the last 24 hours; by default nobody did.
        sms_fallback: the sender for the SMS fallback, usually a
            :class:`TwilioSmsSender`.
        status_callback, clock, name: as for :class:`TwilioSmsSender`.

    Raises:
        InvalidTwilioSetting: a malformed or missing sender.
    """

    channels: frozenset[Channel] = frozenset({Channel.WHATSAPP})

    def __init__(
        self,
        account: TwilioAccount,
        *,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        template: WhatsAppTemplate | None = None,
        in_session: Callable[[str], bool] | None = None,
        sms_fallback: Sender | None = None,
        status_callback: str | None = None,
        clock: Clock | None = None,
        name: str = "twilio-whatsapp",
    ) -> None:
        self.name = name
        self.account = account
        self.from_ = _whatsapp_from(from_)
        self.messaging_service_sid = _messaging_service_sid(messaging_service_sid)
        self._origin = _origin(
            self.from_, self.messaging_service_sid, _status_callback(status_callback)
        )
        if template is not None and not isinstance(template, WhatsAppTemplate):
            msg = f"template must be a WhatsAppTemplate, got {template!r}"
            raise InvalidTwilioSetting(msg)
        if sms_fallback is not None and Channel.SMS not in sms_fallback.channels:
            msg = f"sms_fallback must send SMS, {sms_fallback.name} does not"
            raise InvalidTwilioSetting(msg)
        self.template = template
        self.sms_fallback = sms_fallback
        self._in_session = in_session or _assume_outside
        self._clock = clock
        self._messages = _Messages(account, name, clock)

    def __repr__(self) -> str:
        origin = self.messaging_service_sid or mask_phone(
            (self.from_ or "").removeprefix(_WHATSAPP)
        )
        return (
            f"TwilioWhatsAppSender(name={self.name!r}, from={origin!r}, "
            f"{self.account!r})"
        )

    def send(
        self, notification: Notification, message: Message, address: str
    ) -> DeliveryEvent:
        """Make one attempt to send *message* on WhatsApp to *address*, else SMS."""
        try:
            number = e164(address, "WhatsApp recipient")
        except InvalidPhoneNumber as error:
            return _invalid_number(
                self.name, notification, address, error, _now(self._clock)
            )
        shown = mask_phone(number)
        params = {**self._origin, "to": _WHATSAPP + number}

        if self._session_open(number, shown) or self.template is None:
            params["body"] = message.text
        else:
            try:
                variables = self.template.content_variables(message)
            except KeyError as missing:
                reason = (
                    f"the message has no template variable {missing} that the "
                    f"WhatsApp template {self.template.content_sid} maps"
                )
                logger.warning(
                    "%s cannot send %s: %s", self.name, notification.key, reason
                )
                return DeliveryEvent(
                    DeliveryEventKind.FAILED,
                    _now(self._clock),
                    code="template-variables",
                    reason=reason,
                )
            params["content_sid"] = self.template.content_sid
            params["content_variables"] = json.dumps(variables, ensure_ascii=False)

        attempt = self._messages.create(notification, params, shown)
        if self.sms_fallback is None or attempt.twilio_code not in FALLBACK_CODES:
            return attempt.event
        return self._fall_back(notification, message, number, attempt)

    def _session_open(self, number: str, shown: str) -> bool:
        try:
            return bool(self._in_session(number))
        except Exception:
            logger.warning(
                "%s: in_session failed for %s; assuming the window is closed",
                self.name,
                shown,
                exc_info=True,
            )
            return False

    def _fall_back(
        self,
        notification: Notification,
        message: Message,
        number: str,
        attempt: _Attempt,
    ) -> DeliveryEvent:
        assert self.sms_fallback is not None
        code = attempt.twilio_code
        logger.info(
            "%s: WhatsApp refused %s to %s (%s); falling back to SMS via %s",
            self.name,
            notification.key,
            mask_phone(number),
            code,
            self.sms_fallback.name,
        )
        sms = self.sms_fallback.send(
            notification, Message(Channel.SMS, None, message.text), number
        )
        marker = f"sms fallback after WhatsApp error {code} ({describe(code)})"
        reason = f"{sms.reason}; {marker}" if sms.reason else marker
        return attrs.evolve(sms, reason=reason)


def whatsapp_fallback_code(event: DeliveryEvent) -> int | None:
    """Return the WhatsApp error an SMS fallback replaced, or None if *event* is none.

    The event is the one :class:`TwilioWhatsAppSender` returned: a worker
    can record that the WhatsApp notification went out by SMS, and why.
    """
    found = _FALLBACK.search(event.reason or "")
    return None if found is None else int(found.group(1))
