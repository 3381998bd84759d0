"""oncall doctor: each finding, shown on a small configuration."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest

from oncall_adapters.config import Config, Secrets, load_config, parse_config
from oncall_adapters.doctor import Finding, diagnose
from oncall_core import (
    Channel,
    EscalationPolicy,
    EscalationStep,
    NaiveDatetime,
    Service,
    Team,
    TeamTarget,
    User,
    UserTarget,
)

EXAMPLE = Path(__file__).parents[2] / "examples" / "oncall.toml"
NOW = datetime(2024, 3, 4, 12, tzinfo=UTC)  # Monday 13:00 in Berlin

SETTINGS = """
[settings]
time_zone = "Europe/Berlin"
public_base_url = "https://oncall.example.com"
[settings.twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
from = "+12015550000"
[settings.twilio.whatsapp]
from = "+12015550001"
content_sid = "HX0123456789abcdef0123456789abcdef"
[settings.smtp]
host = "smtp.example.com"
from = "oncall@example.com"
"""

USERS = """
[users.ana]
phone = "+12015550101"
email = "ana@example.com"
channels = ["sms", "email"]
[users.ben]
phone = "+12015550102"
email = "ben@example.com"
channels = ["sms", "email"]
"""

TEAM = """
[teams.ops]
members = ["ana", "ben"]
lead = "ana"
"""

SCHEDULE = """
[schedules.primary]
[[schedules.primary.layers]]
name = "daily"
participants = ["ana", "ben"]
start = 2024-03-01T09:00:00
turn = "1d"
"""

POLICY = """
[policies.standard]
[[policies.standard.steps]]
targets = [{ schedule = "primary" }]
[[policies.standard.steps]]
targets = [{ team = "ops", lead_only = true }]
delay = "10m"
channels = ["sms"]
"""

SERVICE = """
[services.checkout]
policy = "standard"
channels = ["sms", "email"]
"""

PARTS = {
    "settings": SETTINGS,
    "users": USERS,
    "team": TEAM,
    "schedule": SCHEDULE,
    "policy": POLICY,
    "service": SERVICE,
}


def setup(**changes: str) -> Config:
    """Parse the base set-up, with some parts replaced (or removed with "")."""
    parts = {**PARTS, **changes}
    return parse_config("\n".join(textwrap.dedent(part) for part in parts.values()))


def findings(config: Config, *, days: int = 2, now: datetime = NOW) -> list[str]:
    """Return the findings of *config* as the lines oncall doctor prints."""
    return [str(finding) for finding in diagnose(config, now, days=days)]


class TestAHealthySetup:
    """The base set-up and the shipped example have nothing to report."""

    def test_the_base_setup_is_clean(self) -> None:
        """Covered around the clock, everyone reachable, everything used."""
        assert findings(setup()) == []

    def test_the_shipped_example_has_no_error(self) -> None:
        """examples/oncall.toml is clean for the two weeks of its override."""
        example = load_config(EXAMPLE)

        found = diagnose(example, datetime(2027, 1, 1, tzinfo=UTC), days=14)

        assert found == []

    def test_a_finding_reads_severity_where_and_what(self) -> None:
        """str(finding) is one line."""
        finding = Finding("error", "users.ana", "cannot be reached")

        assert str(finding) == "error: users.ana: cannot be reached"

    def test_now_must_be_aware_and_days_positive(self) -> None:
        """A naive now is refused, as everywhere in the library."""
        with pytest.raises(NaiveDatetime):
            diagnose(setup(), datetime(2024, 3, 4, 12))
        with pytest.raises(ValueError, match="days must be at least 1"):
            diagnose(setup(), NOW, days=0)


class TestCoverage:
    """Gaps in the next days, with their start and end in the schedule's zone."""

    def test_each_gap_is_an_error_in_the_schedules_zone(self) -> None:
        """A 09:00-17:00 layer leaves the nights uncovered."""
        config = setup(
            schedule=SCHEDULE + 'restrictions = [{ start = "09:00", end = "17:00" }]\n'
        )

        assert findings(config) == [
            "error: schedules.primary: nobody is on call from Mon 04 Mar 2024 "
            "17:00 CET to Tue 05 Mar 2024 09:00 CET (16 h)",
            "error: schedules.primary: nobody is on call from Tue 05 Mar 2024 "
            "17:00 CET to Wed 06 Mar 2024 09:00 CET (16 h)",
        ]

    def test_many_gaps_are_summed_up_after_the_first_five(self) -> None:
        """Fourteen nightly gaps: five listed, nine counted."""
        config = setup(
            schedule=SCHEDULE + 'restrictions = [{ start = "09:00", end = "17:00" }]\n'
        )

        found = findings(config, days=14)

        assert len(found) == 6
        assert found[-1] == (
            "error: schedules.primary: and 9 more gaps in the next 14 days (6 d in all)"
        )

    def test_a_disabled_user_on_call_is_a_gap(self) -> None:
        """Ben's turns reach nobody; the finding says why."""
        config = setup(users=USERS + "active = false\n")

        found = findings(config, days=1)

        assert found[0] == (
            "error: schedules.primary: nobody is on call from Mon 04 Mar 2024 "
            "13:00 CET to Tue 05 Mar 2024 09:00 CET (20 h) (only disabled or "
            "unknown users: ben)"
        )

    def test_a_schedule_no_policy_pages_only_warns(self) -> None:
        """An unused schedule is a warning, and so are its gaps."""
        spare = SCHEDULE.replace("primary", "spare") + (
            'restrictions = [{ start = "09:00", end = "17:00" }]\n'
        )
        config = setup(schedule=SCHEDULE + spare)

        assert findings(config, days=1) == [
            "warning: schedules.spare: no escalation policy pages this schedule",
            "warning: schedules.spare: nobody is on call from Mon 04 Mar 2024 "
            "17:00 CET to Tue 05 Mar 2024 09:00 CET (16 h)",
        ]


class TestReachability:
    """Users unreachable on the channels their steps and services ask for."""

    def test_a_step_by_sms_to_a_lead_without_a_phone_is_an_error(self) -> None:
        """The lead has an email address only; the step asks for SMS."""
        config = setup(users=USERS.replace('phone = "+12015550101"\n', ""))

        assert (
            "error: users.ana: cannot be reached on any channel asked for: no "
            "phone number for sms (paged by policies.standard.steps[1] for checkout)"
        ) in findings(config)

    def test_a_user_missing_one_channel_of_the_service_gets_a_warning(self) -> None:
        """Ben has no email: checkout reaches him by SMS only."""
        config = setup(users=USERS.replace('email = "ben@example.com"\n', ""))

        assert findings(config) == [
            "warning: users.ben: is reached on sms only: no email address for "
            "email (paged by policies.standard.steps[0] for checkout)",
            "warning: users.ben: enabled email but has no email address",
        ]

    def test_a_channel_without_its_sender_is_an_error(self) -> None:
        """Email is planned, but no SMTP server is configured."""
        config = setup(settings=SETTINGS.split("[settings.smtp]")[0])

        assert findings(config) == [
            "error: settings.smtp: email is planned for ana, ben but "
            "[settings.smtp] is not configured",
        ]

    def test_a_host_may_say_which_channels_it_can_send(self) -> None:
        """With senders=, the settings do not decide what is deliverable."""
        config = setup(settings=SETTINGS.split("[settings.smtp]")[0])

        assert diagnose(config, NOW, senders=set(Channel)) == []
        assert [str(f) for f in diagnose(config, NOW, senders={Channel.EMAIL})] == [
            "error: users.ana: can be reached only on sms, which nothing sends "
            "(paged by policies.standard.steps[1] for checkout)",
            "error: settings.twilio: sms is planned for ana, ben but the host has "
            "no sender for sms",
        ]

    def test_a_user_reachable_only_on_an_unsent_channel_is_an_error(self) -> None:
        """Only email would reach ana, and nothing sends email."""
        config = setup(
            settings=SETTINGS.split("[settings.smtp]")[0],
            users=USERS.replace('phone = "+12015550101"\n', ""),
        )

        found = findings(config)

        assert (
            "error: users.ana: can be reached only on email, which nothing sends "
            "(paged by policies.standard.steps[0] for checkout)"
        ) in found

    def test_a_whatsapp_service_without_whatsapp_is_an_error(self) -> None:
        """A service asks for WhatsApp, and WhatsApp is not enabled."""
        config = setup(
            settings=SETTINGS.replace("[settings.twilio.whatsapp]", "[other]")
            .replace('from = "+12015550001"\n', "")
            .replace('content_sid = "HX0123456789abcdef0123456789abcdef"\n', "")
            .replace("[other]", ""),
            service=SERVICE.replace('["sms", "email"]', '["whatsapp"]'),
        )

        found = findings(config)

        assert (
            "error: services.checkout: asks for whatsapp but WhatsApp is not "
            "enabled ([settings.twilio.whatsapp] is missing)"
        ) in found
        assert (
            "error: settings.twilio.whatsapp: whatsapp is planned for ana, ben but "
            "WhatsApp is not enabled ([settings.twilio.whatsapp] is missing)"
        ) in found


class TestWhatsAppTemplates:
    """WhatsApp enabled for a user, a service or a step without a template."""

    NO_TEMPLATE = SETTINGS.replace(
        'content_sid = "HX0123456789abcdef0123456789abcdef"\n', ""
    )

    def test_a_step_asking_for_whatsapp_without_a_template_is_an_error(self) -> None:
        """Outside the 24-hour window such messages fail."""
        config = setup(
            settings=self.NO_TEMPLATE,
            policy=POLICY.replace('channels = ["sms"]', 'channels = ["whatsapp"]'),
        )

        assert findings(config) == [
            "error: policies.standard.steps[1]: asks for whatsapp but no WhatsApp "
            "template is configured (settings.twilio.whatsapp.content_sid): "
            "messages outside WhatsApp's 24-hour window fail and fall back to SMS",
        ]

    def test_a_user_who_enabled_whatsapp_without_a_template_gets_a_warning(
        self,
    ) -> None:
        """Their messages fall back to SMS; the doctor says so."""
        config = setup(
            settings=self.NO_TEMPLATE,
            users=USERS.replace(
                '["sms", "email"]\n[users.ben]', '["whatsapp"]\n[users.ben]'
            ),
            service=SERVICE.replace('channels = ["sms", "email"]', ""),
        )

        assert findings(config) == [
            "warning: users.ana: enabled whatsapp but no WhatsApp template is "
            "configured (settings.twilio.whatsapp.content_sid): messages outside "
            "WhatsApp's 24-hour window fail and fall back to SMS",
        ]

    def test_with_a_template_nothing_is_said(self) -> None:
        """The base settings have one."""
        config = setup(
            policy=POLICY.replace('channels = ["sms"]', 'channels = ["whatsapp"]')
        )

        assert findings(config) == []


class TestPolicies:
    """Policies that reach nobody, teams without a lead, unused policies."""

    def test_a_policy_whose_every_target_is_disabled_reaches_nobody(self) -> None:
        """Its only step pages ben, who is disabled."""
        config = setup(
            users=USERS + "active = false\n",
            policy="[policies.standard]\n[[policies.standard.steps]]\n"
            'targets = [{ user = "ben" }]\n',
        )

        found = findings(config, days=1)

        assert found[0] == (
            "error: policies.standard: can reach nobody: every target of every "
            "step is unknown, empty or disabled"
        )
        assert found[-1] == (
            "warning: policies.standard.steps[0]: reaches nobody and is skipped at "
            "once (user ben: user disabled)"
        )

    def test_a_lead_only_target_of_a_team_without_a_lead_is_an_error(self) -> None:
        """The team has members but no lead."""
        config = setup(team=TEAM.replace('lead = "ana"', ""))

        assert findings(config) == [
            "error: teams.ops: has no lead, but policies.standard.steps[1] pages "
            "its lead",
            "warning: policies.standard.steps[1]: reaches nobody and is skipped at "
            "once (lead of team ops: lead not set)",
        ]

    def test_an_empty_team_is_an_error_where_it_is_paged(self) -> None:
        """Paging a team with no members reaches nobody."""
        config = setup(
            team="[teams.ops]\n",
            policy=POLICY.replace(", lead_only = true", ""),
        )

        assert findings(config)[0] == (
            "error: teams.ops: has no members, but policies.standard.steps[1] pages it"
        )

    def test_a_policy_no_service_uses_is_a_warning(self) -> None:
        """The service names another policy."""
        config = setup(
            policy=POLICY + POLICY.replace("standard", "spare"),
        )

        assert findings(config) == [
            "warning: policies.spare: no service uses this policy",
        ]

    def test_unknown_names_in_a_configuration_from_a_database(self) -> None:
        """parse_config refuses them; a configuration built in code may have them."""
        config = Config.from_values(
            users=[User("ana", contact=attrs.evolve(setup().users["ana"].contact))],
            teams=[Team("ops", members=["ana", "zed"])],
            policies=[
                EscalationPolicy(
                    "p", [EscalationStep([UserTarget("ghost"), TeamTarget("nope")])]
                )
            ],
            services=[Service("a", policy="p"), Service("b"), Service("c", policy="x")],
            settings=setup().settings,
        )

        found = findings(config)

        assert found[:5] == [
            "error: teams.ops: member 'zed' is no user",
            "error: services.b: has no escalation policy: its incidents would page "
            "nobody",
            "error: services.c: names the policy 'x', which does not exist",
            "error: policies.p.steps[0]: targets the unknown user 'ghost'",
            "error: policies.p.steps[0]: targets the unknown team 'nope'",
        ]
        assert "error: policies.p: can reach nobody" in found[5]


class TestQuietHours:
    """Quiet hours that swallow every shift of someone, for low urgency."""

    NIGHT = SCHEDULE.replace('["ana", "ben"]', '["ana"]') + textwrap.dedent(
        """
        [[schedules.primary.layers]]
        name = "small-hours"
        participants = ["ben"]
        start = 2024-03-01T23:00:00
        turn = "1d"
        shift = "6h"
        """
    )
    QUIET = USERS + 'quiet_hours = { start = "22:00", end = "07:00" }\n'

    def test_a_rotation_inside_quiet_hours_warns_for_a_low_urgency_service(
        self,
    ) -> None:
        """Ben works 23:00-05:00, and is quiet 22:00-07:00."""
        config = setup(
            users=self.QUIET,
            schedule=self.NIGHT,
            service=SERVICE + 'urgency = "low"\n',
        )

        assert findings(config) == [
            "warning: users.ben: every shift in schedules.primary in the next 2 "
            "days falls inside their quiet hours (22:00-07:00 Europe/Berlin): "
            "low-urgency pages of checkout wait until it is over",
        ]

    def test_high_urgency_goes_through_quiet_hours(self) -> None:
        """The same rotation is fine when every service is high urgency."""
        config = setup(users=self.QUIET, schedule=self.NIGHT)

        assert findings(config) == []

    def test_one_shift_outside_quiet_hours_is_enough(self) -> None:
        """Quiet from 23:30, Ben's 23:00 shifts start outside quiet hours."""
        config = setup(
            users=self.QUIET.replace("22:00", "23:30"),
            schedule=self.NIGHT,
            service=SERVICE + 'urgency = "low"\n',
        )

        assert findings(config) == []


class TestSettings:
    """Secrets the environment lacks, callbacks without a public URL."""

    def test_missing_secrets_are_errors_when_secrets_are_given(self) -> None:
        """Twilio without its token cannot send."""
        config = setup()

        found = diagnose(config, NOW, secrets=Secrets(smtp_password="pw"))

        assert [str(finding) for finding in found] == [
            "error: settings.twilio: ONCALL_TWILIO_AUTH_TOKEN is not set in the "
            "environment",
        ]

    def test_twilio_without_a_public_url_warns(self) -> None:
        """Delivery statuses and replies need a URL Twilio can call."""
        config = setup(
            settings=SETTINGS.replace(
                'public_base_url = "https://oncall.example.com"\n', ""
            )
        )

        assert findings(config) == [
            "warning: settings: Twilio is configured but public_base_url is not: "
            "delivery statuses and SMS replies (ACK 123) cannot reach the app",
        ]

    def test_errors_come_before_warnings(self) -> None:
        """Whatever order the checks run in."""
        config = setup(
            settings=SETTINGS.replace(
                'public_base_url = "https://oncall.example.com"\n', ""
            ),
            team=TEAM.replace('lead = "ana"', ""),
        )

        severities = [finding.severity for finding in diagnose(config, NOW, days=1)]

        assert severities == sorted(severities)
        assert severities[0] == "error"

    def test_the_window_is_days_long(self) -> None:
        """A layer ending in two days is a gap for days=3, not for days=1."""
        config = setup(schedule=SCHEDULE + "end = 2024-03-06T09:00:00\n")

        assert findings(config, days=1) == []
        assert findings(config, days=3) == [
            "error: schedules.primary: nobody is on call from Wed 06 Mar 2024 "
            "09:00 CET to Thu 07 Mar 2024 13:00 CET (1 d 4 h)",
        ]
