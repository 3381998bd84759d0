"""Benchmark oncall_core against icalendar + recurring-ical-events.

The peer is what a Python user would do today (and what Grafana OnCall does):
write each rotation as recurring iCalendar events (one VEVENT per participant
with an RRULE), then expand them with ``recurring_ical_events``. Both sides must
give the same answers; the script exits 1 if they differ, 0 otherwise (the
speed targets are reported as PASS/FAIL but do not change the exit status).

Run from the repository root::

    .venv/bin/python bench/bench_schedule.py [--quick] [--seed N]
"""

from __future__ import annotations

import argparse
import gc
import math
import platform
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events  # type: ignore[import-untyped]

try:
    from oncall_core import Coverage, Layer, Restriction, Schedule, Shift
except ImportError as exc:  # pragma: no cover - only when the engine is missing
    sys.exit(f"cannot import oncall_core ({exc}); run `make` or `pip install -e .`")

T = TypeVar("T")

TIME_ZONE = "Europe/Berlin"
TZ = ZoneInfo(TIME_ZONE)
START = datetime(2020, 1, 6, 9, 0, tzinfo=TZ)  # a Monday, 09:00 local
WEEK = timedelta(days=7)
HALF_DAY = timedelta(hours=12)
BUSINESS_DAYS = (0, 1, 2, 3, 4)  # datetime.weekday(): Monday .. Friday
ICAL_BUSINESS_DAYS = ["MO", "TU", "WE", "TH", "FR"]
BUSINESS_START = clock_time(9, 0)
BUSINESS_END = clock_time(17, 0)
BUSINESS_HOURS = timedelta(hours=8)
STAMP = datetime(2020, 1, 1, tzinfo=UTC)

POINT_TEAM = ("alice", "bob", "carol", "dave", "erin")
TEAM_A = ("ana", "ben", "cleo", "dan", "eva")
TEAM_B = ("finn", "gus", "hana")
TEAM_C = ("ida", "jon", "kai", "lea")

RENDER_SINCE = datetime(2024, 1, 1, tzinfo=TZ).astimezone(UTC)
RENDER_UNTIL = datetime(2025, 1, 1, tzinfo=TZ).astimezone(UTC)

POINT_TARGET = 100.0  # oncall_core at least 100x faster per point query
RENDER_TARGET = 10.0  # at least 10x faster rendering
SCALING_TARGET = 1.2  # a query 10 years out costs at most 1.2x one 1 day out

# (user, start UTC, end UTC), sorted: the comparable answer of a point query.
Answer = tuple[tuple[str, datetime, datetime], ...]
Intervals = list[tuple[datetime, datetime]]


@dataclass(frozen=True)
class Config:
    """How much work a run does."""

    instants: int  # random point-query instants over 10 years
    edge_turns: int  # handoffs checked exactly (and 1 µs before)
    our_repeats: int  # timed passes over all instants, oncall_core
    peer_repeats: int  # timed passes over all instants, the peer
    scaling_instants: int  # oncall_core instants near +1 day / +10 years
    scaling_repeats: int
    per_question: int  # instants asked of a fresh peer query, Grafana-style
    peer_scaling_instants: int
    render_repeats_ours: int
    render_repeats_peer: int


FULL = Config(10_000, 522, 5, 3, 2_000, 7, 500, 200, 5, 3)
QUICK = Config(1_000, 45, 3, 1, 500, 7, 50, 30, 3, 1)


@dataclass
class Report:
    """Answers checked and differences found."""

    checked: int = 0
    differences: dict[str, list[str]] = field(default_factory=dict)  # by kind

    def check(self, same: bool) -> bool:
        """Count one answer checked; return whether it matched."""
        self.checked += 1
        return same

    def differ(self, kind: str, detail: str) -> None:
        self.differences.setdefault(kind, []).append(detail)

    def compare(self, kind: str, at: datetime, ours: Answer, peer: Answer) -> None:
        if not self.check(ours == peer):
            self.differ(
                kind,
                f"at {at.isoformat()} ({local(at)}):\n"
                f"    oncall_core: {describe(ours)}\n"
                f"    ical peer:   {describe(peer)}",
            )

    @property
    def count(self) -> int:
        return sum(len(found) for found in self.differences.values())

    def print_differences(self, examples: int = 3) -> None:
        for kind, found in self.differences.items():
            print(f"  {kind}: {len(found):,} differences, e.g.")
            for detail in found[:examples]:
                print("    DIFF " + detail.replace("\n", "\n    "))


# ---------------------------------------------------------------- helpers


def local(at: datetime) -> str:
    return at.astimezone(TZ).strftime("%a %Y-%m-%d %H:%M:%S.%f %Z")


def describe(answer: Answer) -> str:
    if not answer:
        return "nobody"
    return ", ".join(f"{u} [{local(s)} .. {local(e)})" for u, s, e in answer)


def as_utc(value: Any) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise TypeError(f"expected an aware datetime, got {value!r}")
    return value.astimezone(UTC)


def wall(at: datetime, delta: timedelta) -> datetime:
    """Local wall-clock arithmetic in TZ, returned in UTC."""
    return (at.astimezone(TZ) + delta).astimezone(UTC)


def in_zone(instants: Iterable[datetime]) -> list[datetime]:
    """The instants in the calendar's zone, as the peer needs them (see README)."""
    return [at.astimezone(TZ) for at in instants]


def our_answer(shifts: Iterable[Shift]) -> Answer:
    return tuple(sorted((s.user, as_utc(s.start), as_utc(s.end)) for s in shifts))


def peer_answer(events: Iterable[icalendar.Component]) -> Answer:
    return tuple(
        sorted(
            (
                str(e["SUMMARY"]),
                as_utc(e.decoded("DTSTART")),
                as_utc(e.decoded("DTEND")),
            )
            for e in events
        )
    )


def timed_passes(
    fn: Callable[[datetime], T], instants: Sequence[datetime], repeats: int
) -> tuple[float, list[T]]:
    """Best time per call over `repeats` passes, and the last pass's results."""
    best = math.inf
    results: list[T] = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            started = time.perf_counter()
            results = [fn(at) for at in instants]
            best = min(best, time.perf_counter() - started)
    finally:
        if gc_was_enabled:
            gc.enable()
    return best / len(instants), results


def best_time(fn: Callable[[], T], repeats: int) -> tuple[float, T]:
    best = math.inf
    result: T | None = None
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return best, result


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def mark(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(
        h.ljust(w) if i == 0 else h.rjust(w)
        for i, (h, w) in enumerate(zip(header, widths, strict=True))
    )
    print(line)
    print("-" * len(line))
    for row in rows:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )


# ------------------------------------------------- the two models of a rotation


def business_hours() -> Restriction:
    return Restriction.daily(BUSINESS_START, BUSINESS_END, weekdays=BUSINESS_DAYS)


def point_layer(*, restricted: bool) -> Layer:
    restrictions = (business_hours(),) if restricted else ()
    return Layer("weekly", POINT_TEAM, START, WEEK, restrictions=restrictions)


def point_schedule(*, restricted: bool) -> Schedule:
    return Schedule("point", TIME_ZONE, [point_layer(restricted=restricted)])


def render_schedule() -> Schedule:
    layers = [
        Layer("A", TEAM_A, START, WEEK, restrictions=(business_hours(),)),
        Layer("B", TEAM_B, START, HALF_DAY),
        Layer("C", TEAM_C, START, WEEK),
    ]
    return Schedule("render", TIME_ZONE, layers, coverage=Coverage.ALL_LAYERS)


def vevent(
    uid: str, user: str, start: datetime, length: timedelta, rule: dict[str, Any]
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", STAMP)
    event.add("summary", user)
    event.add("dtstart", start)  # aware in Europe/Berlin: DTSTART;TZID=...
    event.add("duration", length)
    event.add("rrule", rule)
    return event


def as_feed(events: Iterable[icalendar.Event]) -> icalendar.Calendar:
    """A calendar as a client would get it: serialised to ICS, parsed back."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//oncall bench//EN")
    calendar.add("version", "2.0")
    for event in events:
        calendar.add_component(event)
    add_missing_timezones = getattr(calendar, "add_missing_timezones", None)
    if add_missing_timezones is not None:  # icalendar >= 6.1: RFC-valid VTIMEZONE
        add_missing_timezones()
    return icalendar.Calendar.from_ical(calendar.to_ical())


def weekly_events(
    name: str, team: Sequence[str], *, restricted: bool
) -> list[icalendar.Event]:
    """One VEVENT per participant: their first turn, repeated every len(team)."""
    events = []
    for p, user in enumerate(team):
        first = START + p * WEEK  # aware + timedelta: wall clock
        rule: dict[str, Any] = {"freq": "weekly", "interval": len(team)}
        if restricted:  # 09:00-17:00 on the weekdays of the user's week
            rule["byday"] = ICAL_BUSINESS_DAYS
            events.append(vevent(f"{name}-{p}", user, first, BUSINESS_HOURS, rule))
        else:
            events.append(vevent(f"{name}-{p}", user, first, WEEK, rule))
    return events


def half_day_events(name: str, team: Sequence[str]) -> list[icalendar.Event]:
    """12 h turns: turn i starts at START + i*12h (wall); user i % n.

    A user's turns repeat every n*12h; for n = 3 that is 36 h, which is not a
    whole number of days, so each user gets two DAILY;INTERVAL=3 series.
    """
    period = len(team) * HALF_DAY
    series_per_user = 1
    while (series_per_user * period) % timedelta(days=1):
        series_per_user += 1
    interval_days = (series_per_user * period) // timedelta(days=1)
    events = []
    for p, user in enumerate(team):
        for k in range(series_per_user):
            turn = p + k * len(team)
            events.append(
                vevent(
                    f"{name}-{turn}",
                    user,
                    START + turn * HALF_DAY,
                    HALF_DAY,
                    {"freq": "daily", "interval": interval_days},
                )
            )
    return events


def point_calendar(*, restricted: bool) -> icalendar.Calendar:
    return as_feed(weekly_events("weekly", POINT_TEAM, restricted=restricted))


def render_calendar() -> icalendar.Calendar:
    return as_feed(
        [
            *weekly_events("A", TEAM_A, restricted=True),
            *half_day_events("B", TEAM_B),
            *weekly_events("C", TEAM_C, restricted=False),
        ]
    )


# ------------------------------------------------------------- point queries


@dataclass(frozen=True)
class PointResult:
    checked_random: int
    checked_edges: int
    ours_on_call: float
    ours_users: float
    peer_at: float
    peer_utc_misses: int  # edge instants the peer gets wrong when asked in UTC
    peer_per_question: float  # of(calendar).at(t), a new query for each question
    per_question_count: int


def random_instants(rng: random.Random, count: int) -> list[datetime]:
    """`count` instants, uniform (µs resolution) over the 10 years from START."""
    start = START.astimezone(UTC)
    span = START.replace(year=START.year + 10).astimezone(UTC) - start
    span_us = span // timedelta(microseconds=1)
    return [
        start + timedelta(microseconds=rng.randrange(span_us)) for _ in range(count)
    ]


def edge_instants(turns: int) -> list[datetime]:
    """Every handoff of the first `turns` turns, and 1 µs before each."""
    out = []
    for k in range(turns):
        handoff = wall(START, k * WEEK)
        out += [handoff - timedelta(microseconds=1), handoff]
    return out


def bench_points(cfg: Config, rng: random.Random, report: Report) -> PointResult:
    schedule = point_schedule(restricted=False)
    query = recurring_ical_events.of(point_calendar(restricted=False))
    instants = random_instants(rng, cfg.instants)

    ours_on_call, ours = timed_passes(schedule.on_call, instants, cfg.our_repeats)
    ours_users, users = timed_passes(schedule.users_on_call, instants, cfg.our_repeats)
    # The peer is asked in the calendar's zone: asked with UTC instants it misses
    # the last hour of a week that spans a DST fall-back (see peer_utc_misses).
    peer_at, peer = timed_passes(query.at, in_zone(instants), cfg.peer_repeats)

    for at, our_shifts, our_users, peer_events in zip(
        instants, ours, users, peer, strict=True
    ):
        ours_a, peer_a = our_answer(our_shifts), peer_answer(peer_events)
        report.compare("on_call", at, ours_a, peer_a)
        expected = tuple(dict.fromkeys(u for u, _, _ in peer_a))
        if not report.check(tuple(our_users) == expected):
            report.differ(
                "users_on_call", f"at {at.isoformat()}: {our_users!r} != {expected!r}"
            )

    # Grafana OnCall builds the expansion for every question it asks
    # (recurring_ical_events.of(calendar).between(...) per call); time that too,
    # on the first instants, with the calendar parsed once.
    calendar = point_calendar(restricted=False)
    asked = in_zone(instants[: cfg.per_question])

    def fresh(at: datetime) -> list[icalendar.Component]:
        return list(recurring_ical_events.of(calendar).at(at))

    peer_fresh, fresh_answers = timed_passes(fresh, asked, 1)
    for at, events, our_shifts in zip(asked, fresh_answers, ours, strict=False):
        report.compare(
            "on_call (per question)", at, our_answer(our_shifts), peer_answer(events)
        )

    edges = edge_instants(cfg.edge_turns)
    peer_utc_misses = 0
    for at in edges:
        peer_a = peer_answer(query.at(at.astimezone(TZ)))
        report.compare(
            "on_call (handoff edge)", at, our_answer(schedule.on_call(at)), peer_a
        )
        peer_utc_misses += peer_answer(query.at(at)) != peer_a
    return PointResult(
        len(instants),
        len(edges),
        ours_on_call,
        ours_users,
        peer_at,
        peer_utc_misses,
        peer_fresh,
        len(asked),
    )


# ----------------------------------------------------------------- scaling


@dataclass(frozen=True)
class ScalingResult:
    label: str
    ours_near: float
    ours_far: float
    peer_near: float
    peer_far: float


def scaling_offsets(rng: random.Random, count: int) -> list[timedelta]:
    day_us = timedelta(days=1) // timedelta(microseconds=1)
    return [timedelta(microseconds=rng.randrange(day_us)) for _ in range(count)]


def bench_scaling(
    cfg: Config, rng: random.Random, report: Report, *, restricted: bool
) -> ScalingResult:
    """Cost of a query on day 1 vs on the same weekday and hours 10 years later.

    +1 day is Tuesday 2020-01-07 09:00 local; +522 weeks is Tuesday 2030-01-08
    09:00 local; the same random offsets within the next 24 h are added to both.
    """
    schedule = point_schedule(restricted=restricted)
    offsets = scaling_offsets(rng, cfg.scaling_instants)
    near_base = START + timedelta(days=1)
    far_base = START + timedelta(weeks=522, days=1)
    near = [wall(near_base, o) for o in offsets]
    far = [wall(far_base, o) for o in offsets]

    ours_near = ours_far = math.inf
    for _ in range(cfg.scaling_repeats):  # interleaved, to share any drift
        ours_near = min(ours_near, timed_passes(schedule.on_call, near, 1)[0])
        ours_far = min(ours_far, timed_passes(schedule.on_call, far, 1)[0])

    # The peer, for context (a fresh query object; near first, then far).
    query = recurring_ical_events.of(point_calendar(restricted=restricted))
    n = cfg.peer_scaling_instants
    peer_near, near_events = timed_passes(query.at, in_zone(near[:n]), 1)
    peer_far, far_events = timed_passes(query.at, in_zone(far[:n]), 1)

    what = "on_call (restricted)" if restricted else "on_call"
    for at, events in zip(near[:n] + far[:n], near_events + far_events, strict=True):
        report.compare(what, at, our_answer(schedule.on_call(at)), peer_answer(events))
    label = "restricted (Mon-Fri 09-17)" if restricted else "unrestricted"
    return ScalingResult(label, ours_near, ours_far, peer_near, peer_far)


# --------------------------------------------------------------- rendering


@dataclass(frozen=True)
class RenderResult:
    ours: float
    peer: float
    our_shifts: int
    peer_events: int
    users: int


def merge(intervals: Iterable[tuple[datetime, datetime]]) -> Intervals:
    out: Intervals = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def subtract(a: Intervals, b: Intervals) -> Intervals:
    """Merged interval set a minus merged interval set b."""
    out: Intervals = []
    for start, end in a:
        cursor = start
        for b_start, b_end in b:
            if b_end <= cursor or b_start >= end:
                continue
            if b_start > cursor:
                out.append((cursor, b_start))
            cursor = max(cursor, b_end)
        if cursor < end:
            out.append((cursor, end))
    return out


def coverage(
    triples: Iterable[tuple[str, datetime, datetime]],
    since: datetime,
    until: datetime,
) -> dict[str, Intervals]:
    """Per user, the merged UTC intervals, clipped to [since, until)."""
    per_user: dict[str, list[tuple[datetime, datetime]]] = {}
    for user, start, end in triples:
        start, end = max(start, since), min(end, until)
        if start < end:
            per_user.setdefault(user, []).append((start, end))
    return {user: merge(spans) for user, spans in per_user.items()}


def compare_coverage(
    report: Report, ours: dict[str, Intervals], peer: dict[str, Intervals]
) -> None:
    def detail(user: str, mine: Intervals, theirs: Intervals) -> str:
        lines = [f"coverage of {user!r}:"]
        for label, spans in (
            ("only oncall_core", subtract(mine, theirs)),
            ("only ical peer", subtract(theirs, mine)),
        ):
            lines += [f"    {label}: [{local(s)} .. {local(e)})" for s, e in spans[:5]]
            if len(spans) > 5:
                lines.append(f"    {label}: ... {len(spans) - 5} more")
        return "\n".join(lines)

    for user in sorted(ours.keys() | peer.keys()):
        mine, theirs = ours.get(user, []), peer.get(user, [])
        if not report.check(mine == theirs):
            report.differ("shifts (one year)", detail(user, mine, theirs))


def bench_render(cfg: Config, report: Report) -> RenderResult:
    calendar = render_calendar()
    since, until = RENDER_SINCE, RENDER_UNTIL
    local_since, local_until = in_zone((since, until))

    def ours() -> list[Shift]:
        return list(render_schedule().shifts(since, until))

    def peer() -> list[icalendar.Component]:
        query = recurring_ical_events.of(calendar)
        return list(query.between(local_since, local_until))

    ours_time, shifts = best_time(ours, cfg.render_repeats_ours)
    peer_time, events = best_time(peer, cfg.render_repeats_peer)

    ours_cov = coverage(our_answer(shifts), since, until)
    peer_cov = coverage(peer_answer(events), since, until)
    compare_coverage(report, ours_cov, peer_cov)
    return RenderResult(
        ours_time, peer_time, len(shifts), len(events), len(ours_cov | peer_cov)
    )


# --------------------------------------------------------------------- main


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run")
    parser.add_argument("--seed", type=int, default=20200106, help="random seed")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    rng = random.Random(args.seed)
    report = Report()
    began = time.perf_counter()

    print(
        f"oncall_core vs icalendar {package_version('icalendar')} + "
        f"recurring-ical-events {package_version('recurring-ical-events')} | "
        f"Python {platform.python_version()} on {platform.machine()} | "
        f"seed {args.seed}{' | quick' if args.quick else ''}"
    )
    print(
        f"time zone {TIME_ZONE}; rotations start {START:%a %Y-%m-%d %H:%M} local; "
        "times are the best of several passes\n"
    )

    points = bench_points(cfg, rng, report)
    scaling = [
        bench_scaling(cfg, rng, report, restricted=False),
        bench_scaling(cfg, rng, report, restricted=True),
    ]
    render = bench_render(cfg, report)

    point_speedup = points.peer_at / points.ours_on_call
    users_speedup = points.peer_at / points.ours_users
    fresh_speedup = points.peer_per_question / points.ours_on_call
    render_speedup = render.peer / render.ours
    print(
        f"Point queries: 5-person weekly rotation, {points.checked_random:,} random "
        f"instants over 10 years (+ {points.checked_edges:,} handoff edges)"
    )
    print(
        "Rendering: 3 layers (A: 5 weekly, Mon-Fri 09-17; B: 3 x 12 h; C: 4 weekly),"
        f" one year, {render.our_shifts:,} shifts vs {render.peer_events:,} events\n"
    )
    print_table(
        ("measure", "oncall_core", "ical peer", "speedup", "target", ""),
        [
            (
                "point: on_call(t) vs at(t)",
                fmt_time(points.ours_on_call),
                fmt_time(points.peer_at),
                f"{point_speedup:,.0f}x",
                f">= {POINT_TARGET:.0f}x",
                mark(point_speedup >= POINT_TARGET),
            ),
            (
                "point: users_on_call(t) vs at(t)",
                fmt_time(points.ours_users),
                fmt_time(points.peer_at),
                f"{users_speedup:,.0f}x",
                f">= {POINT_TARGET:.0f}x",
                mark(users_speedup >= POINT_TARGET),
            ),
            (
                "point: on_call(t) vs of(cal).at(t) *",
                fmt_time(points.ours_on_call),
                fmt_time(points.peer_per_question),
                f"{fresh_speedup:,.0f}x",
                f">= {POINT_TARGET:.0f}x",
                mark(fresh_speedup >= POINT_TARGET),
            ),
            (
                "render: shifts(1 year) vs between()",
                fmt_time(render.ours),
                fmt_time(render.peer),
                f"{render_speedup:,.1f}x",
                f">= {RENDER_TARGET:.0f}x",
                mark(render_speedup >= RENDER_TARGET),
            ),
        ],
    )
    print(
        f"* a new recurring_ical_events query per question, as Grafana OnCall asks "
        f"(the calendar parsed once; {points.per_question_count:,} instants); the "
        "rows above reuse one query object, the peer's fastest use."
    )
    print(
        "\nCost of on_call(t) by distance from the layer start (same weekday/hours)\n"
    )
    print_table(
        (
            "layer",
            "ours +1 day",
            "ours +10 y",
            "ratio",
            "target",
            "",
            "peer +1 day",
            "peer +10 y",
        ),
        [
            (
                s.label,
                fmt_time(s.ours_near),
                fmt_time(s.ours_far),
                f"{s.ours_far / s.ours_near:.2f}x",
                f"<= {SCALING_TARGET}x",
                mark(s.ours_far / s.ours_near <= SCALING_TARGET),
                fmt_time(s.peer_near),
                fmt_time(s.peer_far),
            )
            for s in scaling
        ],
    )

    print(
        f"\nAnswers checked: {report.checked:,} (on_call and users_on_call at the "
        "random instants; on_call at the handoff edges and scaling samples; "
        f"{render.users} users' one-year coverage); "
        f"differences: {report.count:,}"
    )
    report.print_differences()
    print(
        f"Peer pitfall: asked with UTC instants instead of {TIME_ZONE} ones, "
        f"recurring-ical-events answers {points.peer_utc_misses} of "
        f"{points.checked_edges:,} handoff-edge instants wrongly"
        + (
            " (nobody on call in the last hour of a week spanning a DST fall-back)"
            if points.peer_utc_misses
            else ""
        )
        + f"; the figures above ask it with {TIME_ZONE} instants."
    )
    print(f"Total run time {time.perf_counter() - began:.1f} s")
    return 1 if report.differences else 0


if __name__ == "__main__":
    sys.exit(main())
