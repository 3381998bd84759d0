"""Configurations written out and read back are the same configurations."""

from __future__ import annotations

from datetime import timedelta

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from oncall_adapters.config import (
    Config,
    Settings,
    SlackSettings,
    SmtpSettings,
    TwilioSettings,
    WebhookSettings,
    WhatsAppSettings,
    dump_config,
    parse_config,
)
from oncall_adapters.config._values import format_duration, parse_duration
from oncall_core import Service, Team, Urgency
from oncall_core import strategies as ost

USER_IDS = ("ana", "ben", "chi", "dev", "eli")  # every id the core's strategies draw
URL = "https://hooks.example.com/oncall"

whatsapp_settings = st.builds(
    WhatsAppSettings,
    st.just("+12015550001"),
    content_sid=st.none() | st.just("HX" + "ab" * 16),
    variables=st.dictionaries(
        st.sampled_from(("1", "2", "3")), st.sampled_from(("1", "2", "3"))
    ),
)
twilio_settings = st.builds(
    TwilioSettings,
    st.just("AC" + "0f" * 16),
    from_number=st.sampled_from(("+12015550000", "Oncall", "12345")),
    messaging_service_sid=st.none() | st.just("MG" + "12" * 16),
    whatsapp=st.none() | whatsapp_settings,
    base_url=st.none() | st.just("http://127.0.0.1:8080"),
)
smtp_settings = st.builds(
    SmtpSettings,
    st.sampled_from(("smtp.example.com", "127.0.0.1")),
    st.sampled_from(("oncall@example.com", "On-call <oncall@example.com>")),
    port=st.none() | st.integers(1, 65535),
    username=st.none() | st.just("oncall"),
    security=st.sampled_from(("starttls", "tls", "none")),
)
slack_settings = st.builds(
    SlackSettings,
    webhook_url=st.none() | st.just(URL),
    service_webhooks=st.dictionaries(st.just("svc"), st.just(URL + "/svc")),
)
delivery_settings = st.builds(
    Settings,
    time_zone=ost.time_zones(),
    public_base_url=st.none() | st.just("https://oncall.example.com"),
    twilio=st.none() | twilio_settings,
    smtp=st.none() | smtp_settings,
    slack=st.none() | slack_settings,
    webhook=st.none() | st.builds(WebhookSettings, st.just(URL), signed=st.booleans()),
)


@st.composite
def configs(draw: st.DrawFn) -> Config:
    """Draw a configuration whose every cross reference holds.

    The core's strategies draw participants and targets among USER_IDS,
    the team "team" and the schedule "schedule"; the policy is "drawn".
    """
    users = [draw(ost.users(ids=st.just(user_id))) for user_id in USER_IDS]
    members = draw(st.lists(st.sampled_from(USER_IDS), unique=True, max_size=5))
    lead = draw(st.sampled_from(members)) if members and draw(st.booleans()) else None
    team = Team(
        "team", members=members, lead=lead, name=draw(st.sampled_from(("", "Ops")))
    )
    schedule = attrs.evolve(draw(ost.schedules()), name="schedule")
    policy = draw(ost.escalation_policies())
    service = Service(
        "svc",
        name=draw(st.sampled_from(("", "Checkout"))),
        channels=draw(st.lists(ost.channels(), unique=True, max_size=3)),
        policy=draw(st.none() | st.just(policy.name)),
        urgency=draw(st.sampled_from(Urgency)),
    )
    return Config.from_values(
        users=users,
        teams=[team],
        schedules=[schedule],
        policies=[policy],
        services=[service],
        settings=draw(delivery_settings),
    )


@settings(max_examples=40)
@given(configs())
def test_a_dumped_configuration_parses_back_to_itself(config: Config) -> None:
    """parse_config(dump_config(c)) == c, and dumping again writes the same text."""
    text = dump_config(config)

    read = parse_config(text)

    assert read == config
    assert dump_config(read) == text


@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3650)))
def test_a_formatted_duration_parses_back_to_itself(length: timedelta) -> None:
    """format_duration writes what parse_duration reads, to the microsecond."""
    assert parse_duration(format_duration(length)) == length
