"""The configuration file: reading, errors, secrets, writing back, and diffs."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs
import pytest

from oncall_adapters.config import (
    Changes,
    Config,
    ConfigError,
    InvalidSettings,
    KindChanges,
    Problem,
    Secrets,
    Settings,
    SmtpSettings,
    TwilioSettings,
    WhatsAppSettings,
    diff_configs,
    dump_config,
    load_config,
    parse_config,
)
from oncall_core import (
    DEFAULT_CHANNELS,
    Channel,
    Coverage,
    OncallError,
    OverrideKind,
    Restriction,
    RestrictionKind,
    ScheduleTarget,
    TeamTarget,
    Urgency,
    User,
    UserTarget,
)

EXAMPLE = Path(__file__).parents[2] / "examples" / "oncall.toml"
BERLIN = ZoneInfo("Europe/Berlin")

USERS = """
[users.ana]
phone = "+12015550101"
email = "ana@example.com"
[users.ben]
phone = "+12015550102"
"""

SCHEDULE = """
[schedules.primary]
time_zone = "Europe/Berlin"
[[schedules.primary.layers]]
name = "day"
participants = ["ana", "ben"]
start = 2024-03-04T09:00:00+01:00
turn = "1d"
"""


def config(*parts: str) -> Config:
    """Parse the TOML made of *parts*, each dedented."""
    return parse_config("\n".join(textwrap.dedent(part) for part in parts))


def problems(*parts: str, source: str = "oncall.toml") -> list[str]:
    """Return the lines of the error that parsing *parts* raises."""
    text = "\n".join(textwrap.dedent(part) for part in parts)
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source=source)
    lines = str(caught.value).splitlines()
    assert lines == [f"{source}: {problem}" for problem in caught.value.problems]
    return lines


class TestTheShippedExample:
    """examples/oncall.toml: what the demo and the end-to-end tests use."""

    def test_it_reads_into_the_core_values_it_describes(self) -> None:
        """Six users in Berlin, one team, three layers, one policy, two services."""
        example = load_config(EXAMPLE)

        assert list(example.users) == ["ana", "ben", "chi", "dev", "eli", "fay"]
        assert {user.time_zone for user in example.users.values()} == {"Europe/Berlin"}
        assert example.teams["payments"].lead == "ana"
        primary = example.schedules["primary"]
        assert [layer.name for layer in primary.layers] == ["day", "night", "weekend"]
        assert primary.coverage is Coverage.ALL_LAYERS
        assert primary.overrides[0].kind is OverrideKind.REPLACE
        checkout, reports = example.services["checkout"], example.services["reports"]
        assert (checkout.urgency, checkout.channels) == (
            Urgency.HIGH,
            (Channel.SMS, Channel.EMAIL),
        )
        assert (reports.urgency, reports.channels) == (Urgency.LOW, ())

    def test_the_policy_pages_the_schedule_then_the_lead_then_the_team(self) -> None:
        """Schedule now, the lead by SMS 10 min later, the team at 20 min, twice."""
        policy = load_config(EXAMPLE).policies["payments"]

        assert [step.targets for step in policy.steps] == [
            (ScheduleTarget("primary"),),
            (TeamTarget("payments", lead_only=True),),
            (TeamTarget("payments"),),
        ]
        assert [step.delay for step in policy.steps] == [
            timedelta(0),
            timedelta(minutes=10),
            timedelta(minutes=10),
        ]
        assert policy.steps[1].channels == (Channel.SMS,)
        assert policy.repeat == 1

    def test_day_and_night_overlap_an_hour_and_the_override_is_read_in_berlin(
        self,
    ) -> None:
        """Tuesday 5 January 2027: chi has ben's day; eli's night overlaps it."""
        primary = load_config(EXAMPLE).schedules["primary"]

        assert primary.users_on_call(datetime(2027, 1, 5, 8, 30, tzinfo=BERLIN)) == (
            "chi",
            "eli",
        )
        assert primary.users_on_call(datetime(2027, 1, 5, 12, tzinfo=BERLIN)) == (
            "chi",
        )
        assert primary.users_on_call(datetime(2027, 1, 5, 19, 30, tzinfo=BERLIN)) == (
            "chi",
            "eli",
        )
        assert primary.users_on_call(datetime(2027, 1, 7, 12, tzinfo=BERLIN)) == (
            "ben",
        )
        override = primary.overrides[0]
        assert override.start == datetime(2027, 1, 5, 7, tzinfo=UTC)

    def test_it_has_no_gap_for_a_year(self) -> None:
        """Days, nights and weekends cover every hour of 2027."""
        primary = load_config(EXAMPLE).schedules["primary"]

        timeline = primary.timeline(
            datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
        )

        assert not [segment for segment in timeline if segment.is_gap]

    def test_it_keeps_its_secrets_out_of_the_file(self) -> None:
        """No auth token, password or secret appears in it."""
        text = EXAMPLE.read_text(encoding="utf-8")

        for word in ("auth_token", "password", "secret ="):
            assert word not in text

    def test_it_survives_a_round_trip_through_dump_config(self) -> None:
        """Written back out and read again, it is the same configuration."""
        example = load_config(EXAMPLE)

        assert parse_config(dump_config(example)) == example


class TestValues:
    """How durations, times, weekdays, datetimes and channels are written."""

    @pytest.mark.parametrize(
        ("written", "length"),
        [
            ("7d", timedelta(days=7)),
            ("12h", timedelta(hours=12)),
            ("1h30m", timedelta(hours=1, minutes=30)),
            ("P7D", timedelta(days=7)),
            ("PT12H", timedelta(hours=12)),
            ("2w", timedelta(days=14)),
        ],
    )
    def test_a_turn_is_written_compactly_or_in_iso_8601(
        self, written: str, length: timedelta
    ) -> None:
        """Each form of the same duration gives the same turn."""
        read = config(USERS, SCHEDULE.replace('"1d"', f'"{written}"'))

        assert read.schedules["primary"].layers[0].turn == length

    def test_a_naive_start_is_read_on_the_schedules_clock(self) -> None:
        """2024-03-04T09:00 in a Berlin schedule is 08:00 UTC."""
        read = config(USERS, SCHEDULE.replace("+01:00", ""))

        assert read.schedules["primary"].layers[0].start == datetime(
            2024, 3, 4, 8, tzinfo=UTC
        )

    def test_a_naive_start_in_the_skipped_hour_moves_forward(self) -> None:
        """02:30 on 31 March 2024 does not exist in Berlin: it reads as 03:30."""
        read = config(
            USERS, SCHEDULE.replace("2024-03-04T09:00:00+01:00", "2024-03-31T02:30:00")
        )

        start = read.schedules["primary"].layers[0].start
        assert start == datetime(2024, 3, 31, 3, 30, tzinfo=BERLIN)
        assert start == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)

    def test_a_naive_start_in_the_repeated_hour_takes_the_first(self) -> None:
        """02:30 on 27 October 2024 happens twice in Berlin: the CEST one."""
        read = config(
            USERS, SCHEDULE.replace("2024-03-04T09:00:00+01:00", "2024-10-27T02:30:00")
        )

        assert read.schedules["primary"].layers[0].start == datetime(
            2024, 10, 27, 0, 30, tzinfo=UTC
        )

    def test_an_offset_wins_over_the_schedules_zone(self) -> None:
        """A start written with an offset is that instant, whatever the zone."""
        read = config(USERS, SCHEDULE.replace("+01:00", "-05:00"))

        assert read.schedules["primary"].layers[0].start == datetime(
            2024, 3, 4, 14, tzinfo=UTC
        )

    def test_restrictions_take_weekday_names_numbers_and_weekly_windows(self) -> None:
        """Daily windows on some weekdays, and a weekly window Fri to Mon."""
        read = config(
            USERS,
            SCHEDULE,
            """
            restrictions = [
                { start = "09:00", end = "17:00", weekdays = ["mon", "Tuesday", 4] },
                { start_day = "fri", start = 18:00:00, end_day = "mon", end = "09:00" },
            ]
            """,
        )

        daily, weekly = read.schedules["primary"].layers[0].restrictions
        assert daily == Restriction.daily(time(9), time(17), weekdays=[0, 1, 4])
        assert weekly.kind is RestrictionKind.WEEKLY
        assert weekly == Restriction.weekly(4, time(18), 0, time(9))

    def test_a_user_without_channels_keeps_the_default_ones(self) -> None:
        """No channels key means every channel but WhatsApp; [] means none."""
        read = config(USERS, "[users.eve]\nchannels = []")

        assert read.users["ana"].preferences.enabled == DEFAULT_CHANNELS
        assert read.users["eve"].preferences.enabled == frozenset()

    def test_users_and_schedules_default_to_the_settings_zone(self) -> None:
        """settings.time_zone is the zone of whoever names none."""
        read = config(
            '[settings]\ntime_zone = "America/New_York"',
            USERS,
            SCHEDULE.replace('time_zone = "Europe/Berlin"', ""),
        )

        assert read.users["ana"].time_zone == "America/New_York"
        assert read.schedules["primary"].time_zone == "America/New_York"

    def test_targets_name_users_teams_leads_and_schedules(self) -> None:
        """Each target is an inline table with one of user, team, schedule."""
        read = config(
            USERS,
            SCHEDULE,
            """
            [teams.ops]
            members = ["ana", "ben"]
            lead = "ben"
            [[policies.p.steps]]
            targets = [
                { user = "ana" }, { team = "ops" },
                { team = "ops", lead_only = true }, { schedule = "primary" },
            ]
            delay = "PT5M"
            channels = ["SMS"]
            """,
        )

        step = read.policies["p"].steps[0]
        assert step.targets == (
            UserTarget("ana"),
            TeamTarget("ops"),
            TeamTarget("ops", lead_only=True),
            ScheduleTarget("primary"),
        )
        assert (step.delay, step.channels) == (timedelta(minutes=5), (Channel.SMS,))

    def test_quiet_hours_are_read_in_the_users_zone(self) -> None:
        """Quiet hours from 22:00 to 07:00 hold at 23:00 in the user's zone."""
        read = config(
            """
            [users.ana]
            time_zone = "Asia/Kolkata"
            quiet_hours = { start = "22:00", end = "07:00", weekdays = ["sat"] }
            """
        )

        ana = read.users["ana"]
        quiet = ana.preferences.quiet_hours
        assert quiet is not None
        assert quiet.weekdays == (5,)
        assert quiet.holds(
            datetime(2024, 3, 9, 23, tzinfo=ZoneInfo("Asia/Kolkata")), ana.time_zone
        )


class TestErrors:
    """Every problem names the file, the table and the field, one per line."""

    def test_a_turn_of_zero_names_the_layer_and_the_field(self) -> None:
        """The error the issue asks for, word for word."""
        lines = problems(
            USERS,
            SCHEDULE,
            """
            [[schedules.primary.layers]]
            name = "night"
            participants = ["ben"]
            start = 2024-03-04T21:00:00+01:00
            turn = "0s"
            """,
        )

        assert lines == [
            "oncall.toml: schedules.primary.layers[1].turn: must be positive, got '0s'"
        ]

    def test_every_problem_is_reported_at_once(self) -> None:
        """Problems in several tables and fields come in one error, in file order."""
        lines = problems(
            """
            [users.ana]
            phone = "0151 1234"
            emial = "ana@example.com"
            [users.ben]
            time_zone = "Europe/Berln"
            [teams.ops]
            members = ["ana", "bob"]
            [services.checkout]
            urgency = "urgent"
            policy = "nope"
            """
        )

        assert lines == [
            "oncall.toml: users.ana.phone: must be an E.164 number such as "
            "+12015550123 (a plus, the country code, then the number, no spaces), "
            "got 015****34",
            "oncall.toml: users.ana.emial: unknown field; did you mean 'email'?",
            "oncall.toml: users.ben.time_zone: must be an IANA time zone such as "
            "'Europe/Berlin', 'America/New_York' or 'Etc/UTC', got 'Europe/Berln'",
            "oncall.toml: teams.ops.members[1]: unknown user 'bob'; define [users.bob]",
            "oncall.toml: services.checkout.policy: unknown policy 'nope'; define "
            "[policies.nope]",
            "oncall.toml: services.checkout.urgency: must be one of 'high', 'low', "
            "got 'urgent'",
        ]

    def test_the_error_carries_its_problems_and_is_a_value_error(self) -> None:
        """ConfigError is an OncallError and a ValueError, with .problems."""
        with pytest.raises(ConfigError) as caught:
            parse_config("[users.ana]\nphone = 5", source="team.toml")

        error = caught.value
        assert isinstance(error, OncallError)
        assert isinstance(error, ValueError)
        assert error.source == "team.toml"
        assert error.problems == [
            Problem(
                "users.ana.phone",
                "must be an E.164 number such as "
                "+12015550123 (a plus, the country code, then the number, "
                "no spaces), got 5",
            )
        ]

    @pytest.mark.parametrize(
        ("table", "problem"),
        [
            (
                'participants = "ana"',
                "participants: must be a list (values in square brackets), got 'ana'",
            ),
            ('shift = "2d"', "shift: must not be longer than the turn (1d), got '2d'"),
            ('turn = "30s"', "turn: must be at least 1 minute, got '30s'"),
            (
                'turn = "3M"',
                "turn: must be a duration such as '30m', '12h', '7d', "
                "'1h30m' or ISO 8601 'PT12H', got '3M'",
            ),
            (
                'turn = "P1M"',
                "turn: years and months have no fixed length: write "
                "the duration in weeks, days, hours or minutes, got 'P1M'",
            ),
            (
                "end = 2024-03-01T00:00:00Z",
                "end: must be after the start "
                "(2024-03-04T09:00:00+01:00), got 2024-03-01T00:00:00+00:00",
            ),
            (
                'clock = "sundial"',
                "clock: must be one of 'wall', 'elapsed', got 'sundial'",
            ),
            ("priority = true", "priority: must be a whole number, got True"),
            (
                "start = 2024-03-04",
                "start: must be a date and time such as "
                "2024-03-04T09:00:00+01:00, got the date 2024-03-04 alone",
            ),
            (
                'restrictions = [{ start = "9am", end = "17:00" }]',
                "restrictions[0].start: must be a time of day such as '09:00' or "
                "'21:30', got '9am'",
            ),
            (
                'restrictions = [{ start = "09:00", end = "17:00", weekdays = [9] }]',
                "restrictions[0].weekdays[0]: must be a weekday: a name from 'mon' to "
                "'sun', or a number from 0 (Monday) to 6 (Sunday), got 9",
            ),
            (
                'restrictions = [{ start = "9:00", end = "17:00", start_day = "fri" }]',
                "restrictions[0].end_day: is required in a weekly window, which runs "
                "from start_day at start to end_day at end",
            ),
        ],
    )
    def test_a_bad_layer_field_is_named_with_its_index(
        self, table: str, problem: str
    ) -> None:
        """Each malformed field of a layer is reported at its own path."""
        key = table.split(" = ")[0]
        layer = "\n".join(
            line for line in SCHEDULE.splitlines() if not line.startswith(f"{key} =")
        )

        lines = problems(USERS, layer, table)

        assert lines == [f"oncall.toml: schedules.primary.layers[0].{problem}"]

    def test_a_missing_field_is_required(self) -> None:
        """A layer without a turn says the turn is required."""
        lines = problems(USERS, SCHEDULE.replace('turn = "1d"', ""))

        assert lines == ["oncall.toml: schedules.primary.layers[0].turn: is required"]

    def test_overrides_are_checked_field_by_field(self) -> None:
        """A replace override needs replaces; others must not have it."""
        lines = problems(
            USERS,
            SCHEDULE,
            """
            [[schedules.primary.overrides]]
            kind = "replace"
            user = "ana"
            start = 2024-03-05T09:00:00
            end = 2024-03-05T17:00:00
            [[schedules.primary.overrides]]
            kind = "add"
            user = "ana"
            replaces = "ben"
            start = 2024-03-05T09:00:00
            end = 2024-03-05T17:00:00
            [[schedules.primary.overrides]]
            kind = "remove"
            user = "eve"
            start = 2024-03-05T09:00:00
            end = 2024-03-05T17:00:00
            """,
        )

        assert lines == [
            "oncall.toml: schedules.primary.overrides[2].user: unknown user 'eve'; "
            "define [users.eve]",
            "oncall.toml: schedules.primary.overrides[0].replaces: is required in a "
            "replace override: name the user being replaced",
            "oncall.toml: schedules.primary.overrides[1].replaces: only a replace "
            "override names who it replaces, not a add override",
        ]

    def test_policies_check_targets_repeat_and_references(self) -> None:
        """A target names one thing; repeat is 0 to 9; names must exist."""
        lines = problems(
            USERS,
            """
            [teams.ops]
            members = ["ana"]
            [policies.p]
            repeat = 10
            [[policies.p.steps]]
            targets = [{ user = "ana", team = "ops" }, { schedule = "nope" }]
            [[policies.p.steps]]
            targets = [{ user = "ben", lead_only = true }]
            [[policies.p.steps]]
            targets = []
            """,
        )

        assert lines == [
            "oncall.toml: policies.p.steps[0].targets[1].schedule: unknown schedule "
            "'nope'; define [schedules.nope]",
            "oncall.toml: policies.p.repeat: must be from 0 to 9 (how many more "
            "times the steps run after the last one), got 10",
            "oncall.toml: policies.p.steps[0].targets[0]: must name exactly one of "
            'user, team or schedule ({ schedule = "primary" }), got user and team',
            "oncall.toml: policies.p.steps[1].targets[0].lead_only: only a team "
            "target has a lead; remove lead_only or target a team",
            "oncall.toml: policies.p.steps[2].targets: must name at least one target",
        ]

    def test_a_team_lead_must_be_a_member(self) -> None:
        """The lead is one of the members, and a member is listed once."""
        lines = problems(USERS, '[teams.ops]\nmembers = ["ana", "ana"]\nlead = "ben"')

        assert lines == [
            "oncall.toml: teams.ops.members[1]: 'ana' is listed twice",
            "oncall.toml: teams.ops.lead: must be one of the team's members (ana, "
            "ana), got 'ben'",
        ]

    def test_the_core_rules_of_a_value_are_reported_at_its_table(self) -> None:
        """Quiet hours that never end are refused by the core, at their table."""
        lines = problems(
            '[users.ana]\nquiet_hours = { start = "22:00", end = "22:00" }'
        )

        assert lines == [
            "oncall.toml: users.ana.quiet_hours: quiet hours 22:00-22:00 every day "
            "never end: low-urgency pages would never be delivered; leave a gap"
        ]

    def test_unknown_tables_and_tables_of_the_wrong_shape(self) -> None:
        """A misspelled section, an array of tables, a value where a table goes."""
        lines = problems("[[users]]\nname = 'ana'\n[user.x]\n[teams]\nops = 3")

        assert lines == [
            "oncall.toml: user: unknown table; did you mean [users]?",
            "oncall.toml: users: must be tables keyed by id ([users.some-id]), not "
            "an array of tables ([[users]])",
            "oncall.toml: teams.ops: must be a table, got 3",
        ]

    def test_ids_that_are_not_bare_keys_are_quoted_in_paths(self) -> None:
        """A user id with a dot is written as TOML writes it."""
        lines = problems('[users."ana.b"]\nphone = "x"')

        assert lines[0].startswith('oncall.toml: users."ana.b".phone: ')

    def test_a_toml_syntax_error_names_the_line(self) -> None:
        """Broken TOML is one problem with the line and column."""
        lines = problems("[users.ana\nname = 1")

        assert lines == [
            "oncall.toml: is not valid TOML at line 1, column 11: expected ']' at "
            "the end of a table declaration"
        ]

    def test_a_missing_file_is_a_config_error(self, tmp_path: Path) -> None:
        """load_config names the file it could not read."""
        missing = tmp_path / "nope.toml"

        with pytest.raises(ConfigError) as caught:
            load_config(missing)

        assert str(caught.value) == (
            f"{missing}: cannot read the file: No such file or directory"
        )

    def test_load_config_names_the_file_in_every_line(self, tmp_path: Path) -> None:
        """The path given is the first word of each problem."""
        path = tmp_path / "oncall.toml"
        path.write_text('[users.ana]\nphone = "1"\nemail = "x"\n', encoding="utf-8")

        with pytest.raises(ConfigError) as caught:
            load_config(path)

        lines = str(caught.value).splitlines()
        assert len(lines) == 2
        assert all(line.startswith(f"{path}: users.ana.") for line in lines)


class TestSecrets:
    """Secrets come from the environment, never from the file."""

    @pytest.mark.parametrize(
        ("table", "key", "variable"),
        [
            ("settings.twilio", "auth_token", "ONCALL_TWILIO_AUTH_TOKEN"),
            ("settings.smtp", "password", "ONCALL_SMTP_PASSWORD"),
            ("settings.webhook", "secret", "ONCALL_WEBHOOK_SECRET"),
        ],
    )
    def test_a_secret_in_the_file_says_which_variable_to_set(
        self, table: str, key: str, variable: str
    ) -> None:
        """The problem names the environment variable and not the value."""
        lines = problems(f'[{table}]\n{key} = "hunter2"')

        assert lines[0] == (
            f"oncall.toml: {table}.{key}: secrets must not be in the configuration "
            f"file: remove it and set {variable} in the environment"
        )
        assert not any("hunter2" in line for line in lines)

    def test_any_key_that_looks_like_a_secret_is_refused(self) -> None:
        """A token anywhere is refused; push_tokens and ids are not secrets."""
        lines = problems(
            """
            [users.secret]
            push_tokens = ["device-1"]
            api_token = "abc"
            """
        )

        assert lines == [
            "oncall.toml: users.secret.api_token: secrets must not be in the "
            "configuration file: remove it; the app reads its secrets from the "
            "environment (ONCALL_TWILIO_AUTH_TOKEN, ONCALL_SMTP_PASSWORD, "
            "ONCALL_WEBHOOK_SECRET)"
        ]

    def test_from_env_reads_the_three_variables(self) -> None:
        """Set variables are read; an empty one counts as unset."""
        secrets = Secrets.from_env(
            {
                "ONCALL_TWILIO_AUTH_TOKEN": "tok",
                "ONCALL_SMTP_PASSWORD": "",
                "ONCALL_WEBHOOK_SECRET": "shh",
                "OTHER": "x",
            }
        )

        assert secrets == Secrets(twilio_auth_token="tok", webhook_secret="shh")
        assert secrets.smtp_password is None

    def test_from_env_defaults_to_the_process_environment(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without an argument, os.environ is read."""
        monkeypatch.setenv("ONCALL_SMTP_PASSWORD", "pw")

        assert Secrets.from_env().smtp_password == "pw"

    def test_the_repr_masks_every_secret(self) -> None:
        """A logged Secrets shows which are set, not what they are."""
        shown = repr(Secrets(twilio_auth_token="tok-123", smtp_password="pw-456"))

        assert "tok-123" not in shown
        assert "pw-456" not in shown
        assert "twilio_auth_token='***'" in shown
        assert "webhook_secret=None" in shown

    def test_missing_lists_what_the_settings_need(self) -> None:
        """Twilio needs its token; SMTP with a username needs a password."""
        settings = Settings(
            twilio=TwilioSettings("AC" + "0" * 32, from_number="+12015550000"),
            smtp=SmtpSettings("smtp.example.com", "oncall@example.com", username="x"),
        )

        assert Secrets().missing(settings) == [
            "ONCALL_TWILIO_AUTH_TOKEN",
            "ONCALL_SMTP_PASSWORD",
        ]
        assert Secrets("t", "p").missing(settings) == []


class TestSettings:
    """Delivery settings: checked when read, and when built in code."""

    def test_settings_are_read_with_their_toml_names(self) -> None:
        """from, services and the WhatsApp template read into the settings."""
        read = config(
            """
            [settings]
            public_base_url = "https://oncall.example.com"
            [settings.twilio]
            account_sid = "AC0123456789abcdef0123456789abcdef"
            messaging_service_sid = "MG0123456789abcdef0123456789abcdef"
            [settings.twilio.whatsapp]
            from = "+12015550001"
            content_sid = "HX0123456789abcdef0123456789abcdef"
            variables = { 1 = "3", 2 = "1" }
            [settings.smtp]
            host = "smtp.example.com"
            from = "On-call <oncall@example.com>"
            security = "tls"
            [settings.slack]
            webhook_url = "https://hooks.example.com/all"
            services = { checkout = "https://hooks.example.com/checkout" }
            [services.checkout]
            """
        )

        settings = read.settings
        assert settings.twilio is not None
        assert settings.twilio.from_number is None
        assert settings.whatsapp == WhatsAppSettings(
            "+12015550001",
            "HX0123456789abcdef0123456789abcdef",
            {"1": "3", "2": "1"},
        )
        assert settings.smtp is not None
        assert settings.smtp.effective_port == 465
        assert settings.slack is not None
        assert settings.slack.webhook_for("checkout") == (
            "https://hooks.example.com/checkout"
        )
        assert settings.slack.webhook_for("other") == "https://hooks.example.com/all"

    def test_bad_settings_are_named_field_by_field(self) -> None:
        """Each setting is checked at its own path."""
        lines = problems(
            """
            [settings.twilio]
            account_sid = "AC123"
            [settings.smtp]
            host = "smtp example"
            from = "oncall"
            port = 70000
            security = "ssl"
            [settings.slack]
            services = { checkout = "ftp://x", nope = "https://x.example" }
            [services.checkout]
            """
        )

        assert lines == [
            "oncall.toml: settings.twilio.account_sid: must be AC followed by 32 hex "
            "digits, got 'AC123'",
            "oncall.toml: settings.smtp.host: must be a host name such as "
            "smtp.example.com, got 'smtp example'",
            "oncall.toml: settings.smtp.from: must be an email address such as "
            "ana@example.com, got 'oncall'",
            "oncall.toml: settings.smtp.port: must be a port number from 1 to "
            "65535, got 70000",
            "oncall.toml: settings.smtp.security: must be one of 'starttls', 'tls', "
            "'none', got 'ssl'",
            "oncall.toml: settings.slack.services.checkout: must be an http(s) URL "
            "with a host and no user or password, such as https://oncall.example.com,"
            " got 'ftp://x'",
        ]

    def test_twilio_needs_a_sender(self) -> None:
        """Without from or a messaging service, SMS could not be sent."""
        lines = problems('[settings.twilio]\naccount_sid = "AC' + "0" * 32 + '"')

        assert lines == [
            "oncall.toml: settings.twilio: give 'from' (the number or sender ID SMS "
            "come from) or 'messaging_service_sid', or both"
        ]

    def test_settings_built_in_code_are_checked_too(self) -> None:
        """A bad SID raises InvalidSettings naming the field."""
        with pytest.raises(InvalidSettings, match="account_sid must be AC followed"):
            TwilioSettings("nope", from_number="+12015550000")


class TestConfig:
    """Config: the values keyed by id."""

    def test_from_values_keys_each_value_by_its_id(self) -> None:
        """Users by id, schedules and policies by name."""
        built = Config.from_values(users=[User("ana"), User("ben")])

        assert list(built.users) == ["ana", "ben"]
        assert built.settings == Settings()

    def test_a_key_that_is_not_the_id_is_refused(self) -> None:
        """Config(users={'x': User('ana')}) cannot be built."""
        with pytest.raises(ConfigError, match=r"users\.x: is keyed 'x' but its id"):
            Config(users={"x": User("ana")})

    def test_two_values_with_one_id_are_refused(self) -> None:
        """from_values refuses two users named ana."""
        with pytest.raises(ConfigError, match=r"users\.ana: is defined twice"):
            Config.from_values(users=[User("ana"), User("ana", name="Ana")])

    def test_the_mappings_are_read_only(self) -> None:
        """A configuration is a value: its mappings cannot be changed."""
        built = Config.from_values(users=[User("ana")])

        with pytest.raises(TypeError):
            built.users["ben"] = User("ben")  # type: ignore[index]


class TestDumpConfig:
    """dump_config writes TOML that parse_config reads back to the same value."""

    def test_defaults_are_left_out_and_datetimes_keep_the_schedules_offset(
        self,
    ) -> None:
        """A minimal schedule dumps to a minimal file."""
        read = config(USERS, SCHEDULE)

        text = dump_config(read)

        assert "coverage = " not in text
        assert "start = 2024-03-04 09:00:00+01:00" in text
        assert 'turn = "1d"' in text
        assert parse_config(text) == read

    def test_an_empty_configuration_dumps_to_nothing(self) -> None:
        """No tables, no text."""
        assert dump_config(Config()) == ""


class TestDiffConfigs:
    """diff_configs: what oncall apply reports."""

    def test_ids_added_changed_and_removed_are_listed_per_kind(self) -> None:
        """A new user, a changed user, a removed schedule, changed settings."""
        old = config(USERS, SCHEDULE)
        new = config(
            '[settings]\npublic_base_url = "https://oncall.example.com"',
            USERS.replace("+12015550102", "+12015550199"),
            "[users.eve]",
        )

        changes = diff_configs(old, new)

        assert changes.users == KindChanges(added=("eve",), changed=("ben",))
        assert changes.schedules == KindChanges(removed=("primary",))
        assert changes.settings
        assert changes.lines() == [
            "added user eve",
            "changed user ben",
            "removed schedule primary",
            "changed settings",
        ]

    def test_the_same_instant_with_another_offset_is_no_change(self) -> None:
        """A layer start written in UTC instead of +01:00 changes nothing."""
        old = config(USERS, SCHEDULE)
        new = config(
            USERS, SCHEDULE.replace("2024-03-04T09:00:00+01:00", "2024-03-04T08:00:00Z")
        )

        changes = diff_configs(old, new)

        assert not changes
        assert changes == Changes()
        assert changes.lines() == []

    def test_a_changed_turn_changes_the_schedule(self) -> None:
        """The schedule is changed, nothing else."""
        old = config(USERS, SCHEDULE)
        new = attrs.evolve(
            old,
            schedules={
                "primary": attrs.evolve(
                    old.schedules["primary"],
                    layers=[
                        attrs.evolve(
                            old.schedules["primary"].layers[0], turn=timedelta(days=2)
                        )
                    ],
                )
            },
        )

        assert diff_configs(old, new).lines() == ["changed schedule primary"]


class TestTheDocs:
    """docs/configuration.md shows the shipped example and every field."""

    DOC = Path(__file__).parents[2] / "docs" / "configuration.md"

    def test_the_example_in_the_docs_is_the_shipped_file(self) -> None:
        """The copy between the example markers is examples/oncall.toml."""
        text = self.DOC.read_text(encoding="utf-8")
        shown = text.split("<!-- example:start -->\n```toml\n")[1]
        shown = shown.split("```\n<!-- example:end -->")[0]

        assert shown == EXAMPLE.read_text(encoding="utf-8")

    def test_every_field_of_every_table_is_documented(self) -> None:
        """Each key the reader accepts appears in a table row of the docs."""
        from oncall_adapters.config import _documents, _settings

        text = self.DOC.read_text(encoding="utf-8")
        classes = [
            _documents.UserDoc,
            _documents.QuietHoursDoc,
            _documents.TeamDoc,
            _documents.ScheduleDoc,
            _documents.LayerDoc,
            _documents.RestrictionDoc,
            _documents.OverrideDoc,
            _documents.PolicyDoc,
            _documents.StepDoc,
            _documents.TargetDoc,
            _documents.ServiceDoc,
            _settings.Settings,
            _settings.TwilioSettings,
            _settings.WhatsAppSettings,
            _settings.SmtpSettings,
            _settings.SlackSettings,
            _settings.WebhookSettings,
        ]
        keys = {
            field.metadata.get("oncall.key", field.name)
            for cls in classes
            for field in attrs.fields(cls)
        } - {"twilio", "smtp", "slack", "webhook", "whatsapp"}

        assert {key for key in keys if f"`{key}`" not in text} == set()
