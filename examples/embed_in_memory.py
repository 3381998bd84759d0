"""Embedding oncall in your own app: your directory, your sender, your clock.

Nothing here touches a database or the network. The host keeps its people
where it already keeps them (here, a dict of employee records), shows the
core how to read them through the ``Directory`` port, sends messages through
a ``Sender`` of its own, and drives the escalation with a clock it controls.

Run it: ``python examples/embed_in_memory.py``
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from oncall_core import (
    Channel,
    Contact,
    DeliveryEvent,
    DeliveryEventKind,
    Escalation,
    EscalationPolicy,
    EscalationStep,
    Incident,
    Layer,
    Message,
    Notification,
    NotificationStatus,
    Preferences,
    Schedule,
    ScheduleTarget,
    Team,
    TeamTarget,
    Templates,
    User,
    apply_delivery_event,
    mask_phone,
)

# What the host already has: its own records of people.
EMPLOYEES = {
    "ana": {"name": "Ana", "mail": "ana@example.com", "mobile": "+12015550001"},
    "ben": {"name": "Ben", "mail": "ben@example.com", "mobile": "+12015550002"},
    "chi": {"name": "Chi", "mail": "chi@example.com", "mobile": "+12015550003"},
}


class SimulatedClock:
    """The host's clock: here it jumps to whatever is due next."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        return self.at


class EmployeeDirectory:
    """The ``Directory`` port over the host's records: user, team, schedule."""

    def __init__(self, schedules: dict[str, Schedule], teams: list[Team]) -> None:
        self.schedules = schedules
        self.teams = {team.id: team for team in teams}

    def user(self, user_id: str) -> User | None:
        record = EMPLOYEES.get(user_id)
        if record is None:
            return None
        return User(
            user_id,
            name=record["name"],
            time_zone="Europe/London",
            contact=Contact(email=record["mail"], phone=record["mobile"]),
            preferences=Preferences(enabled={Channel.SMS, Channel.EMAIL}),
        )

    def team(self, team_id: str) -> Team | None:
        return self.teams.get(team_id)

    def schedule(self, schedule_id: str) -> Schedule | None:
        return self.schedules.get(schedule_id)


class PrintingSender:
    """The ``Sender`` port: prints what it would send, masks phone numbers."""

    name = "printing"
    channels = frozenset({Channel.SMS, Channel.EMAIL})

    def __init__(self, clock: SimulatedClock) -> None:
        self.clock = clock
        self._ids = itertools.count(1)

    def send(
        self, notification: Notification, message: Message, address: str
    ) -> DeliveryEvent:
        email = notification.channel is Channel.EMAIL
        shown = address if email else mask_phone(address)
        first_line = message.text.splitlines()[0]
        print(f"    {notification.channel.value:<5} to {shown}: {first_line}")
        return DeliveryEvent(
            DeliveryEventKind.SENT, self.clock.now(), provider_id=f"p-{next(self._ids)}"
        )


def main() -> None:
    start = datetime(2024, 3, 4, 9, tzinfo=UTC)
    clock = SimulatedClock(start + timedelta(days=1, hours=5))  # Tuesday 14:00
    schedule = Schedule(
        "Platform",
        "Europe/London",
        [Layer("weekly", ["ana", "ben", "chi"], start, timedelta(days=7))],
    )
    team = Team("platform-team", ["ana", "ben", "chi"], lead="ben")
    directory = EmployeeDirectory({"platform": schedule}, [team])
    policy = EscalationPolicy(
        "standard",
        [
            EscalationStep([ScheduleTarget("platform")]),
            EscalationStep(
                [TeamTarget("platform-team", lead_only=True)],
                delay=timedelta(minutes=10),
                channels=[Channel.SMS],
            ),
            EscalationStep([TeamTarget("platform-team")], delay=timedelta(minutes=10)),
        ],
    )
    sender = PrintingSender(clock)
    templates = Templates()

    incident = Incident("INC-7", "Checkout answers 500", clock.now())
    progress = Escalation.start(incident, policy)
    escalation = progress.escalation
    sent: list[Notification] = []
    answered_at = clock.now() + timedelta(minutes=12)  # when Ben will answer
    print(f"{clock.now():%H:%M} {incident.id} triggered: {incident.title}")

    # The host's loop: wait until something is due, advance, send, record.
    while escalation.next_due is not None and escalation.next_due <= answered_at:
        clock.at = max(clock.now(), escalation.next_due)
        progress = escalation.advance(clock.now(), directory)
        escalation = progress.escalation
        for event in progress.events:
            print(f"{event.at:%H:%M} {event.kind.value} (step {event.step})")
        for notification in progress.notifications:
            if notification.status is not NotificationStatus.PENDING:
                continue  # standby or held: sent later, if at all
            user = directory.user(notification.user)
            assert user is not None
            address = user.contact.address(notification.channel)
            assert address is not None
            message = templates.render(
                incident,
                notification.channel,
                user=user,
                step=notification.key.step,
                pass_=notification.key.pass_,
            )
            outcome = sender.send(notification, message, address)
            sent.append(apply_delivery_event(notification, outcome))

    # Ben answers two minutes after his SMS: nothing more fires.
    clock.at = answered_at
    progress = escalation.acknowledge(clock.now(), by="ben")
    escalation = progress.escalation
    print(f"{clock.now():%H:%M} acknowledged by ben; status {escalation.status.value}")
    print(f"next due: {escalation.next_due}; {len(sent)} messages sent:")
    for notification in sent:
        print(f"  {notification.key} {notification.status.value}")


if __name__ == "__main__":
    main()
