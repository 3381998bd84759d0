"""Resolving and advancing escalations: the core's cost per incident.

10,000 incidents (``--quick``: 1,000) are triggered at random instants over a
year on a 3-layer schedule in Europe/Berlin, under the policy "schedule now,
team lead after 10 min by SMS, whole team after 20 min, repeat once". For
each incident the bench times, separately:

- ``resolve_step`` of the schedule step at the trigger (who is on call);
- a whole escalation driven to its end: start, then ``advance`` at every due
  time until it is exhausted (8 step firings, with routing and notifications).

It prints the time per incident and the notifications produced, and checks
that every escalation ended exhausted with one notification per user,
channel, step and pass. Run: ``.venv/bin/python bench/bench_escalation.py``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from datetime import time as clock

from oncall_core import (
    Channel,
    Contact,
    Escalation,
    EscalationPolicy,
    EscalationStatus,
    EscalationStep,
    Incident,
    InMemoryDirectory,
    Layer,
    Preferences,
    Restriction,
    Schedule,
    ScheduleTarget,
    Team,
    TeamTarget,
    User,
    resolve_step,
)

START = datetime(2024, 1, 1, 8, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def directory() -> InMemoryDirectory:
    """Twelve people, one team, a 3-layer schedule in Europe/Berlin."""
    names = [f"user{k:02d}" for k in range(12)]
    users = [
        User(
            name,
            time_zone="Europe/Berlin",
            contact=Contact(
                email=f"{name}@example.com",
                phone=f"+49151000000{k:02d}",
                push_tokens=(f"token-{name}",),
            ),
            preferences=Preferences(enabled={Channel.PUSH, Channel.EMAIL}),
        )
        for k, name in enumerate(names)
    ]
    schedule = Schedule(
        "platform",
        "Europe/Berlin",
        [
            Layer(
                "business",
                names[0:5],
                START,
                timedelta(days=7),
                restrictions=[
                    Restriction.daily(clock(9), clock(17), weekdays=range(5))
                ],
                priority=2,
            ),
            Layer("follow-the-sun", names[5:8], START, timedelta(hours=12)),
            Layer("backstop", names[8:12], START, timedelta(days=7)),
        ],
    )
    team = Team("platform-team", tuple(names), lead=names[0])
    return InMemoryDirectory(users, [team], {"platform": schedule})


POLICY = EscalationPolicy(
    "standard",
    [
        EscalationStep([ScheduleTarget("platform")]),
        EscalationStep(
            [TeamTarget("platform-team", lead_only=True)],
            delay=10 * MINUTE,
            channels=[Channel.SMS],
        ),
        EscalationStep([TeamTarget("platform-team")], delay=10 * MINUTE),
    ],
    repeat=1,
)


def triggers(count: int, seed: int) -> list[datetime]:
    rng = random.Random(seed)
    year = int(timedelta(days=365).total_seconds())
    return [START + timedelta(seconds=rng.randrange(year)) for _ in range(count)]


def drive(incident: Incident, people: InMemoryDirectory) -> tuple[int, Escalation]:
    """Run one escalation to its end; return notifications made and the end state."""
    progress = Escalation.start(incident, POLICY)
    made = 0
    while progress.next_due is not None:
        progress = progress.escalation.advance(progress.next_due, people)
        made += len(progress.notifications)
        keys = {str(n.key) for n in progress.notifications}
        if len(keys) != len(progress.notifications):
            msg = f"{incident.id}: a notification key repeats"
            raise AssertionError(msg)
    return made, progress.escalation


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 incidents")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    count = 1_000 if args.quick else 10_000
    people = directory()
    instants = triggers(count, args.seed)
    incidents = [
        Incident(f"INC-{k}", "Checkout latency", at) for k, at in enumerate(instants)
    ]
    step = POLICY.steps[0]

    began = time.perf_counter()
    reached = sum(len(resolve_step(step, people, at).recipients) for at in instants)
    resolving = time.perf_counter() - began

    began = time.perf_counter()
    made = 0
    exhausted = 0
    for incident in incidents:
        notifications, end = drive(incident, people)
        made += notifications
        exhausted += end.status is EscalationStatus.EXHAUSTED
    driving = time.perf_counter() - began

    print(
        f"{count:,} incidents over a year on a 3-layer Europe/Berlin schedule; "
        "policy: schedule, lead by SMS after 10 min, team after 20 min, repeat once"
    )
    print(f"{'measure':<46}{'total':>10}{'per incident':>16}")
    print(
        f"{'resolve_step(schedule step) at the trigger':<46}"
        f"{resolving:>9.2f}s{resolving / count * 1e6:>13.1f} µs"
    )
    print(
        f"{'whole escalation: start + advance to the end':<46}"
        f"{driving:>9.2f}s{driving / count * 1e6:>13.1f} µs"
    )
    print(
        f"people on call per trigger: {reached / count:.2f}; notifications per "
        f"incident: {made / count:.1f}; exhausted: {exhausted:,} of {count:,}"
    )
    return 0 if exhausted == count else 1


if __name__ == "__main__":
    sys.exit(main())
