"""``oncall`` end to end: real subprocesses, a SQLite file, fakes on loopback.

The example configuration (``examples/oncall.toml``) is applied to a fresh
database and asked who is on call; its answers are checked against the
shifts worked out by hand from the example's layers (below). Then an
incident goes all the way: triggered, escalated by ``oncall worker`` through
the fake Twilio and a real SMTP server on 127.0.0.1, a delivery status and
an ``ACK`` reply posted to ``oncall serve``, and the outcome read back.

The week of Monday 4 January 2027, on the clock of Europe/Berlin (CET),
worked out by hand from the example:

- day (Mon-Fri 08:00-20:00, a week each from Mon 5 Jan 2026: ana, ben, chi):
  52 weeks later the turn is ben's (52 mod 3 = 1); chi replaces ben from
  Tue 08:00 to Thu 08:00, so chi has Tuesday's and Wednesday's days.
- night (Mon-Thu 19:00-09:00, a week each from Mon 5 Jan 2026 19:00: dev,
  eli, fay): the turn from Mon 4 Jan 19:00 is eli's (52 mod 3 = 1).
- weekend (Fri 19:00-Mon 09:00, a week each from Fri 9 Jan 2026 19:00:
  fay, eli, dev, chi, ben, ana): the weekend of Fri 1 Jan is turn 51
  (51 mod 6 = 3, chi) and ends Mon 4 Jan 09:00; the one from Fri 8 Jan is
  turn 52 (ben).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from oncall_adapters.web import FEED_AHEAD, FEED_BEHIND
from tests.e2e.support import (
    EXAMPLE,
    SMS_FROM,
    WHATSAPP_FROM,
    Oncall,
    Server,
    environment,
    loopback_config,
)
from tests.integration.fake_http import free_port
from tests.integration.fake_smtp import SmtpServer
from tests.integration.fake_twilio import AUTH_TOKEN, FakeTwilio

BERLIN = ZoneInfo("Europe/Berlin")
SINCE, UNTIL = "2027-01-04T00:00", "2027-01-11T00:00"

# (user, layer, source, from, until) on the clock of Berlin, in order.
WEEK = [
    ("chi", "weekend", "rotation", "2027-01-04T00:00", "2027-01-04T09:00"),
    ("ben", "day", "rotation", "2027-01-04T08:00", "2027-01-04T20:00"),
    ("eli", "night", "rotation", "2027-01-04T19:00", "2027-01-05T09:00"),
    ("chi", "day", "override", "2027-01-05T08:00", "2027-01-05T20:00"),
    ("eli", "night", "rotation", "2027-01-05T19:00", "2027-01-06T09:00"),
    ("chi", "day", "override", "2027-01-06T08:00", "2027-01-06T20:00"),
    ("eli", "night", "rotation", "2027-01-06T19:00", "2027-01-07T09:00"),
    ("ben", "day", "rotation", "2027-01-07T08:00", "2027-01-07T20:00"),
    ("eli", "night", "rotation", "2027-01-07T19:00", "2027-01-08T09:00"),
    ("ben", "day", "rotation", "2027-01-08T08:00", "2027-01-08T20:00"),
    ("ben", "weekend", "rotation", "2027-01-08T19:00", "2027-01-11T00:00"),
]

TWILIO_NUMBERS = (SMS_FROM, WHATSAPP_FROM)
ANA, CHI = "+12015550101", "+12015550103"


def local(text: str) -> str:
    """A UTC ISO instant from the JSON, read on the clock of Berlin, to the minute."""
    at = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(BERLIN)
    return at.strftime("%Y-%m-%dT%H:%M")


def shift_rows(shifts: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    return [
        (s["user"], s["layer"], s["source"], local(s["start"]), local(s["end"]))
        for s in shifts
    ]


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeTwilio, SmtpServer]]:
    with (
        FakeTwilio(numbers=TWILIO_NUMBERS) as twilio,
        SmtpServer(security="none", login=False) as smtp,
    ):
        yield twilio, smtp


def set_up(
    folder: Path, fakes: tuple[FakeTwilio, SmtpServer], port: int
) -> tuple[Oncall, str]:
    """A fresh database with the loopback example applied; the command, the report."""
    twilio, smtp = fakes
    config = folder / "oncall.toml"
    config.write_text(
        loopback_config(
            twilio_url=twilio.base_url,
            smtp_port=smtp.port,
            public_url=f"http://127.0.0.1:{port}",
        ),
        encoding="utf-8",
    )
    oncall = Oncall(
        environment(
            ONCALL_DATABASE_URL=f"sqlite:///{folder / 'oncall.db'}",
            ONCALL_CONFIG=str(config),
            ONCALL_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            ONCALL_FEED_TOKEN="e2e-feed-token-0123456789",
        ),
        folder,
    )
    oncall.run("init")
    return oncall, oncall.run("apply", str(config)).stdout


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> tuple[Oncall, str]:
    """A database with the shipped example applied as it is; apply's output."""
    folder = tmp_path_factory.mktemp("applied")
    oncall = Oncall(
        environment(ONCALL_DATABASE_URL=f"sqlite:///{folder / 'oncall.db'}"), folder
    )
    oncall.run("init")
    return oncall, oncall.run("apply", str(EXAMPLE)).stdout


class TestConfiguration:
    """``init`` and ``apply`` bring a database to match the example."""

    def test_apply_reports_every_value_it_added(
        self, applied: tuple[Oncall, str]
    ) -> None:
        """The first apply adds six users, a team, a schedule, a policy, 2 services."""
        _, report = applied

        assert report.splitlines() == [
            "added user ana",
            "added user ben",
            "added user chi",
            "added user dev",
            "added user eli",
            "added user fay",
            "added team payments",
            "added schedule primary",
            "added policy payments",
            "added service checkout",
            "added service reports",
            report.splitlines()[-1],
        ]
        assert report.splitlines()[-1].startswith("Applied 11 changes to sqlite:///")

    def test_a_second_apply_changes_nothing(self, applied: tuple[Oncall, str]) -> None:
        """Applying the same file again reports no change, and makes none."""
        oncall, _ = applied
        again = oncall.json("apply", str(EXAMPLE))

        assert again["changed"] is False
        assert all(
            kind == {"added": [], "changed": [], "removed": []}
            for kind in again["changes"].values()
        )


class TestSchedules:
    """``who``, ``shifts``, ``ics`` and ``timeline`` give the hand-worked answers."""

    @pytest.mark.parametrize(
        ("at", "expected"),
        [
            (
                "2027-01-06T08:30",
                [("chi", "day", "override"), ("eli", "night", "rotation")],
            ),
            ("2027-01-09T12:00", [("ben", "weekend", "rotation")]),
        ],
    )
    def test_who_is_on_call_at_a_time_on_the_schedules_clock(
        self,
        applied: tuple[Oncall, str],
        at: str,
        expected: list[tuple[str, str, str]],
    ) -> None:
        """``--at`` without an offset is read in Berlin, the schedule's zone."""
        oncall, _ = applied
        [answer] = oncall.json("who", "--at", at)

        assert answer["schedule"] == "primary"
        assert local(answer["at"]) == at
        found = [(s["user"], s["layer"], s["source"]) for s in answer["on_call"]]
        assert sorted(found) == sorted(expected)

    def test_who_prints_a_table_for_people(self, applied: tuple[Oncall, str]) -> None:
        """Without --json: a heading, a header row and one row per shift, aligned."""
        oncall, _ = applied
        lines = oncall.run(
            "who", "primary", "--at", "2027-01-05T10:00"
        ).stdout.splitlines()

        assert lines[0] == "On call at Tue 2027-01-05 10:00 CET:"
        assert lines[1].split() == [
            "SCHEDULE",
            "USER",
            "NAME",
            "LAYER",
            "FROM",
            "UNTIL",
        ]
        assert lines[2].split("  ")[0] == "primary"
        assert "chi" in lines[2]
        assert "day (override)" in lines[2]
        assert lines[1].index("USER") == lines[2].index("chi")

    def test_shifts_of_the_week_are_the_hand_worked_ones(
        self, applied: tuple[Oncall, str]
    ) -> None:
        """Eleven shifts, the override's two days among them, and no gap."""
        oncall, _ = applied
        answer = oncall.json("shifts", "primary", "--since", SINCE, "--until", UNTIL)

        assert shift_rows(answer["shifts"]) == WEEK
        assert answer["gaps"] == []

    def test_the_calendar_holds_exactly_the_shifts(
        self, applied: tuple[Oncall, str], tmp_path: Path
    ) -> None:
        """``ics`` over the week parses with icalendar: an event per shift, no more."""
        oncall, _ = applied
        path = tmp_path / "primary.ics"
        oncall.run(
            "ics", "primary", "--since", SINCE, "--until", UNTIL, "--out", str(path)
        )
        calendar = icalendar.Calendar.from_ical(path.read_bytes())

        events = sorted(
            (
                e.decoded("dtstart").astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M"),
                e.decoded("dtend").astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M"),
                str(e["summary"]).split(" ")[0],
            )
            for e in calendar.walk("VEVENT")
        )
        assert events == sorted((start, end, user) for user, _, _, start, end in WEEK)

    def test_the_timeline_is_valid_svg_showing_every_user_of_the_window(
        self, applied: tuple[Oncall, str], tmp_path: Path
    ) -> None:
        """The picture parses as XML; its text names ben, chi and eli, no one else."""
        oncall, _ = applied
        path = tmp_path / "week.svg"
        oncall.run(
            "timeline",
            "primary",
            "--since",
            SINCE,
            "--until",
            UNTIL,
            "--out",
            str(path),
        )
        root = ET.parse(path).getroot()

        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        texts = {(e.text or "").strip() for e in root.iter() if e.tag.endswith("text")}
        everyone = {"ana", "ben", "chi", "dev", "eli", "fay"}
        assert texts & everyone == {"ben", "chi", "eli"}


class TestAnIncidentEndToEnd:
    """Trigger, page through the fakes, take a status and an ACK, read it back."""

    def test_an_incident_is_paged_delivered_and_acknowledged_by_sms(
        self,
        tmp_path: Path,
        fakes: tuple[FakeTwilio, SmtpServer],
    ) -> None:
        """The whole path, on real processes: every status and event is recorded."""
        twilio, smtp = fakes
        port = free_port()
        oncall, _ = set_up(tmp_path, fakes, port)
        sent_before, mails_before = len(twilio.messages), len(smtp.received)

        # 10:00 Tuesday: chi has the day (the override); the incident opens.
        trigger = oncall.json(
            "trigger",
            "checkout",
            "Checkout error rate above 5%",
            "--id",
            "1",
            "--now",
            "2027-01-05T10:00",
        )
        assert trigger["status"] == "active"
        assert trigger["created"] is True

        # The worker pages chi by SMS (Twilio) and email (SMTP).
        stats = oncall.json("worker", "--once", "--now", "2027-01-05T10:00")
        assert (stats["steps_recorded"], stats["sent"], stats["send_failures"]) == (
            1,
            2,
            0,
        )
        [sms] = twilio.messages[sent_before:]
        assert (sms["to"], sms["from"]) == (CHI, SMS_FROM)
        assert "ACK 1" in sms["body"]
        assert sms["status_callback"] == f"http://127.0.0.1:{port}/twilio/status"
        [mail] = smtp.received[mails_before:]
        assert mail.rcpt_tos == ["chi@example.com"]
        assert "Checkout error rate above 5%" in mail.message["Subject"]

        # Ten minutes on, nobody answered: the lead, ana, gets an SMS.
        oncall.json("worker", "--once", "--now", "2027-01-05T10:11")
        [lead_sms] = twilio.messages[sent_before + 1 :]
        assert lead_sms["to"] == ANA

        server = Server(
            oncall.popen(
                "serve",
                "--port",
                str(port),
                "--now",
                "2027-01-05T10:12",
                log=tmp_path / "serve.log",
            ),
            f"http://127.0.0.1:{port}",
            tmp_path / "serve.log",
        )
        try:
            server.wait_until_up()
            delivered = {
                "MessageSid": sms["sid"],
                "MessageStatus": "delivered",
                "AccountSid": sms["account_sid"],
                "To": CHI,
            }
            forged = server.post("/twilio/status", delivered, token="not-the-token")
            status = server.post("/twilio/status", delivered, token=AUTH_TOKEN)
            reply = {
                "From": ANA,
                "To": SMS_FROM,
                "Body": "ACK 1",
                "MessageSid": "SM" + "a" * 32,
            }
            ack = server.post("/twilio/inbound", reply, token=AUTH_TOKEN)

            feed_since = datetime(2027, 1, 5, 10, 12, tzinfo=BERLIN) - FEED_BEHIND
            feed_until = datetime(2027, 1, 5, 10, 12, tzinfo=BERLIN) + FEED_AHEAD
            feed_status, feed = server.get(
                "/calendars/schedules/primary.ics?token=e2e-feed-token-0123456789"
            )
        finally:
            stopped = server.stop()

        assert forged[0] == 403
        assert status[0] == 204
        assert ack[0] == 200
        assert "Acknowledged 1" in ack[1]
        assert stopped == 0, server.log.read_text()

        # What was recorded, read back as a script would.
        record = oncall.json("notifications", "1")
        assert record["incident"]["status"] == "acknowledged"
        assert record["incident"]["acknowledged_by"] == "ana"
        by_key = {n["key"]: n for n in record["notifications"]}
        assert set(by_key) == {"1/0/0/chi/sms", "1/0/0/chi/email", "1/1/0/ana/sms"}
        chi_sms = by_key["1/0/0/chi/sms"]
        assert chi_sms["status"] == "delivered"
        assert chi_sms["provider_id"] == sms["sid"]
        assert [h["status"] for h in chi_sms["history"]] == [
            "pending",
            "sending",
            "sent",
            "delivered",
        ]
        assert by_key["1/0/0/chi/email"]["status"] == "sent"
        assert by_key["1/1/0/ana/sms"]["status"] == "sent"
        assert [
            (e["kind"], e["step"], e["user"], e["detail"]) for e in record["events"]
        ] == [
            ("triggered", None, None, "payments"),
            ("step_fired", 0, None, "chi"),
            ("step_fired", 1, None, "ana"),
            ("acknowledged", 2, "ana", ""),
        ]

        # Acknowledged: the third step (the whole team) never fires.
        later = oncall.json("worker", "--once", "--now", "2027-01-05T10:25")
        assert (later["steps_recorded"], later["sent"]) == (0, 0)
        assert len(twilio.messages) == sent_before + 2

        # The served feed holds exactly the shifts of `shifts` over its window.
        assert feed_status == 200
        events = icalendar.Calendar.from_ical(feed).walk("VEVENT")
        shifts = oncall.json(
            "shifts",
            "primary",
            "--since",
            feed_since.isoformat(),
            "--until",
            feed_until.isoformat(),
        )["shifts"]
        assert len(shifts) > 40
        assert sorted(
            (
                e.decoded("dtstart").astimezone(BERLIN),
                e.decoded("dtend").astimezone(BERLIN),
            )
            for e in events
        ) == sorted(
            (
                datetime.fromisoformat(s["start"].replace("Z", "+00:00")),
                datetime.fromisoformat(s["end"].replace("Z", "+00:00")),
            )
            for s in shifts
        )
