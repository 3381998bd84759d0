"""``oncall demo``: the whole app on a throw-away database, with a simulated clock.

The tour applies the shipped example configuration to a new SQLite
database, asks who is on call, triggers an incident and lets the worker
escalate it step by step through the console sender, acknowledges it with
an SMS reply (a signed request to the web app's ``/twilio/inbound`` route,
made in-process: the code path of a real reply), and draws the week's
timeline. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import io
import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import unescape
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from oncall_adapters.cli._apply import apply_config
from oncall_adapters.cli._context import Context
from oncall_adapters.cli._errors import EXIT_OK
from oncall_adapters.cli._output import Cell, Output
from oncall_adapters.cli._setup import describe_config, example_config
from oncall_adapters.cli._times import format_when, parse_when, zone_of
from oncall_adapters.config import Config, parse_config
from oncall_adapters.console import ConsoleSender
from oncall_adapters.dispatch import Dispatcher
from oncall_adapters.pictures import timeline_svg
from oncall_adapters.sql import SqlDirectory, SqlRepository, create_engine, upgrade
from oncall_adapters.sql.store import SqlEscalationStore
from oncall_adapters.sql.worker import Worker
from oncall_adapters.web import make_app
from oncall_core import EscalationEvent, EventKind, Incident, Schedule

__all__ = ["DEMO_START", "SimulatedClock", "run_demo", "run_demo_command"]

DEMO_START = "2027-01-05T09:58"
"""When the tour starts, on the schedule's clock: a Tuesday of the override."""
SCHEDULE = "primary"
SERVICE = "checkout"
_AUTH_TOKEN = "demo-auth-token-not-a-secret"
_BASE_URL = "https://oncall.example.com"


class SimulatedClock:
    """A clock the tour moves forward by hand."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        """Return the simulated instant."""
        return self._now

    def advance(self, by: timedelta) -> None:
        """Move the clock forward by *by*."""
        self._now += by


def run_demo_command(context: Context, arguments: argparse.Namespace) -> int:
    """Run the tour; keep its database and picture in ``--dir`` or a new folder."""
    folder = arguments.dir or Path(tempfile.mkdtemp(prefix="oncall-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    run_demo(context.output, folder, start=context.now_text or DEMO_START)
    return EXIT_OK


def run_demo(output: Output, folder: Path, *, start: str = DEMO_START) -> None:
    """Run the tour in *folder*, starting at *start* on the schedule's clock."""
    config = parse_config(example_config(), source="examples/oncall.toml")
    schedule = config.schedules[SCHEDULE]
    zone = zone_of(schedule.time_zone)
    clock = SimulatedClock(parse_when(start, zone=zone, now=datetime.now(zone)))
    database = folder / "oncall.db"
    database.unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    engine = create_engine(url)
    try:
        _Tour(output, config, schedule, zone, clock, engine, folder, url).run()
    finally:
        engine.dispose()


class _Tour:
    """The tour's steps, sharing the database, the clock and the output."""

    def __init__(
        self,
        output: Output,
        config: Config,
        schedule: Schedule,
        zone: ZoneInfo,
        clock: SimulatedClock,
        engine: Engine,
        folder: Path,
        url: str,
    ) -> None:
        self.output = output
        self.config = config
        self.schedule = schedule
        self.zone = zone
        self.clock = clock
        self.engine = engine
        self.folder = folder
        self.url = url
        self.store = SqlEscalationStore(engine)
        self.repository = SqlRepository(engine)
        self.seen_events = 0

    def run(self) -> None:
        self.set_up()
        self.who()
        incident = self.trigger()
        messages = io.StringIO()
        console = ConsoleSender(messages, clock=self.clock)
        with Dispatcher([console]) as dispatcher:
            worker = Worker(
                self.store,
                SqlDirectory(self.engine),
                dispatcher,
                clock=self.clock,
                owner="demo",
            )
            self.escalate(worker, messages, incident, minutes=0)
            self.escalate(worker, messages, incident, minutes=10)
            self.reply(incident, from_user="ana", minutes=2)
            self.escalate(
                worker,
                messages,
                incident,
                minutes=8,
                idle="the incident is acknowledged: step 3, the whole team, "
                "never fires",
            )
        self.notifications(incident)
        picture = self.picture()
        self.next_steps(incident, picture)

    # The steps.

    def heading(self, text: str) -> None:
        self.output.line()
        self.output.line(text, "bold")

    def at(self) -> str:
        return self.clock.now().astimezone(self.zone).strftime("%H:%M")

    def set_up(self) -> None:
        output = self.output
        output.line(
            "oncall demo: the whole app on a throw-away database, with a simulated "
            "clock.",
            "bold",
        )
        upgrade(self.engine)
        apply_config(self.engine, self.config)
        output.line(
            f"Database {self.url}: applied examples/oncall.toml "
            f"({describe_config(self.config)})."
        )
        output.line(
            f"Schedule {SCHEDULE} ({self.schedule.time_zone}), every layer at once:"
        )
        rows: list[list[Cell]] = []
        for layer in self.schedule.layers:
            rows.append(
                [
                    layer.name,
                    ", ".join(layer.participants),
                    "; ".join(str(r) for r in layer.restrictions) or "always",
                ]
            )
        output.table(["LAYER", "PARTICIPANTS", "WHEN"], rows, indent="  ")
        for override in self.schedule.overrides:
            output.line(
                f"  override: {override.user} covers {override.replaces} from "
                f"{format_when(override.start, self.zone)} to "
                f"{format_when(override.end, self.zone)}"
            )

    def who(self) -> None:
        now = self.clock.now()
        self.heading(f"Who is on call? It is {format_when(now, self.zone)}.")
        shifts = self.schedule.on_call(now)
        for shift in shifts:
            how = "override" if shift.source == "override" else "rotation"
            self.output.line(
                f"  {shift.user} ({self.config.users[shift.user].name}), "
                f"layer {shift.layer}, {how}, until "
                f"{format_when(shift.end, self.zone)}"
            )
        if not shifts:
            self.output.line("  nobody: a gap in coverage", "red")

    def trigger(self) -> Incident:
        self.clock.advance(timedelta(minutes=2))
        service = self.config.services[SERVICE]
        assert service.policy is not None
        policy = self.config.policies[service.policy]
        incident = Incident(
            "1",
            "Checkout error rate above 5%",
            self.clock.now(),
            service=service.id,
            urgency=service.urgency,
        )
        self.heading(f'{self.at()}  oncall trigger {SERVICE} "{incident.title}"')
        self.store.trigger(incident, policy, service=service)
        self.output.line(
            f"  incident {incident.id} opened on {service.name}, "
            f"{incident.urgency.value} urgency; policy {policy.name}: "
            f"{len(policy.steps)} steps, 10 minutes apart"
        )
        self.events(incident)
        return incident

    def escalate(
        self,
        worker: Worker,
        messages: io.StringIO,
        incident: Incident,
        *,
        minutes: int,
        idle: str = "nothing is due: no message goes out",
    ) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        self.heading(f"{self.at()}  the worker runs (oncall worker)")
        worker.cycle()
        self.events(incident)
        sent = messages.getvalue()
        messages.seek(0)
        messages.truncate()
        for line in sent.splitlines():
            self.output.line("    " + line, "dim" if line.startswith("  ") else None)
        if not sent:
            self.output.line(f"  {idle}")

    def reply(self, incident: Incident, *, from_user: str, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        user = self.config.users[from_user]
        body = f"ACK {incident.id}"
        self.heading(f'{self.at()}  {from_user} replies "{body}" by SMS')
        answer = self.inbound_sms(user.contact.phone or "", body)
        self.output.line(
            "  the reply went to the web app's POST /twilio/inbound, signed as "
            "Twilio signs it"
        )
        self.output.line(f"  the app answers by SMS: {answer}")
        self.events(incident)

    def inbound_sms(self, number: str, body: str) -> str:
        """Post an SMS reply to the web app in-process; return its answer's text."""
        app = make_app(
            store=self.store,
            repository=self.repository,
            twilio_auth_tokens=(_AUTH_TOKEN,),
            public_base_url=_BASE_URL,
            clock=self.clock,
        )
        twilio = self.config.settings.twilio
        ours = twilio.from_number if twilio is not None else None
        params = {
            "MessageSid": "SM" + "d" * 32,
            "From": number,
            "To": ours or "",
            "Body": body,
        }
        url = _BASE_URL + "/twilio/inbound"
        signature = RequestValidator(_AUTH_TOKEN).compute_signature(url, params)
        payload = urlencode(params).encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/twilio/inbound",
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "oncall.example.com",
            "SERVER_PORT": "443",
            "HTTP_HOST": "oncall.example.com",
            "wsgi.url_scheme": "https",
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(payload)),
            "HTTP_X_TWILIO_SIGNATURE": signature,
            "wsgi.input": io.BytesIO(payload),
            "wsgi.errors": io.StringIO(),
        }
        statuses: list[str] = []

        def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            statuses.append(status)
            return lambda data: None

        body = b"".join(app(environ, start_response)).decode()
        return _twiml_text(body) or statuses[0]

    def events(self, incident: Incident) -> None:
        events = self.store.events(incident.id)
        for event in events[self.seen_events :]:
            self.output.line(f"  > {_describe(event)}", "cyan")
        self.seen_events = len(events)

    def notifications(self, incident: Incident) -> None:
        self.heading(f"What was sent (oncall notifications {incident.id}):")
        rows: list[list[Cell]] = []
        for notification in self.store.notifications(incident.id):
            key = notification.key
            rows.append(
                [
                    str(key.step + 1),
                    key.user,
                    key.channel.value,
                    notification.status.value,
                    " -> ".join(
                        f"{status.value} {at.astimezone(self.zone):%H:%M}"
                        for at, status in notification.history
                    ),
                ]
            )
        self.output.table(
            ["STEP", "USER", "CHANNEL", "STATUS", "HISTORY"], rows, indent="  "
        )

    def picture(self) -> Path:
        now = self.clock.now().astimezone(self.zone)
        monday = (now - timedelta(days=now.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        since = parse_when(monday.strftime("%Y-%m-%dT00:00"), zone=self.zone, now=now)
        until = parse_when(
            (monday + timedelta(days=7)).strftime("%Y-%m-%dT00:00"),
            zone=self.zone,
            now=now,
        )
        path = self.folder / f"{SCHEDULE}-timeline.svg"
        path.write_text(timeline_svg(self.schedule, since, until), encoding="utf-8")
        self.heading("The week's timeline: layers, the override, the final coverage.")
        self.output.line(f"  written to {path}: open it in any browser")
        return path

    def next_steps(self, incident: Incident, picture: Path) -> None:
        db = f"--db {self.url}"
        lines = [
            (f"oncall {db} incidents --all", "the incident, acknowledged by ana"),
            (
                f"oncall {db} notifications {incident.id}",
                "every message and event of it",
            ),
            (
                f"oncall {db} shifts {SCHEDULE} --since 2027-01-04 --until 2027-01-11",
                "the week's shifts",
            ),
            (f"oncall {db} who --at 2027-01-09T12:00", "who has the weekend"),
            ("oncall doctor examples/oncall.toml", "lint the example set-up"),
            ("oncall init --example oncall.toml", "start your own"),
        ]
        self.heading("Try next:")
        for command, what in lines:
            self.output.line(f"  {command}")
            self.output.line(f"      {what}", "dim")
        self.output.line()
        self.output.line(
            f"The demo's files stay in {self.folder}; delete it when done."
        )


def _twiml_text(body: str) -> str:
    start, end = body.find("<Message>"), body.find("</Message>")
    if start < 0 or end < 0:
        return ""
    return unescape(body[start + len("<Message>") : end])


_SENTENCES: dict[EventKind, Callable[[EscalationEvent], str]] = {
    EventKind.TRIGGERED: lambda e: f"triggered under policy {e.detail}",
    EventKind.STEP_FIRED: lambda e: f"step {_step(e)} fired: {e.detail or e.target}",
    EventKind.ACKNOWLEDGED: lambda e: f"acknowledged by {e.user or 'someone'}",
    EventKind.RESOLVED: lambda e: f"resolved by {e.user or 'someone'}",
}


def _step(event: EscalationEvent) -> str:
    return "?" if event.step is None else str(event.step + 1)


def _describe(event: EscalationEvent) -> str:
    describe = _SENTENCES.get(event.kind)
    if describe is not None:
        return describe(event)
    parts: Iterable[str | None] = (
        event.kind.value,
        None if event.step is None else f"step {event.step + 1}",
        event.user,
        event.target,
        event.reason,
        event.detail,
    )
    return " ".join(part for part in parts if part)
