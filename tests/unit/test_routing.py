"""Routing: which channels reach a user, in which order, how, and when."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from oncall_core._directory import (
    Channel,
    Contact,
    Preferences,
    QuietHours,
    Service,
    Urgency,
    User,
)
from oncall_core._notifications import NotificationStatus
from oncall_core._routing import ChannelSource, Strategy, plan_delivery
from oncall_core.errors import InvalidUser, InvalidValue, NaiveDatetime

ROUTING_DOC = Path(__file__).parents[2] / "docs" / "routing.md"
NOON = datetime(2024, 3, 5, 12, tzinfo=UTC)  # a Tuesday
NONE = "—"

COLUMNS = (
    "case",
    "step",
    "service",
    "enabled",
    "contact",
    "priority",
    "urgency",
    "channels",
    "source",
    "strategy",
    "dropped",
    "fallback",
)


def markdown_table(text: str) -> list[tuple[str, ...]]:
    """Return the header and rows of the table between the routing-table markers."""
    inside = text.split("<!-- routing-table:start -->")[1]
    inside = inside.split("<!-- routing-table:end -->")[0]
    rows = [
        tuple(cell.strip() for cell in line.strip().strip("|").split("|"))
        for line in inside.strip().splitlines()
    ]
    return [rows[0], *rows[2:]]  # without the --- line under the header


# The rows of the routing table of docs/routing.md: the documentation is the
# test's data, so the two cannot drift apart.
HEADER, *ROWS = markdown_table(ROUTING_DOC.read_text(encoding="utf-8"))

ADDRESSES = {
    "email": {"email": "ana@example.com"},
    "phone": {"phone": "+4915112345678"},
    "whatsapp": {"whatsapp": "+4915187654321"},
    "push": {"push_tokens": ("token-1",)},
    "slack": {"slack_id": "U024BE7LH"},
    "webhook": {"webhook_url": "https://hooks.example.com/ana"},
}


def channel_list(cell: str) -> tuple[Channel, ...]:
    """Read a cell such as "sms, email" (or "—") as channels."""
    if cell in (NONE, "none"):
        return ()
    return tuple(Channel(name.strip()) for name in cell.split(","))


def contact(cell: str) -> Contact:
    """Build the contact details a cell such as "email, phone" names."""
    fields: dict[str, object] = {}
    for name in cell.split(","):
        fields.update(ADDRESSES[name.strip()])
    return Contact(**fields)  # type: ignore[arg-type]


def priorities(
    cell: str,
) -> tuple[tuple[Channel, ...] | None, tuple[Channel, ...] | None]:
    """Read "user: email; host: slack" as (user priority, host priority)."""
    found: dict[str, tuple[Channel, ...]] = {}
    if cell != NONE:
        for part in cell.split(";"):
            who, channels = part.split(":")
            found[who.strip()] = channel_list(channels)
    return found.get("user"), found.get("host")


def ana(**preferences: object) -> User:
    return User(
        "ana",
        contact=Contact(email="ana@example.com", phone="+4915112345678"),
        preferences=Preferences(**preferences),  # type: ignore[arg-type]
    )


class TestRoutingTable:
    """Each row of the documented routing table is what plan_delivery returns."""

    @pytest.mark.parametrize("row", ROWS, ids=[row[0] for row in ROWS])
    def test_the_plan_is_the_documented_row(self, row: tuple[str, ...]) -> None:
        """Channels, source, strategy, drops and fallback match the row."""
        case = dict(zip(COLUMNS, row, strict=True))
        user_priority, host_priority = priorities(case["priority"])
        enabled = case["enabled"]
        preferences = Preferences(priority=user_priority)
        if enabled != "default":
            preferences = Preferences(
                enabled=channel_list(enabled), priority=user_priority
            )
        user = User("ana", contact=contact(case["contact"]), preferences=preferences)
        service_channels = channel_list(case["service"])

        plan = plan_delivery(
            user,
            urgency=Urgency(case["urgency"]),
            at=NOON,
            step_channels=channel_list(case["step"]) or None,
            service=Service("payments", channels=service_channels),
            priority=host_priority,
        )

        assert plan.channels == channel_list(case["channels"])
        assert plan.source is ChannelSource(case["source"])
        assert plan.strategy is Strategy(case["strategy"])
        assert tuple(d.channel for d in plan.dropped) == channel_list(case["dropped"])
        expected_fallbacks = (
            ()
            if case["fallback"] == NONE
            else (tuple(Channel(c.strip()) for c in case["fallback"].split("->")),)
        )
        assert plan.fallbacks == expected_fallbacks
        assert plan.hold_until is None

    def test_the_documented_table_keeps_its_columns_and_cases(self) -> None:
        """The table has the columns read here, distinct cases, every source."""
        cases = [row[0] for row in ROWS]
        column = {name: i for i, name in enumerate(COLUMNS)}

        assert HEADER == COLUMNS
        assert len(set(cases)) == len(cases) >= 15
        assert {row[column["source"]] for row in ROWS} == {
            source.value for source in ChannelSource
        }
        assert {row[column["strategy"]] for row in ROWS} == {
            strategy.value for strategy in Strategy
        }


class TestPrecedence:
    """Step, then service, then user, then email: the edges of the rule."""

    def test_an_empty_step_list_falls_through_to_the_service(self) -> None:
        """A step with channels=() has no channels of its own."""
        plan = plan_delivery(
            ana(),
            urgency=Urgency.HIGH,
            at=NOON,
            step_channels=(),
            service=Service("db", channels=["email"]),
        )

        assert (plan.source, plan.channels) == (ChannelSource.SERVICE, (Channel.EMAIL,))

    def test_a_service_without_channels_leaves_the_choice_to_the_user(self) -> None:
        """A service with no channels means "use each user's preferences"."""
        plan = plan_delivery(
            ana(enabled={"sms"}), urgency=Urgency.HIGH, at=NOON, service=Service("db")
        )

        assert (plan.source, plan.channels) == (ChannelSource.USER, (Channel.SMS,))

    def test_channel_names_are_accepted_as_strings(self) -> None:
        """Step channels and priorities may be given by name."""
        plan = plan_delivery(
            ana(),
            urgency=Urgency.HIGH,
            at=NOON,
            step_channels=["EMAIL", "sms"],  # type: ignore[list-item]
            priority=["email"],  # type: ignore[list-item]
        )

        assert plan.channels == (Channel.EMAIL, Channel.SMS)

    def test_an_unknown_channel_is_refused_by_name(self) -> None:
        """A step channel that does not exist raises InvalidValue naming it."""
        with pytest.raises(InvalidValue, match="'pager'"):
            plan_delivery(
                ana(),
                urgency=Urgency.HIGH,
                at=NOON,
                step_channels=["pager"],  # type: ignore[list-item]
            )

    def test_a_naive_instant_is_refused(self) -> None:
        """at must be aware, like every instant of the core."""
        with pytest.raises(NaiveDatetime):
            plan_delivery(ana(), urgency=Urgency.HIGH, at=datetime(2024, 3, 5, 12))


class TestDroppedChannels:
    """Every channel the user cannot be reached on is dropped, with a reason."""

    @pytest.mark.parametrize(
        ("channel", "reason"),
        [
            (Channel.EMAIL, "no email address for email"),
            (Channel.SMS, "no phone number for sms"),
            (Channel.WHATSAPP, "no phone or WhatsApp number for whatsapp"),
            (Channel.PUSH, "no push token for push"),
            (Channel.SLACK, "no Slack user id for slack"),
            (Channel.WEBHOOK, "no webhook URL for webhook"),
        ],
    )
    def test_the_reason_names_what_is_missing(
        self, channel: Channel, reason: str
    ) -> None:
        """A user without any address has each channel dropped with its reason."""
        user = User("ana", preferences=Preferences(enabled=[channel]))

        plan = plan_delivery(user, urgency=Urgency.HIGH, at=NOON)

        assert not plan.reachable
        assert [(d.channel, d.reason) for d in plan.dropped] == [(channel, reason)]

    def test_a_disabled_user_is_reached_on_no_channel(self) -> None:
        """Every channel of a disabled user is dropped, saying so."""
        user = User("ana", contact=Contact(email="ana@example.com"), active=False)

        plan = plan_delivery(
            user, urgency=Urgency.HIGH, at=NOON, step_channels=[Channel.EMAIL]
        )

        assert plan.channels == ()
        assert [d.reason for d in plan.dropped] == ["user ana is disabled"]

    def test_whatsapp_reaches_a_user_through_their_phone(self) -> None:
        """Without a WhatsApp number of their own, the phone number is used."""
        plan = plan_delivery(
            ana(), urgency=Urgency.HIGH, at=NOON, step_channels=[Channel.WHATSAPP]
        )

        assert plan.channels == (Channel.WHATSAPP,)


class TestStrategy:
    """ALL for high urgency, FIRST_SUCCESS for low, unless the host chooses."""

    def test_high_urgency_sends_on_every_channel(self) -> None:
        """The default strategy of a high-urgency plan is ALL."""
        assert plan_delivery(ana(), urgency=Urgency.HIGH, at=NOON).strategy is (
            Strategy.ALL
        )

    def test_low_urgency_sends_on_the_first_channel_first(self) -> None:
        """The default strategy of a low-urgency plan is FIRST_SUCCESS."""
        assert plan_delivery(ana(), urgency=Urgency.LOW, at=NOON).strategy is (
            Strategy.FIRST_SUCCESS
        )

    def test_a_chosen_strategy_wins_over_the_default(self) -> None:
        """A host may ask for FIRST_SUCCESS at high urgency."""
        plan = plan_delivery(
            ana(), urgency=Urgency.HIGH, at=NOON, strategy=Strategy.FIRST_SUCCESS
        )

        assert plan.strategy is Strategy.FIRST_SUCCESS

    def test_a_strategy_given_by_name_is_refused(self) -> None:
        """strategy must be a Strategy, so a typo cannot pass unnoticed."""
        with pytest.raises(InvalidValue, match="'all'"):
            plan_delivery(
                ana(),
                urgency=Urgency.HIGH,
                at=NOON,
                strategy="all",  # type: ignore[arg-type]
            )


BERLIN = ZoneInfo("Europe/Berlin")
NIGHTS = QuietHours(time(22), time(7))


def sleeper(quiet: QuietHours = NIGHTS) -> User:
    return User(
        "ana",
        time_zone="Europe/Berlin",
        contact=Contact(email="ana@example.com", phone="+4915112345678"),
        preferences=Preferences(quiet_hours=quiet),
    )


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)  # type: ignore[misc]


class TestQuietHours:
    """Low urgency waits for the end of quiet hours; high urgency never waits."""

    def test_low_urgency_is_held_until_quiet_hours_end(self) -> None:
        """At 23:00 in Berlin, a low-urgency page waits until 07:00."""
        plan = plan_delivery(sleeper(), urgency=Urgency.LOW, at=berlin(2024, 3, 5, 23))

        assert plan.hold_until == berlin(2024, 3, 6, 7)
        assert plan.reachable

    def test_high_urgency_goes_through_quiet_hours(self) -> None:
        """At 23:00 in Berlin, a high-urgency page is not held."""
        plan = plan_delivery(sleeper(), urgency=Urgency.HIGH, at=berlin(2024, 3, 5, 23))

        assert plan.hold_until is None

    def test_low_urgency_outside_quiet_hours_is_not_held(self) -> None:
        """At 12:00 in Berlin, nothing is held."""
        plan = plan_delivery(sleeper(), urgency=Urgency.LOW, at=berlin(2024, 3, 5, 12))

        assert plan.hold_until is None

    def test_quiet_hours_end_on_the_local_clock_across_spring_forward(self) -> None:
        """The night clocks skip 02:00-03:00, quiet hours still end at 07:00 CEST."""
        plan = plan_delivery(sleeper(), urgency=Urgency.LOW, at=berlin(2024, 3, 30, 23))

        assert plan.hold_until == datetime(2024, 3, 31, 5, tzinfo=UTC)

    def test_quiet_hours_end_on_the_local_clock_across_fall_back(self) -> None:
        """The night clocks repeat 02:00-03:00, quiet hours end at 07:00 CET."""
        plan = plan_delivery(
            sleeper(), urgency=Urgency.LOW, at=berlin(2024, 10, 26, 23)
        )

        assert plan.hold_until == datetime(2024, 10, 27, 6, tzinfo=UTC)

    def test_quiet_hours_that_run_into_the_next_window_hold_until_both_end(
        self,
    ) -> None:
        """Apia skipped 2011-12-30: Thursday night runs on into Saturday's window."""
        apia = ZoneInfo("Pacific/Apia")
        user = User(
            "ana",
            time_zone="Pacific/Apia",
            contact=Contact(email="ana@example.com"),
            preferences=Preferences(quiet_hours=QuietHours(time(22), time(2))),
        )
        at = datetime(2011, 12, 29, 23, 30, tzinfo=apia).astimezone(UTC)

        plan = plan_delivery(user, urgency=Urgency.LOW, at=at)

        assert plan.hold_until == datetime(2011, 12, 31, 2, tzinfo=apia).astimezone(UTC)

    def test_quiet_hours_that_never_end_are_refused(self) -> None:
        """Quiet hours from 00:00 to 00:00 every day would hold a page forever."""
        with pytest.raises(InvalidUser, match="00:00-00:00 every day never end"):
            QuietHours(time(0), time(0))

        weekend = QuietHours(time(0), time(0), weekdays=[5, 6])
        assert weekend.weekdays == (5, 6)

    def test_held_notifications_wait_until_quiet_hours_end(self) -> None:
        """The first channel is HELD until 07:00; the next waits on STANDBY."""
        at = berlin(2024, 3, 5, 23)
        plan = plan_delivery(sleeper(), urgency=Urgency.LOW, at=at)

        first, second = plan.notifications("inc-1", 0, 0, at)

        assert (first.channel, first.status) == (Channel.SMS, NotificationStatus.HELD)
        assert first.not_before == berlin(2024, 3, 6, 7)
        assert (second.channel, second.status) == (
            Channel.EMAIL,
            NotificationStatus.STANDBY,
        )
        assert second.not_before is None


class TestPlanNotifications:
    """A plan becomes one notification per channel, in priority order."""

    def test_all_sends_every_channel_now(self) -> None:
        """Under ALL every notification is PENDING."""
        plan = plan_delivery(ana(), urgency=Urgency.HIGH, at=NOON)

        notifications = plan.notifications("inc-1", 2, 1, NOON)

        assert [(n.channel, n.status) for n in notifications] == [
            (Channel.SMS, NotificationStatus.PENDING),
            (Channel.EMAIL, NotificationStatus.PENDING),
        ]
        assert [str(n.key) for n in notifications] == [
            "inc-1/2/1/ana/sms",
            "inc-1/2/1/ana/email",
        ]

    def test_first_success_sends_the_first_channel_and_keeps_the_rest(
        self,
    ) -> None:
        """Under FIRST_SUCCESS the first is PENDING, the others STANDBY."""
        plan = plan_delivery(ana(), urgency=Urgency.LOW, at=NOON)

        statuses = [n.status for n in plan.notifications("inc-1", 0, 0, NOON)]

        assert statuses == [NotificationStatus.PENDING, NotificationStatus.STANDBY]

    def test_the_sms_fallback_waits_behind_its_whatsapp_message(self) -> None:
        """A WhatsApp notification is followed by its SMS fallback on STANDBY."""
        plan = plan_delivery(
            ana(enabled={"whatsapp", "email"}), urgency=Urgency.HIGH, at=NOON
        )

        notifications = plan.notifications("inc-1", 0, 0, NOON)

        assert [(n.channel, n.status, n.fallback_of) for n in notifications] == [
            (Channel.WHATSAPP, NotificationStatus.PENDING, None),
            (Channel.SMS, NotificationStatus.STANDBY, Channel.WHATSAPP),
            (Channel.EMAIL, NotificationStatus.PENDING, None),
        ]

    def test_each_history_starts_with_the_first_status(self) -> None:
        """A new notification's history holds its creation."""
        plan = plan_delivery(ana(), urgency=Urgency.HIGH, at=NOON)

        (first, _) = plan.notifications("inc-1", 0, 0, NOON)

        assert first.history == ((NOON, NotificationStatus.PENDING),)
        assert (first.created_at, first.attempts) == (NOON, 0)

    def test_an_unreachable_plan_has_no_notifications(self) -> None:
        """Nothing is sent to a user no channel reaches."""
        plan = plan_delivery(
            User("ana"), urgency=Urgency.HIGH, at=NOON, step_channels=[Channel.SMS]
        )

        assert plan.notifications("inc-1", 0, 0, NOON) == ()
