"""Rendering: the message an incident becomes on each channel.

:class:`Templates` holds one template per channel, with defaults a host can
replace, either by a callable ``(Incident, RenderContext) -> Message`` or by
a :class:`FormatTemplate` of format strings. Rendering escapes what each
channel needs escaped (HTML for email, ``&``, ``<`` and ``>`` for Slack) and
fits an SMS into one segment where it can.
"""

from __future__ import annotations

import html
import string
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

import attrs

from oncall_core._directory import Channel, Service, User, _channel
from oncall_core._incidents import Incident
from oncall_core.errors import InvalidValue

__all__ = [
    "FORMAT_FIELDS",
    "DigestTemplate",
    "FormatTemplate",
    "InvalidTemplate",
    "Message",
    "RenderContext",
    "Template",
    "Templates",
    "default_digest",
    "is_gsm7",
    "sms_length",
    "sms_segments",
]


class InvalidTemplate(InvalidValue):
    """A template is malformed, or rendered something that is not a message."""


# GSM 03.38: the basic character set, and the extension table whose
# characters take two septets (an escape, then the character).
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

SMS_GSM7_SINGLE = 160
SMS_GSM7_PART = 153
SMS_UCS2_SINGLE = 70
SMS_UCS2_PART = 67
_PUSH_TITLE = 65
_PUSH_BODY = 240
_WHATSAPP_VARIABLE = 1024


def is_gsm7(text: str) -> bool:
    """Tell whether *text* can be sent in the GSM 7-bit alphabet."""
    return all(c in _GSM_BASIC or c in _GSM_EXTENSION for c in text)


def sms_length(text: str) -> int:
    """Return the length of *text* as an SMS counts it.

    In GSM-7, septets (``€``, ``{``, ``[`` and the like count two); with
    any other character, the whole text is UCS-2 and counts UTF-16 code
    units (an emoji counts two).
    """
    if is_gsm7(text):
        return sum(2 if c in _GSM_EXTENSION else 1 for c in text)
    return len(text.encode("utf-16-le")) // 2


def sms_segments(text: str) -> int:
    """Return how many SMS segments *text* takes (at least one).

    One segment holds 160 GSM-7 septets or 70 UCS-2 units; a longer text is
    split into parts of 153 or 67, the rest going to the headers that join
    them.
    """
    length = sms_length(text)
    single, part = (
        (SMS_GSM7_SINGLE, SMS_GSM7_PART)
        if is_gsm7(text)
        else (SMS_UCS2_SINGLE, SMS_UCS2_PART)
    )
    if length <= single:
        return 1
    return -(-length // part)


def _copy_mapping(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else dict(value)


@attrs.frozen
class Message:
    """What one notification says, shaped for its channel.

    *subject* is an email's subject or a push notification's title.
    *html* is an email's HTML body. *template_variables* are the content
    variables of a WhatsApp template (``"1"``, ``"2"``, ...), which
    WhatsApp needs outside its 24-hour window. *payload* is the JSON-able
    body of a webhook.
    """

    channel: Channel = attrs.field(converter=_channel)
    subject: str | None
    text: str
    html: str | None = None
    template_variables: Mapping[str, str] | None = attrs.field(
        default=None, converter=_copy_mapping, hash=False
    )
    payload: Mapping[str, Any] | None = attrs.field(
        default=None, converter=_copy_mapping, hash=False
    )

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.text, str):
            msg = f"message text must be a string, got {self.text!r}"
            raise InvalidTemplate(msg)


@attrs.frozen
class RenderContext:
    """What a template may use besides the incident.

    *user* is who the message is for; *service* the incident's service
    (for its name); *step* and *pass_* which step of which pass fired.
    """

    channel: Channel
    user: User | None = None
    service: Service | None = None
    step: int | None = None
    pass_: int | None = None

    def service_name(self, incident: Incident) -> str:
        """The service's name, else its id, else ``"no service"``."""
        if self.service is not None:
            return self.service.name or self.service.id
        return incident.service or "no service"


DigestTemplate: TypeAlias = Callable[[Sequence[Incident], RenderContext], Message]
"""A digest's template: the held incidents of one user, as one message."""

FORMAT_FIELDS: tuple[str, ...] = (
    "id",
    "title",
    "service",
    "urgency",
    "details",
    "link",
    "triggered_at",
    "user",
    "step",
    "ack",
)
"""The names a :class:`FormatTemplate` may use, as ``{title}``."""


def _check_format(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        msg = f"format template {what} must be a string, got {value!r}"
        raise InvalidTemplate(msg)
    try:
        parsed = list(string.Formatter().parse(value))
    except ValueError as error:
        msg = f"format template {what} {value!r} is malformed: {error}"
        raise InvalidTemplate(msg) from None
    for _, field, spec, _ in parsed:
        if field is None:
            continue
        if field not in FORMAT_FIELDS or (spec and "{" in spec):
            msg = f"format template {what} uses {{{field}}}; use only " + ", ".join(
                f"{{{name}}}" for name in FORMAT_FIELDS
            )
            raise InvalidTemplate(msg)
    try:
        # Every value is a string: a spec such as {step:d} fails here, at
        # construction, rather than at the first page.
        value.format_map(dict.fromkeys(FORMAT_FIELDS, "x"))
    except ValueError as error:
        msg = f"format template {what} {value!r} cannot format text: {error}"
        raise InvalidTemplate(msg) from None
    return value


def _text_format(value: str) -> str:
    return _check_format(value, "text") or ""


def _subject_format(value: str | None) -> str | None:
    return _check_format(value, "subject")


def _html_format(value: str | None) -> str | None:
    return _check_format(value, "html")


@attrs.frozen
class FormatTemplate:
    """A template of format strings over an incident's fields.

    The strings use the names of :data:`FORMAT_FIELDS` (``{title}``,
    ``{id}``, ``{ack}``...) and nothing else. Values are escaped for where
    they land: HTML-escaped in *html*, Slack-escaped in a Slack *text*. An
    SMS *text* that is too long for one segment has its title shortened.

    Raises:
        InvalidTemplate: a string is malformed or uses an unknown field.
    """

    text: str = attrs.field(converter=_text_format)
    subject: str | None = attrs.field(default=None, converter=_subject_format)
    html: str | None = attrs.field(default=None, converter=_html_format)

    def __call__(self, incident: Incident, context: RenderContext) -> Message:
        """Render *incident* with these strings, for the context's channel."""
        channel = context.channel
        fields = _fields(incident, context)
        escape = _slack_escape if channel is Channel.SLACK else _same

        def text_with(title: str) -> str:
            values = {name: escape(value) for name, value in fields.items()}
            return self.text.format_map({**values, "title": escape(title)})

        if channel is Channel.SMS:
            text = _fit_sms(text_with, fields["title"])
        else:
            text = text_with(fields["title"])
        default = _DEFAULTS[channel](incident, context)
        return Message(
            channel,
            _one_line(self.subject.format_map(fields)) if self.subject else None,
            text,
            self.html.format_map(_escaped(fields)) if self.html else None,
            template_variables=default.template_variables,
            payload=default.payload,
        )


Template: TypeAlias = Callable[[Incident, RenderContext], Message] | FormatTemplate
"""A channel's template: a callable, or format strings."""


def _same(text: str) -> str:
    return text


def _one_line(text: str) -> str:
    """Collapse runs of whitespace, newlines included, into single spaces."""
    return " ".join(text.split())


def _escaped(fields: Mapping[str, str]) -> dict[str, str]:
    return {name: html.escape(value, quote=True) for name, value in fields.items()}


def _slack_escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reads as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _urgency(incident: Incident) -> str:
    return incident.urgency.value.upper()


def _fields(incident: Incident, context: RenderContext) -> dict[str, str]:
    user = context.user
    return {
        "id": incident.id,
        "title": _one_line(incident.title),
        "service": context.service_name(incident),
        "urgency": incident.urgency.value,
        "details": incident.details,
        "link": incident.link or "",
        "triggered_at": incident.triggered_at.isoformat(),
        "user": "" if user is None else (user.name or user.id),
        "step": "" if context.step is None else str(context.step + 1),
        "ack": f"ACK {incident.id}",
    }


def _truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    if len(text) <= limit:
        return text
    return text[: max(limit - len(ellipsis), 0)].rstrip() + ellipsis


def _longest(fits: Callable[[int], bool], high: int) -> int | None:
    """Return the largest k in [0, high] with fits(k), fits being monotone."""
    if not fits(0):
        return None
    low = 0
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _fit_sms(text_with: Callable[[str], str], title: str) -> str:
    """Return text_with(title), its title shortened to fit one SMS segment.

    Shortening may drop the character that forced UCS-2, so the longest
    GSM-7 fit and the longest UCS-2 fit are both tried and the one keeping
    more of the title wins. When not even an empty title fits (a very long
    id), the shortest text is returned, over several segments.
    """
    whole = text_with(title)
    if sms_segments(whole) == 1:
        return whole

    def shortened(k: int, ellipsis: str) -> str:
        return text_with(title[:k].rstrip() + ellipsis)

    def fits_gsm(k: int) -> bool:
        text = shortened(k, "...")
        return is_gsm7(text) and sms_length(text) <= SMS_GSM7_SINGLE

    def fits_ucs2(k: int) -> bool:
        return sms_length(shortened(k, "…")) <= SMS_UCS2_SINGLE

    gsm_prefix = next((i for i, c in enumerate(title) if not is_gsm7(c)), len(title))
    gsm = _longest(fits_gsm, gsm_prefix)
    ucs2 = _longest(fits_ucs2, len(title))
    if gsm is None and ucs2 is None:
        return text_with("…" if not is_gsm7(text_with("")) else "...")
    if ucs2 is None or (gsm is not None and gsm >= ucs2):
        assert gsm is not None
        return shortened(gsm, "...")
    return shortened(ucs2, "…")


def _email(incident: Incident, context: RenderContext) -> Message:
    fields = _fields(incident, context)
    lines = [
        incident.title,
        "",
        f"Incident: {incident.id}",
        f"Service: {fields['service']}",
        f"Urgency: {fields['urgency']}",
        f"Triggered: {fields['triggered_at']}",
    ]
    if fields["step"]:
        lines.append(f"Escalation step: {fields['step']}")
    if incident.details:
        lines += ["", incident.details]
    if incident.link:
        lines += ["", f"Open the incident: {incident.link}"]

    safe = _escaped(fields)
    rows = "".join(
        f"<tr><th>{label}</th><td>{safe[name]}</td></tr>"
        for label, name in (
            ("Incident", "id"),
            ("Service", "service"),
            ("Urgency", "urgency"),
            ("Triggered", "triggered_at"),
        )
    )
    details = safe["details"].replace("\n", "<br>\n")
    body = [f"<h1>{html.escape(incident.title)}</h1>", f"<table>{rows}</table>"]
    if details:
        body.append(f"<p>{details}</p>")
    if incident.link:
        body.append(f'<p><a href="{safe["link"]}">Open the incident</a></p>')
    return Message(
        Channel.EMAIL,
        _one_line(f"[{_urgency(incident)}] {incident.title} ({incident.id})"),
        "\n".join(lines) + "\n",
        "<html><body>" + "\n".join(body) + "</body></html>\n",
    )


def _sms(incident: Incident, context: RenderContext) -> Message:
    def text_with(title: str) -> str:
        return f"{_urgency(incident)} #{incident.id} {title}\nReply ACK {incident.id}"

    return Message(Channel.SMS, None, _fit_sms(text_with, _one_line(incident.title)))


def _whatsapp_variable(text: str) -> str:
    # WhatsApp refuses template variables with newlines, tabs or more than
    # four spaces in a row, and empty ones.
    return _truncate(_one_line(text), _WHATSAPP_VARIABLE) or "-"


def _whatsapp(incident: Incident, context: RenderContext) -> Message:
    service = context.service_name(incident)
    lines = [
        f"*{_urgency(incident)}* {incident.title}",
        f"Incident {incident.id} on {service}",
    ]
    if incident.details:
        lines.append(incident.details)
    if incident.link:
        lines.append(incident.link)
    lines.append(f"Reply ACK {incident.id} to acknowledge.")
    return Message(
        Channel.WHATSAPP,
        None,
        "\n".join(lines),
        template_variables={
            "1": _whatsapp_variable(incident.title),
            "2": _whatsapp_variable(service),
            "3": _whatsapp_variable(incident.id),
        },
    )


def _slack_link(url: str, label: str) -> str:
    return f"<{_slack_escape(url).replace('|', '%7C')}|{_slack_escape(label)}>"


def _slack(incident: Incident, context: RenderContext) -> Message:
    lines = [
        f"*{_urgency(incident)}* {_slack_escape(_one_line(incident.title))}",
        f"Incident {_slack_escape(incident.id)} on "
        f"{_slack_escape(context.service_name(incident))}",
    ]
    if incident.details:
        lines.append(_slack_escape(incident.details))
    if incident.link:
        lines.append(_slack_link(incident.link, "Open the incident"))
    return Message(Channel.SLACK, None, "\n".join(lines))


def _push(incident: Incident, context: RenderContext) -> Message:
    body = f"{incident.id} on {context.service_name(incident)}"
    if incident.details:
        body += f": {_one_line(incident.details)}"
    return Message(
        Channel.PUSH,
        _truncate(_one_line(f"{_urgency(incident)} {incident.title}"), _PUSH_TITLE),
        _truncate(body, _PUSH_BODY),
    )


def _webhook(incident: Incident, context: RenderContext) -> Message:
    payload: dict[str, Any] = {
        "event": "incident.notification",
        "incident": {
            "id": incident.id,
            "title": incident.title,
            "service": incident.service,
            "service_name": context.service_name(incident),
            "urgency": incident.urgency.value,
            "details": incident.details,
            "link": incident.link,
            "triggered_at": incident.triggered_at.isoformat(),
        },
        "user": None if context.user is None else context.user.id,
        "step": context.step,
        "pass": context.pass_,
    }
    return Message(
        Channel.WEBHOOK,
        None,
        f"[{_urgency(incident)}] {incident.id}: {_one_line(incident.title)}",
        payload=payload,
    )


_DEFAULTS: dict[Channel, Callable[[Incident, RenderContext], Message]] = {
    Channel.EMAIL: _email,
    Channel.SMS: _sms,
    Channel.WHATSAPP: _whatsapp,
    Channel.SLACK: _slack,
    Channel.PUSH: _push,
    Channel.WEBHOOK: _webhook,
}


def default_digest(incidents: Sequence[Incident], context: RenderContext) -> Message:
    """Render the held incidents of one user as one message on the context's channel."""
    channel = context.channel
    count = len(incidents)
    noun = "incident" if count == 1 else "incidents"
    headline = f"{count} low-urgency {noun} during your quiet hours"
    lines = [f"- {i.id}: {_one_line(i.title)}" for i in incidents]

    if channel is Channel.SMS:
        ids = [i.id for i in incidents]

        def text_with(shown: int) -> str:
            more = f" +{count - shown} more" if shown < count else ""
            return f"{headline}: {', '.join(ids[:shown])}{more}"

        shown = _longest(lambda k: sms_segments(text_with(k)) == 1, count) or 0
        return Message(channel, None, text_with(shown))
    if channel is Channel.EMAIL:
        items = "".join(
            f"<li>{html.escape(i.id)}: {html.escape(i.title)}</li>" for i in incidents
        )
        return Message(
            channel,
            headline,
            headline + ":\n" + "\n".join(lines) + "\n",
            f"<html><body><p>{html.escape(headline)}:</p><ul>{items}</ul>"
            "</body></html>\n",
        )
    if channel is Channel.SLACK:
        return Message(
            channel, None, _slack_escape(headline + ":\n" + "\n".join(lines))
        )
    if channel is Channel.WHATSAPP:
        return Message(
            channel,
            None,
            headline + ":\n" + "\n".join(lines),
            template_variables={
                "1": _whatsapp_variable(str(count)),
                "2": _whatsapp_variable(", ".join(i.id for i in incidents)),
            },
        )
    if channel is Channel.PUSH:
        return Message(
            channel,
            _truncate(headline, _PUSH_TITLE),
            _truncate(", ".join(i.id for i in incidents), _PUSH_BODY),
        )
    payload = {
        "event": "incident.digest",
        "user": None if context.user is None else context.user.id,
        "incidents": [
            {"id": i.id, "title": i.title, "urgency": i.urgency.value}
            for i in incidents
        ],
    }
    return Message(channel, None, headline, payload=payload)


def _templates(
    value: Mapping[Channel, Template] | Mapping[str, Template] | None,
) -> dict[Channel, Template]:
    result: dict[Channel, Template] = {}
    for key, template in (value or {}).items():
        channel = _channel(key)
        if not isinstance(template, FormatTemplate) and not callable(template):
            msg = (
                f"the template for {channel.value} must be a FormatTemplate or a "
                f"callable (Incident, RenderContext) -> Message, got {template!r}"
            )
            raise InvalidTemplate(msg)
        result[channel] = template
    return result


def _digest_template(value: DigestTemplate | None) -> DigestTemplate | None:
    if value is not None and not callable(value):
        msg = (
            "the digest template must be a callable "
            f"(Sequence[Incident], RenderContext) -> Message, got {value!r}"
        )
        raise InvalidTemplate(msg)
    return value


@attrs.frozen
class Templates:
    """The template of each channel: the defaults, and those a host replaced.

    Build one with the replacements, ``Templates({Channel.SMS:
    FormatTemplate("{id}: {title} ({ack})")})``, or derive one with
    :meth:`with_template`. Default templates:

    - email: a subject, plain text, and HTML with every field escaped;
    - sms: one segment where possible, the title shortened with an
      ellipsis, the id and an ``ACK <id>`` hint kept;
    - whatsapp: template variables ``{"1": title, "2": service, "3": id}``
      and a free-form text;
    - slack: text with ``&``, ``<`` and ``>`` escaped;
    - push: a short title and body;
    - webhook: a JSON-able payload.

    Raises:
        InvalidTemplate: a replacement is neither a FormatTemplate nor a
            callable; InvalidValue: a channel name is unknown.
    """

    custom: Mapping[Channel, Template] = attrs.field(
        factory=dict, converter=_templates, hash=False
    )
    digest: DigestTemplate | None = attrs.field(
        default=None, converter=_digest_template, hash=False
    )

    def with_template(self, channel: Channel | str, template: Template) -> Templates:
        """Return these templates with *channel*'s replaced by *template*."""
        custom = dict(self.custom)
        custom[_channel(channel)] = template
        return attrs.evolve(self, custom=custom)

    def template(self, channel: Channel | str) -> Template:
        """Return the template that renders *channel*: the host's, else the default."""
        channel = _channel(channel)
        return self.custom.get(channel, _DEFAULTS[channel])

    def render(
        self,
        incident: Incident,
        channel: Channel | str,
        *,
        user: User | None = None,
        service: Service | None = None,
        step: int | None = None,
        pass_: int | None = None,
    ) -> Message:
        """Return *incident* as a message on *channel*.

        Raises:
            InvalidTemplate: the channel's template returned something that
                is not a :class:`Message` for that channel.
        """
        channel = _channel(channel)
        context = RenderContext(channel, user, service, step, pass_)
        return _checked(self.template(channel)(incident, context), channel)

    def render_digest(
        self,
        incidents: Sequence[Incident],
        channel: Channel | str,
        *,
        user: User | None = None,
    ) -> Message:
        """Return the incidents held for *user* as one digest message on *channel*.

        Raises:
            InvalidTemplate: *incidents* is empty, or the digest template
                returned something that is not a :class:`Message` for *channel*.
        """
        channel = _channel(channel)
        if not incidents:
            msg = "a digest needs at least one incident, got none"
            raise InvalidTemplate(msg)
        render = self.digest or default_digest
        return _checked(render(tuple(incidents), RenderContext(channel, user)), channel)


def _checked(message: object, channel: Channel) -> Message:
    if not isinstance(message, Message) or message.channel is not channel:
        msg = (
            f"the template for {channel.value} must return a Message for "
            f"{channel.value}, got {message!r}"
        )
        raise InvalidTemplate(msg)
    return message
