"""Rendering: each channel's message, its escaping, and templates a host replaces."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from oncall_core._directory import Channel, Service, Urgency, User
from oncall_core._incidents import Incident, InvalidIncident
from oncall_core._rendering import (
    FormatTemplate,
    InvalidTemplate,
    Message,
    RenderContext,
    Templates,
    is_gsm7,
    sms_length,
    sms_segments,
)

T0 = datetime(2024, 3, 5, 12, tzinfo=UTC)
LONG_TITLE = (
    "Checkout latency above 2 s for 10 minutes on every node of the payments "
    "cluster in eu-west-1, while the card authorisation queue keeps growing"
)


def incident(title: str = "Database down", **fields: object) -> Incident:
    fields.setdefault("service", "db")
    return Incident("inc-42", title, T0, **fields)  # type: ignore[arg-type]


def render(channel: Channel, title: str = "Database down", **fields: object) -> Message:
    return Templates().render(incident(title, **fields), channel)


class TestIncident:
    """An incident is validated when it is built."""

    def test_the_trigger_time_is_kept_in_utc(self) -> None:
        """An aware time in another zone comes back in UTC."""
        berlin = datetime.fromisoformat("2024-03-05T13:00:00+01:00")

        assert Incident("inc-1", "Down", berlin).triggered_at == T0

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"id": " "}, "incident id must be a non-empty string, got ' '"),
            ({"title": ""}, "title must be a non-empty string, got ''"),
            ({"link": "javascript:alert(1)"}, "link must be an http:// or https://"),
            ({"urgency": "urgent"}, "unknown urgency 'urgent': use one of high, low"),
        ],
    )
    def test_a_malformed_incident_is_refused_by_its_value(
        self, fields: dict[str, object], message: str
    ) -> None:
        """Each bad field raises InvalidIncident naming the value."""
        values: dict[str, object] = {"id": "inc-1", "title": "Down", "triggered_at": T0}
        values.update(fields)

        with pytest.raises(InvalidIncident, match=message):
            Incident(**values)  # type: ignore[arg-type]

    def test_an_urgency_may_be_given_by_name(self) -> None:
        """ "low" is Urgency.LOW."""
        low = Incident("inc-1", "Down", T0, urgency="low")  # type: ignore[arg-type]

        assert low.urgency is Urgency.LOW


class TestEmail:
    """Email: a subject, plain text and HTML with every field escaped."""

    def test_a_script_in_the_title_is_escaped_in_the_html(self) -> None:
        """<script> in a title reaches the HTML as text, never as a tag."""
        message = render(Channel.EMAIL, "<script>alert('x')</script> down")

        assert message.html is not None
        assert "<script>" not in message.html
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; down" in message.html

    def test_details_and_link_are_escaped_too(self) -> None:
        """Details and the link's query string are escaped in the HTML."""
        message = render(
            Channel.EMAIL,
            details="<b>bold</b> & co",
            link='https://status.example.com/i?a=1&b="2"',
        )

        assert message.html is not None
        assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in message.html
        assert 'href="https://status.example.com/i?a=1&amp;b=&quot;2&quot;"' in (
            message.html
        )

    def test_the_subject_is_one_line(self) -> None:
        """A title with newlines cannot break the subject header."""
        message = render(Channel.EMAIL, "Disk full\r\nBcc: everyone@example.com")

        assert message.subject == (
            "[HIGH] Disk full Bcc: everyone@example.com (inc-42)"
        )

    def test_the_plain_text_keeps_the_title_as_written(self) -> None:
        """Plain text is not HTML: no entities in it."""
        assert render(Channel.EMAIL, "a < b & c").text.startswith("a < b & c\n")


class TestSmsLength:
    """The length and segments of an SMS, as a phone network counts them."""

    def test_gsm_text_counts_one_septet_a_character(self) -> None:
        """160 plain characters are one segment, 161 are two."""
        assert (sms_length("a" * 160), sms_segments("a" * 160)) == (160, 1)
        assert sms_segments("a" * 161) == 2

    def test_extension_characters_count_two_septets(self) -> None:
        """€, [ and { need an escape: 80 euro signs fill a segment."""
        assert is_gsm7("€[{")
        assert sms_length("€[{") == 6
        assert sms_segments("€" * 80) == 1
        assert sms_segments("€" * 81) == 2

    def test_one_non_gsm_character_makes_the_whole_text_ucs2(self) -> None:
        """With an em dash, 70 characters fit and 71 do not."""
        assert not is_gsm7("—")
        assert sms_segments("—" + "a" * 69) == 1
        assert sms_segments("—" + "a" * 70) == 2

    def test_an_emoji_counts_two_ucs2_units(self) -> None:
        """🔥 is a surrogate pair in UTF-16."""
        assert sms_length("🔥") == 2

    def test_long_texts_are_split_into_parts_of_153_or_67(self) -> None:
        """Concatenated parts lose room to the header that joins them."""
        assert sms_segments("a" * 306) == 2
        assert sms_segments("a" * 307) == 3
        assert sms_segments("ł" * 134) == 2
        assert sms_segments("ł" * 135) == 3


class TestSms:
    """SMS: one segment where possible, with the id and an ACK hint."""

    def test_a_short_incident_is_sent_whole(self) -> None:
        """Urgency, id, title and the ACK hint, unchanged."""
        assert (
            render(Channel.SMS).text == "HIGH #inc-42 Database down\nReply ACK inc-42"
        )

    def test_a_long_title_is_shortened_to_fit_one_segment(self) -> None:
        """The title ends in "..." and the id and ACK hint survive."""
        text = render(Channel.SMS, LONG_TITLE).text

        assert sms_segments(text) == 1
        assert is_gsm7(text)
        assert sms_length(text) > 150  # the title is cut no more than needed
        assert text.startswith("HIGH #inc-42 Checkout latency above 2 s")
        assert text.endswith("...\nReply ACK inc-42")

    def test_a_non_gsm_character_fits_the_text_into_70_units(self) -> None:
        """An em dash in the title makes the limit 70, and "…" ends the title."""
        text = render(Channel.SMS, "Payments — " + LONG_TITLE).text

        assert not is_gsm7(text)
        assert sms_length(text) <= 70
        assert sms_segments(text) == 1
        assert text.endswith("…\nReply ACK inc-42")

    def test_cutting_the_title_before_its_non_gsm_character_keeps_more(self) -> None:
        """A late emoji is dropped with the tail, and 160 GSM septets remain."""
        text = render(Channel.SMS, LONG_TITLE + " 🔥").text

        assert is_gsm7(text)
        assert sms_segments(text) == 1
        assert len(text) > 70

    def test_an_id_too_long_for_a_segment_still_sends_the_id_whole(self) -> None:
        """Over several segments, the title reduced to an ellipsis."""
        long_id = "inc-" + "9" * 200
        message = Templates().render(Incident(long_id, "Down", T0), Channel.SMS)

        assert message.text == f"HIGH #{long_id} ...\nReply ACK {long_id}"


class TestSlack:
    """Slack: &, < and > escaped, the link in Slack's own syntax."""

    def test_markup_characters_in_the_title_are_escaped(self) -> None:
        """<!channel> in a title cannot ping a whole channel."""
        text = render(Channel.SLACK, "<!channel> R&D latency > 2s").text

        assert "&lt;!channel&gt; R&amp;D latency &gt; 2s" in text
        assert "<!channel>" not in text

    def test_the_link_is_a_slack_link(self) -> None:
        """The link reads <url|label>, with & in the URL escaped."""
        text = render(Channel.SLACK, link="https://x.example.com/i?a=1&b=2").text

        assert text.endswith("<https://x.example.com/i?a=1&amp;b=2|Open the incident>")


class TestWhatsApp:
    """WhatsApp: template variables for an approved template, and free text."""

    def test_the_variables_are_title_service_and_id(self) -> None:
        """{"1": title, "2": service, "3": incident id}."""
        message = Templates().render(
            incident(), Channel.WHATSAPP, service=Service("db", name="Orders DB")
        )

        assert message.template_variables == {
            "1": "Database down",
            "2": "Orders DB",
            "3": "inc-42",
        }
        assert "Reply ACK inc-42" in message.text

    def test_variables_hold_no_newline_and_are_never_empty(self) -> None:
        """WhatsApp refuses multi-line or empty variables."""
        message = Templates().render(
            Incident("inc-1", "Disk\nfull\t on  db-1", T0), Channel.WHATSAPP
        )

        assert message.template_variables == {
            "1": "Disk full on db-1",
            "2": "no service",
            "3": "inc-1",
        }


class TestPushAndWebhook:
    """Push: a short title and body. Webhook: a JSON-able payload."""

    def test_a_push_title_is_short(self) -> None:
        """A long title is cut to at most 65 characters, ending in an ellipsis."""
        message = render(Channel.PUSH, LONG_TITLE)

        assert message.subject is not None
        assert 60 < len(message.subject) <= 65
        assert message.subject.endswith("…")

    def test_the_webhook_payload_is_json(self) -> None:
        """The payload survives json.dumps and names the incident and user."""
        message = Templates().render(
            incident(urgency=Urgency.LOW), Channel.WEBHOOK, user=User("ana"), step=1
        )

        assert message.payload is not None
        decoded = json.loads(json.dumps(message.payload))
        assert decoded["incident"]["id"] == "inc-42"
        assert decoded["incident"]["urgency"] == "low"
        assert (decoded["user"], decoded["step"]) == ("ana", 1)


class TestReplacingTemplates:
    """A host replaces any channel's template, by format strings or a callable."""

    def test_a_host_format_template_replaces_the_sms_default(self) -> None:
        """The host's words, with the incident's fields."""
        templates = Templates({Channel.SMS: FormatTemplate("{id} {title} ({ack})")})

        message = templates.render(incident(), Channel.SMS)

        assert message.text == "inc-42 Database down (ACK inc-42)"

    def test_other_channels_keep_their_defaults(self) -> None:
        """Replacing SMS leaves email as it was."""
        templates = Templates({"sms": FormatTemplate("{id}")})  # type: ignore[dict-item]

        assert templates.render(incident(), Channel.EMAIL) == render(Channel.EMAIL)

    def test_a_host_sms_template_is_still_fitted_to_one_segment(self) -> None:
        """The title of a host's SMS is shortened as the default's is."""
        templates = Templates({Channel.SMS: FormatTemplate("{title} {ack}")})

        text = templates.render(incident(LONG_TITLE * 2), Channel.SMS).text

        assert sms_segments(text) == 1
        assert text.endswith("... ACK inc-42")

    def test_format_values_are_escaped_for_html_and_slack(self) -> None:
        """{title} is HTML-escaped in html, Slack-escaped in a Slack text."""
        title = "<img src=x onerror=alert(1)>"
        template = FormatTemplate("{title}", subject="{title}", html="<p>{title}</p>")
        templates = Templates({Channel.EMAIL: template, Channel.SLACK: template})

        email = templates.render(incident(title), Channel.EMAIL)
        slack = templates.render(incident(title), Channel.SLACK)

        assert email.html == "<p>&lt;img src=x onerror=alert(1)&gt;</p>"
        assert email.text == title
        assert slack.text == "&lt;img src=x onerror=alert(1)&gt;"

    def test_a_callable_template_gets_the_context(self) -> None:
        """The callable sees the user and step the message is for."""

        def push(found: Incident, context: RenderContext) -> Message:
            name = context.user.name if context.user else "?"
            return Message(Channel.PUSH, found.title, f"{name}, step {context.step}")

        templates = Templates().with_template(Channel.PUSH, push)

        message = templates.render(
            incident(), Channel.PUSH, user=User("ana", name="Ana"), step=2
        )

        assert (message.subject, message.text) == ("Database down", "Ana, step 2")

    def test_with_template_leaves_the_original_unchanged(self) -> None:
        """Templates are values: deriving one does not alter the first."""
        original = Templates()

        original.with_template(Channel.SMS, FormatTemplate("{id}"))

        assert original.render(incident(), Channel.SMS) == render(Channel.SMS)

    def test_an_unknown_field_is_refused_when_the_template_is_built(self) -> None:
        """{incident.__class__} and other names are not fields."""
        with pytest.raises(InvalidTemplate, match=r"uses \{incident.__class__\}"):
            FormatTemplate("{incident.__class__}")

    def test_a_malformed_format_string_is_refused(self) -> None:
        """An unclosed brace is named in the error."""
        with pytest.raises(InvalidTemplate, match=r"'\{title'"):
            FormatTemplate("{title")

    def test_a_format_spec_for_numbers_is_refused_when_built(self) -> None:
        """Fields are strings, so {step:d} could never render."""
        with pytest.raises(InvalidTemplate, match="cannot format text"):
            FormatTemplate("step {step:d}")

    def test_a_template_that_is_not_callable_is_refused(self) -> None:
        """A bare string is not a template."""
        with pytest.raises(InvalidTemplate, match="the template for sms must be"):
            Templates({Channel.SMS: "{title}"})  # type: ignore[dict-item]

    def test_a_template_returning_another_channels_message_is_refused(self) -> None:
        """A push template must return a push message."""
        templates = Templates(
            {Channel.PUSH: lambda found, _: Message(Channel.SMS, None, found.title)}
        )

        with pytest.raises(InvalidTemplate, match="must return a Message for push"):
            templates.render(incident(), Channel.PUSH)


class TestDigestRendering:
    """A digest lists a user's held incidents in one message."""

    def incidents(self) -> list[Incident]:
        return [
            Incident("inc-1", "Disk <almost> full", T0, urgency=Urgency.LOW),
            Incident("inc-2", "Backup late", T0, urgency=Urgency.LOW),
        ]

    def test_an_email_digest_lists_every_incident_escaped(self) -> None:
        """Both incidents, the HTML escaped."""
        message = Templates().render_digest(self.incidents(), Channel.EMAIL)

        assert message.subject == "2 low-urgency incidents during your quiet hours"
        assert "- inc-1: Disk <almost> full\n- inc-2: Backup late" in message.text
        assert message.html is not None
        assert "Disk &lt;almost&gt; full" in message.html

    def test_an_sms_digest_fits_one_segment(self) -> None:
        """Ids that do not fit are counted as "+N more"."""
        many = [Incident(f"inc-{i:04}", "x", T0) for i in range(40)]

        text = Templates().render_digest(many, Channel.SMS).text

        assert sms_segments(text) == 1
        assert text.endswith("more")

    def test_an_empty_digest_is_refused(self) -> None:
        """A digest without incidents is a bug in the caller."""
        with pytest.raises(InvalidTemplate, match="at least one incident"):
            Templates().render_digest([], Channel.EMAIL)
