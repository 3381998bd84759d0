"""The ``oncall`` command, called in-process: ``main([...])`` on a SQLite file.

The end-to-end tests (``tests/e2e``) run it as a subprocess against fakes
of the providers; these check each command's answers, output and exit
status, faster and in more cases.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from oncall_adapters.cli import main
from oncall_adapters.cli._apply import apply_config, stored_config
from oncall_adapters.cli._errors import BadInput
from oncall_adapters.cli._output import Output, wants_colour
from oncall_adapters.cli._senders import build_senders
from oncall_adapters.cli._setup import example_config
from oncall_adapters.cli._times import format_span, parse_duration, parse_when
from oncall_adapters.config import (
    Secrets,
    Settings,
    SlackSettings,
    SmtpSettings,
    load_config,
    parse_config,
)
from oncall_adapters.sql import SqlRepository, create_engine, upgrade
from oncall_core import (
    Channel,
    Message,
    Notification,
    NotificationKey,
    NotificationStatus,
)
from tests.integration.fake_http import FakeHttpServer, loopback_only

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "oncall.toml"
BERLIN = ZoneInfo("Europe/Berlin")
SECRETS = {
    "ONCALL_TWILIO_AUTH_TOKEN": "token",
    "ONCALL_SMTP_PASSWORD": "password",
    "ONCALL_WEBHOOK_SECRET": "secret",
}

Result = tuple[int, str, str]
Cli = Callable[..., Result]


@pytest.fixture
def bare(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    """``oncall`` on a database that does not exist yet, in an empty folder."""
    for variable in ("ONCALL_DATABASE_URL", "ONCALL_CONFIG", "ONCALL_FEED_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    for variable in SECRETS:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)

    def cli(*arguments: str) -> Result:
        capsys.readouterr()
        status = main(list(arguments))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return cli


@pytest.fixture
def cli(bare: Cli) -> Cli:
    """``oncall`` on ``oncall.db`` in the current folder, the example applied."""
    assert bare("init")[0] == 0
    assert bare("apply", str(EXAMPLE))[0] == 0
    return bare


def as_json(result: Result) -> Any:
    status, out, err = result
    assert status == 0, err
    return json.loads(out)


def local(text: str) -> str:
    at = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(BERLIN)
    return at.strftime("%Y-%m-%dT%H:%M")


class TestUsage:
    """Arguments, help, and what a mistake looks like."""

    def test_no_command_is_a_usage_error(self, bare: Cli) -> None:
        """Exit status 2, the usage on standard error."""
        status, out, err = bare()

        assert status == 2
        assert out == ""
        assert "usage: oncall" in err

    def test_help_exits_zero_and_lists_every_command(self, bare: Cli) -> None:
        """``--help`` names each command."""
        status, out, _ = bare("--help")

        assert status == 0
        for command in ("init", "apply", "who", "trigger", "worker", "serve", "demo"):
            assert command in out

    def test_common_options_go_before_or_after_the_command(self, cli: Cli) -> None:
        """``--json who`` and ``who --json`` are the same."""
        before = json.loads(cli("--json", "who", "--at", "2027-01-05T10:00")[1])
        after = json.loads(cli("who", "--at", "2027-01-05T10:00", "--json")[1])

        assert before == after
        assert before[0]["schedule"] == "primary"

    def test_an_unknown_zone_is_one_line_and_status_2(self, cli: Cli) -> None:
        """The message names the zone and what would be valid; no traceback."""
        status, _, err = cli("who", "--tz", "Mars/Base")

        assert status == 2
        assert err.splitlines() == [
            "oncall: unknown time zone 'Mars/Base': use an IANA name such as "
            "'Europe/Berlin', 'America/New_York' or 'Etc/UTC'"
        ]

    def test_a_time_that_cannot_be_read_says_what_can(self, cli: Cli) -> None:
        """Status 2; the message lists the accepted forms."""
        status, _, err = cli("who", "--at", "next tuesday")

        assert status == 2
        assert err.startswith("oncall: cannot read 'next tuesday' as a time")
        assert "now, today, tomorrow, +2h or -30m" in err

    def test_an_unreachable_database_is_one_line_and_status_1(self, bare: Cli) -> None:
        """A database error is reported, not raised: no traceback."""
        status, _, err = bare("--db", "postgresql://nobody@127.0.0.1:1/x", "who")

        assert status == 1
        [line] = err.splitlines()
        assert line.startswith("oncall: database error: ")

    def test_debug_shows_the_traceback(self, bare: Cli) -> None:
        """``--debug`` adds the traceback before the one-line message."""
        status, _, err = bare(
            "--debug", "--db", "postgresql://nobody@127.0.0.1:1/x", "who"
        )

        assert status == 1
        assert "Traceback (most recent call last)" in err
        assert err.splitlines()[-1].startswith("oncall: database error: ")

    def test_a_port_out_of_range_is_a_usage_error(self, bare: Cli) -> None:
        """``serve --port 0`` never starts."""
        status, _, err = bare("serve", "--port", "0")

        assert status == 2
        assert "a port is a number from 1 to 65535" in err


class TestInit:
    """``init`` creates or migrates the database; other commands need it."""

    def test_init_creates_then_finds_the_database_up_to_date(self, bare: Cli) -> None:
        """The second run changes nothing and says so."""
        first = bare("init")
        second = bare("init")

        assert first[0] == second[0] == 0
        assert first[1].startswith("Created the database sqlite:///oncall.db")
        assert second[1].startswith("The database sqlite:///oncall.db is up to date")

    def test_a_command_without_a_database_says_to_run_init(self, bare: Cli) -> None:
        """Status 3 (not found), and no empty database file is left behind."""
        status, _, err = bare("who")

        assert status == 3
        assert "run `oncall init` first" in err
        assert not Path("oncall.db").exists()

    def test_init_writes_the_example_and_never_overwrites_silently(
        self, bare: Cli
    ) -> None:
        """``--example`` writes the shipped file; again, only with ``--force``."""
        assert bare("init", "--example", "mine.toml")[0] == 0
        assert Path("mine.toml").read_text() == EXAMPLE.read_text()

        refused = bare("init", "--example", "mine.toml")
        assert refused[0] == 2
        assert "give --force" in refused[2]
        assert bare("init", "--example", "mine.toml", "--force")[0] == 0

    def test_the_packaged_example_is_the_shipped_one(self) -> None:
        """``oncall init --example`` and the demo use a copy: it must not drift."""
        assert example_config() == EXAMPLE.read_text(encoding="utf-8")


class TestApply:
    """``apply`` makes the database match the file, in one transaction."""

    def test_a_changed_file_reports_each_change(self, cli: Cli, tmp_path: Path) -> None:
        """A renamed user is changed, a dropped service removed, nothing else."""
        text = EXAMPLE.read_text().replace(
            'name = "Ana Lima"', 'name = "Ana Lima-Silva"'
        )
        text = text[: text.index("[services.reports]")]
        changed = tmp_path / "changed.toml"
        changed.write_text(text)

        status, out, _ = cli("apply", str(changed))

        assert status == 0
        assert out.splitlines() == [
            "changed user ana",
            "removed service reports",
            "Applied 2 changes to sqlite:///oncall.db.",
        ]
        assert cli("apply", str(changed))[1].startswith("No changes:")

    def test_a_dry_run_reports_and_writes_nothing(self, bare: Cli) -> None:
        """The changes are listed; the database stays empty."""
        bare("init")
        report = as_json(bare("apply", str(EXAMPLE), "--dry-run", "--json"))

        assert report["dry_run"] is True
        assert report["changes"]["users"]["added"] == [
            "ana",
            "ben",
            "chi",
            "dev",
            "eli",
            "fay",
        ]
        status, _, err = bare("who")
        assert status == 3
        assert "no schedules yet" in err

    def test_a_failure_half_way_leaves_the_database_as_it_was(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Users and teams saved before a service fails are rolled back with it."""
        engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
        upgrade(engine)

        def broken(self: SqlRepository, service: object) -> None:
            msg = "the disk is full"
            raise OSError(msg)

        monkeypatch.setattr(SqlRepository, "save_service", broken)
        with pytest.raises(OSError, match="disk is full"):
            apply_config(engine, load_config(EXAMPLE))

        monkeypatch.undo()
        stored = stored_config(SqlRepository(engine))
        assert (stored.users, stored.teams, stored.schedules) == ({}, {}, {})
        engine.dispose()

    def test_every_problem_of_a_bad_file_is_a_line_naming_where(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        """Status 2; one line per problem: the file, the table, the field."""
        bad = tmp_path / "bad.toml"
        bad.write_text(
            '[users.x]\nphone = "123"\n'
            "[schedules.p]\n[[schedules.p.layers]]\n"
            'name = "a"\nparticipants = ["x"]\n'
            'start = 2026-01-01T00:00:00\nturn = "0s"\n'
        )
        status, out, err = cli("apply", str(bad))

        assert status == 2
        assert out == ""
        lines = err.splitlines()
        assert len(lines) == 2
        assert lines[0].startswith(f"oncall: {bad}: users.x.phone: must be an E.164")
        assert lines[1] == (
            f"oncall: {bad}: schedules.p.layers[0].turn: must be positive, got '0s'"
        )

    def test_a_missing_file_is_not_found(self, cli: Cli) -> None:
        """Status 3."""
        status, _, err = cli("apply", "nowhere.toml")

        assert status == 3
        assert err == "oncall: no configuration file at nowhere.toml\n"


class TestExport:
    """``export`` writes what the database holds as a configuration."""

    def test_the_export_reads_back_as_what_is_stored(self, cli: Cli) -> None:
        """With the file's settings, the export parses to the example itself."""
        status, out, _ = cli("export", "--config", str(EXAMPLE))

        assert status == 0
        assert parse_config(out) == load_config(EXAMPLE)


class TestWho:
    """``who`` answers from the schedule, on its clock unless ``--tz``."""

    @pytest.mark.parametrize(
        ("at", "expected"),
        [
            ("2027-01-04T19:30", [("ben", "day"), ("eli", "night")]),
            ("2027-01-09T12:00", [("ben", "weekend")]),
            ("2027-01-04T08:30", [("ben", "day"), ("chi", "weekend")]),
        ],
    )
    def test_who_is_on_call_at_hand_worked_times(
        self, cli: Cli, at: str, expected: list[tuple[str, str]]
    ) -> None:
        """Day and night overlap at 19:00-20:00; weekend and day at 08:00-09:00."""
        [answer] = as_json(cli("who", "primary", "--at", at, "--json"))

        assert sorted((s["user"], s["layer"]) for s in answer["on_call"]) == expected

    def test_relative_times_count_from_now(self, cli: Cli) -> None:
        """``--now`` fixes the clock; ``tomorrow`` is midnight on the schedule's."""
        [later] = as_json(
            cli("--now", "2027-01-05T10:00+01:00", "who", "--at", "+2h", "--json")
        )
        [tomorrow] = as_json(
            cli("--now", "2027-01-05T10:00+01:00", "who", "--at", "tomorrow", "--json")
        )

        assert local(later["at"]) == "2027-01-05T12:00"
        assert [s["user"] for s in later["on_call"]] == ["chi"]
        assert local(tomorrow["at"]) == "2027-01-06T00:00"
        assert [s["user"] for s in tomorrow["on_call"]] == ["eli"]

    def test_tz_reads_and_shows_times_in_the_viewers_zone(self, cli: Cli) -> None:
        """10:00 in New York is 16:00 in Berlin: chi, shown until 14:00 EST."""
        status, out, _ = cli(
            "who", "--at", "2027-01-05T10:00", "--tz", "America/New_York"
        )

        assert status == 0
        assert out.splitlines()[0] == "On call at Tue 2027-01-05 10:00 EST:"
        assert "Tue 2027-01-05 14:00 EST" in out.splitlines()[2]

    def test_an_unknown_schedule_is_not_found_and_names_the_known_ones(
        self, cli: Cli
    ) -> None:
        """Status 3."""
        status, _, err = cli("who", "secondary")

        assert status == 3
        assert err == "oncall: no schedule 'secondary' (schedules: primary)\n"


GAPPY = """
[users.ana]
[schedules.office]
time_zone = "Europe/Berlin"
[[schedules.office.layers]]
name = "hours"
participants = ["ana"]
start = 2027-01-04T09:00:00
turn = "7d"
restrictions = [{ start = "09:00", end = "17:00" }]
"""


class TestShifts:
    """``shifts`` lists a window's shifts, and its gaps."""

    def test_one_users_shifts(self, cli: Cli) -> None:
        """``--user chi``: the weekend's end and the override's two days."""
        answer = as_json(
            cli(
                "shifts",
                "primary",
                "--since",
                "2027-01-04",
                "--until",
                "2027-01-11",
                "--user",
                "chi",
                "--json",
            )
        )

        assert [(local(s["start"]), s["layer"]) for s in answer["shifts"]] == [
            ("2027-01-04T00:00", "weekend"),
            ("2027-01-05T08:00", "day"),
            ("2027-01-06T08:00", "day"),
        ]

    def test_gaps_are_listed_after_the_shifts(self, bare: Cli, tmp_path: Path) -> None:
        """An office-hours schedule leaves the nights uncovered."""
        config = tmp_path / "gappy.toml"
        config.write_text(GAPPY)
        bare("init")
        bare("apply", str(config))

        status, out, _ = bare(
            "shifts", "office", "--since", "2027-01-04T12:00", "--until", "+1d"
        )

        assert status == 0
        assert "1 gap(s) in coverage:" in out
        assert "  Mon 2027-01-04 17:00 CET to Tue 2027-01-05 09:00 CET (16h)" in out

    def test_an_until_before_since_is_bad_input(self, cli: Cli) -> None:
        """Status 2, naming both times."""
        status, _, err = cli(
            "shifts", "primary", "--since", "2027-01-05", "--until", "2027-01-04"
        )

        assert status == 2
        assert "--until (Mon 2027-01-04 00:00 CET) must be after --since" in err


class TestPicturesAndCalendars:
    """``timeline`` and ``ics`` write files."""

    def test_the_timeline_goes_to_a_file_named_for_the_schedule(self, cli: Cli) -> None:
        """Without ``--out``: ``primary-timeline.svg`` in the current folder."""
        status, out, _ = cli("timeline", "primary", "--since", "2027-01-04")

        assert status == 0
        assert Path("primary-timeline.svg").read_text().startswith("<svg")
        assert "to primary-timeline.svg" in out

    def test_a_users_calendar_holds_only_their_shifts(self, cli: Cli) -> None:
        """``ics --user chi`` to standard output: chi's three shifts of the week."""
        status, feed, _ = cli(
            "ics", "primary", "--user", "chi", "--since", "2027-01-04", "--until", "+7d"
        )
        events = icalendar.Calendar.from_ical(feed).walk("VEVENT")

        assert status == 0
        assert len(events) == 3
        assert all(str(e["summary"]).startswith("chi on call") for e in events)

    def test_a_calendar_of_an_unknown_user_is_not_found(self, cli: Cli) -> None:
        """Status 3."""
        assert cli("ics", "primary", "--user", "zed")[0] == 3


class TestIncidents:
    """``trigger``, ``ack``, ``resolve``, ``snooze``, ``incidents``."""

    def test_triggered_incidents_are_numbered(self, cli: Cli) -> None:
        """Without ``--id``, the next free number."""
        first = as_json(cli("trigger", "checkout", "Checkout is down", "--json"))
        second = as_json(cli("trigger", "reports", "Reports are late", "--json"))

        assert (first["id"], second["id"]) == ("1", "2")
        assert (first["urgency"], second["urgency"]) == ("high", "low")
        assert first["status"] == "active"

    def test_triggering_an_id_again_changes_nothing(self, cli: Cli) -> None:
        """A retried trigger with the same ``--id`` reports the first one."""
        cli("trigger", "checkout", "Checkout is down", "--id", "db-1")
        status, out, _ = cli("trigger", "checkout", "Checkout is down", "--id", "db-1")

        assert status == 0
        assert out.startswith("Incident db-1 was already triggered")
        assert len(as_json(cli("incidents", "--json"))) == 1

    def test_an_unknown_service_is_not_found(self, cli: Cli) -> None:
        """Status 3, naming the services there are."""
        status, _, err = cli("trigger", "billing", "Billing is down")

        assert status == 3
        assert err == "oncall: no service 'billing' (services: checkout, reports)\n"

    def test_acknowledged_incidents_stay_open_resolved_ones_do_not(
        self, cli: Cli
    ) -> None:
        """``incidents`` lists open ones with their status; ``--all`` every one."""
        cli("trigger", "checkout", "Checkout is down")
        cli("trigger", "checkout", "Checkout is slow")
        cli("ack", "1", "--by", "chi")
        cli("resolve", "2")

        [open_] = as_json(cli("incidents", "--json"))
        every = as_json(cli("incidents", "--all", "--json"))

        assert (open_["id"], open_["status"], open_["acknowledged_by"]) == (
            "1",
            "acknowledged",
            "chi",
        )
        assert [(i["id"], i["status"]) for i in every] == [
            ("1", "acknowledged"),
            ("2", "resolved"),
        ]
        status, out, _ = cli("incidents")
        assert status == 0
        assert out.splitlines()[0].split() == [
            "ID",
            "STATUS",
            "SERVICE",
            "URGENCY",
            "TRIGGERED",
            "STEP",
            "DUE",
            "TITLE",
        ]
        assert "acknowledged by chi" in out.splitlines()[1]

    def test_snooze_pauses_until_a_time(self, cli: Cli) -> None:
        """The escalation is due again when the snooze ends."""
        now = "2027-01-05T10:00+01:00"
        cli("--now", now, "trigger", "checkout", "Checkout is down")
        snoozed = as_json(cli("--now", now, "snooze", "1", "--until", "+1h", "--json"))

        assert snoozed["status"] == "snoozed"
        assert local(snoozed["next_due"]) == "2027-01-05T11:00"

    def test_a_resolved_incident_cannot_be_acknowledged(self, cli: Cli) -> None:
        """Status 2: the transition is refused, in one line."""
        cli("trigger", "checkout", "Checkout is down")
        cli("resolve", "1")
        status, _, err = cli("ack", "1")

        assert status == 2
        assert len(err.splitlines()) == 1

    def test_acting_on_an_unknown_incident_is_not_found(self, cli: Cli) -> None:
        """Status 3 for ack, resolve, snooze and notifications alike."""
        assert cli("ack", "9")[0] == 3
        assert cli("resolve", "9")[0] == 3
        assert cli("snooze", "9", "--until", "+1h")[0] == 3
        assert cli("notifications", "9")[0] == 3


class TestWorker:
    """``worker`` sends through the senders the settings configure."""

    def test_without_any_sender_the_worker_refuses_to_start(self, cli: Cli) -> None:
        """Status 2: nothing could be sent."""
        status, _, err = cli("worker", "--once")

        assert status == 2
        assert "no sender is configured" in err

    def test_settings_without_their_secrets_refuse_to_start(self, cli: Cli) -> None:
        """The example wants three secrets from the environment: all named."""
        status, _, err = cli("worker", "--once", "--config", str(EXAMPLE))

        assert status == 2
        assert (
            "ONCALL_TWILIO_AUTH_TOKEN, ONCALL_SMTP_PASSWORD, ONCALL_WEBHOOK_SECRET "
            "must be set in the environment"
        ) in err

    def test_the_console_sends_and_the_notifications_record_it(self, cli: Cli) -> None:
        """chi is paged by SMS and email; each notification's history is shown."""
        now = "2027-01-05T10:00+01:00"
        cli("--now", now, "trigger", "checkout", "Checkout is down")
        status, out, _ = cli("--now", now, "worker", "--once", "--console")

        assert status == 0
        assert "[console] sms to +12*******03 (1/0/0/chi/sms)" in out
        assert out.splitlines()[-1] == (
            "1 cycle(s): 1 step(s) advanced, 2 notification(s) sent, 0 failed."
        )
        status, out, _ = cli("notifications", "1", "--tz", "Europe/Berlin")
        lines = out.splitlines()
        assert lines[0] == "Incident 1: Checkout is down"
        assert "pending 10:00:00 -> sending 10:00:00 -> sent 10:00:00" in out
        assert any(line.split()[:2] == ["10:00:00", "step_fired"] for line in lines)


class TestDoctor:
    """``doctor`` exits 1 when it finds an error."""

    def test_the_example_with_its_secrets_is_healthy(
        self, bare: Cli, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Status 0 and a one-line verdict."""
        for variable, value in SECRETS.items():
            monkeypatch.setenv(variable, value)
        status, out, _ = bare("--now", "2027-01-04T00:00", "doctor", str(EXAMPLE))

        assert status == 0
        assert out == f"No problems found in {EXAMPLE} over the next 14 days.\n"

    def test_missing_secrets_are_errors(self, bare: Cli) -> None:
        """Status 1; each missing variable is an error finding, counted."""
        status, out, _ = bare(
            "--now", "2027-01-04T00:00", "doctor", str(EXAMPLE), "--json"
        )

        assert status == 1
        findings = json.loads(out)
        assert findings["errors"] == 3
        assert {f["where"] for f in findings["findings"]} == {
            "settings.twilio",
            "settings.smtp",
            "settings.webhook",
        }


class TestTimes:
    """Reading typed times, with the DST trio on Europe/Berlin."""

    NOW = datetime(2027, 3, 27, 12, 0, tzinfo=UTC)

    def test_an_unambiguous_local_time(self) -> None:
        """Winter: Berlin is UTC+1."""
        at = parse_when("2027-01-05T10:00", zone=BERLIN, now=self.NOW)

        assert at == datetime(2027, 1, 5, 9, 0, tzinfo=UTC)

    def test_a_skipped_local_time_moves_forward_by_the_gap(self) -> None:
        """02:30 on 28 March 2027 does not exist in Berlin: 03:30 CEST."""
        at = parse_when("2027-03-28T02:30", zone=BERLIN, now=self.NOW)

        assert at == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)

    def test_a_repeated_local_time_means_its_first_occurrence(self) -> None:
        """02:30 on 31 October 2027 happens twice: the CEST one."""
        at = parse_when("2027-10-31T02:30", zone=BERLIN, now=self.NOW)

        assert at == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)

    def test_tomorrow_across_a_dst_change_is_local_midnight(self) -> None:
        """The day after 27 March starts at 23:00 UTC: still CET at midnight."""
        at = parse_when("tomorrow", zone=BERLIN, now=self.NOW)

        assert at == datetime(2027, 3, 27, 23, 0, tzinfo=UTC)

    def test_offsets_and_relative_times(self) -> None:
        """An offset wins over the zone; ``-1d12h`` is elapsed time."""
        assert parse_when("2027-01-05T10:00Z", zone=BERLIN, now=self.NOW) == datetime(
            2027, 1, 5, 10, 0, tzinfo=UTC
        )
        assert parse_when("-1d12h", zone=BERLIN, now=self.NOW) == datetime(
            2027, 3, 26, 0, 0, tzinfo=UTC
        )
        assert parse_when("NOW", zone=BERLIN, now=self.NOW) == self.NOW

    def test_durations_and_spans(self) -> None:
        """``1h30m`` reads; spans show days, hours and minutes."""
        assert parse_duration("1h30m").total_seconds() == 5400
        with pytest.raises(BadInput, match="cannot read '90' as a duration"):
            parse_duration("90")
        assert format_span(parse_duration("2d5h")) == "2d 5h"
        assert format_span(parse_duration("0s")) == "0m"


class TestOutput:
    """Tables, colour and progress."""

    def test_colour_only_on_a_terminal_and_never_with_no_color(self) -> None:
        """``NO_COLOR`` and ``TERM=dumb`` turn it off; a pipe never has it."""

        class Terminal(io.StringIO):
            def isatty(self) -> bool:
                return True

        assert wants_colour(Terminal(), {}) is True
        assert wants_colour(Terminal(), {"NO_COLOR": "1"}) is False
        assert wants_colour(Terminal(), {"TERM": "dumb"}) is False
        assert wants_colour(io.StringIO(), {}) is False

    def test_columns_are_as_wide_as_their_widest_cell(self) -> None:
        """The last column is not padded: no trailing spaces."""
        out = io.StringIO()
        Output(out, io.StringIO()).table(["A", "BB"], [["xxx", "y"], ["z", "long"]])

        assert out.getvalue().splitlines() == ["A    BB", "xxx  y", "z    long"]

    def test_styles_wrap_cells_in_colour_codes_when_colour_is_on(self) -> None:
        """Padding stays outside the codes' count."""
        out = io.StringIO()
        Output(out, io.StringIO(), colour=True).table(["A"], [[("red", "red")]])

        assert out.getvalue().splitlines()[1] == "\x1b[31mred\x1b[0m"

    def test_progress_is_shown_only_on_a_terminal(self) -> None:
        """Without a terminal on standard error, nothing is written there."""
        err = io.StringIO()
        output = Output(io.StringIO(), err, progress=False)
        with output.progress("applying", 3) as progress:
            progress.step("user ana")

        assert err.getvalue() == ""


def test_the_module_runs_as_a_script(tmp_path: Path) -> None:
    """``python -m oncall_adapters.cli --help`` works, for the e2e tests."""
    result = subprocess.run(
        [sys.executable, "-m", "oncall_adapters.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )

    assert result.returncode == 0
    assert result.stdout.startswith("usage: oncall")


class TestSenders:
    """The worker's senders, as the settings build them."""

    def test_slack_posts_to_the_webhook_of_the_incidents_service(self) -> None:
        """A service's own webhook wins; other services use the global one."""
        with FakeHttpServer() as server, loopback_only():
            settings = Settings(
                slack=SlackSettings(
                    webhook_url=server.url("/everyone"),
                    service_webhooks={"checkout": server.url("/checkout")},
                )
            )
            services = {"1": "checkout", "2": "reports"}
            [slack] = build_senders(settings, Secrets(), service_of=services.get)
            at = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
            message = Message(Channel.SLACK, None, "Checkout is down")
            for incident in ("1", "2"):
                key = NotificationKey(incident, 0, 0, "ana", Channel.SLACK)
                notification = Notification(key, NotificationStatus.SENDING, at)
                slack.send(notification, message, "U012AB3CD")

            assert [r.path for r in server.requests] == ["/checkout", "/everyone"]

    def test_the_console_takes_only_the_channels_left_over(self) -> None:
        """With SMTP configured, email is not the console's."""
        settings = Settings(
            smtp=SmtpSettings("smtp.example.com", "oncall@example.com", port=25)
        )
        smtp, console = build_senders(
            settings, Secrets(), service_of=lambda _: None, console=io.StringIO()
        )

        assert smtp.channels == {Channel.EMAIL}
        assert Channel.EMAIL not in console.channels
        assert Channel.SMS in console.channels


def test_who_reports_a_gap_as_nobody(bare: Cli, tmp_path: Path) -> None:
    """Outside office hours: a red "nobody" row, status 0 still."""
    config = tmp_path / "gappy.toml"
    config.write_text(GAPPY)
    bare("init")
    bare("apply", str(config))

    status, out, _ = bare("who", "office", "--at", "2027-01-04T20:00")

    assert status == 0
    assert out.splitlines()[2].split() == [
        "office",
        "nobody",
        "a",
        "gap",
        "in",
        "coverage",
    ]
