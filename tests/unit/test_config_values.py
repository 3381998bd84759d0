"""The text forms of the configuration's values, one function at a time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from oncall_adapters.config._values import (
    format_duration,
    format_time,
    format_weekday,
    parse_duration,
    parse_email,
    parse_instant,
    parse_phone,
    parse_time,
    parse_time_zone,
    parse_url,
    parse_weekday,
)
from oncall_core import InvalidValue


class TestParseDuration:
    """parse_duration: compact units, or ISO 8601 without years and months."""

    @pytest.mark.parametrize(
        ("text", "length"),
        [
            ("30m", timedelta(minutes=30)),
            ("12h", timedelta(hours=12)),
            ("7d", timedelta(days=7)),
            ("2w", timedelta(weeks=2)),
            ("1h30m", timedelta(hours=1, minutes=30)),
            ("1d 2h", timedelta(days=1, hours=2)),
            ("45s", timedelta(seconds=45)),
            ("1.5s", timedelta(seconds=1, microseconds=500_000)),
            ("0s", timedelta(0)),
            ("P7D", timedelta(days=7)),
            ("PT12H", timedelta(hours=12)),
            ("P1W", timedelta(weeks=1)),
            ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
            ("pt30m", timedelta(minutes=30)),
            ("PT0.25S", timedelta(microseconds=250_000)),
        ],
    )
    def test_each_form_reads_to_its_length(self, text: str, length: timedelta) -> None:
        """The compact and the ISO 8601 forms both read."""
        assert parse_duration(text) == length

    @pytest.mark.parametrize(
        "text", ["", "5", "-5m", "5x", "m5", "1m1h", "P", "PT", "P1DT", "3M", 5]
    )
    def test_anything_else_is_refused_with_the_forms_it_takes(
        self, text: object
    ) -> None:
        """The message shows the value and the accepted forms."""
        with pytest.raises(InvalidValue, match="must be a duration such as '30m'"):
            parse_duration(text)

    @pytest.mark.parametrize("text", ["P1M", "P1Y", "P1Y2M3D"])
    def test_years_and_months_are_refused(self, text: str) -> None:
        """They have no fixed length."""
        with pytest.raises(InvalidValue, match="years and months have no fixed length"):
            parse_duration(text)

    def test_minutes_in_iso_time_are_not_months(self) -> None:
        """PT1M is a minute."""
        assert parse_duration("PT1M") == timedelta(minutes=1)


class TestFormatDuration:
    """format_duration: the compact form, largest units first."""

    @pytest.mark.parametrize(
        ("length", "text"),
        [
            (timedelta(0), "0s"),
            (timedelta(days=14), "14d"),
            (timedelta(hours=36), "1d12h"),
            (timedelta(minutes=100), "1h40m"),
            (timedelta(seconds=90), "1m30s"),
            (timedelta(seconds=1, microseconds=5), "1.000005s"),
        ],
    )
    def test_it_writes_the_largest_units_first(
        self, length: timedelta, text: str
    ) -> None:
        """And parse_duration reads it back."""
        assert format_duration(length) == text
        assert parse_duration(text) == length

    def test_a_negative_duration_has_no_form(self) -> None:
        """Nothing in a configuration is negative."""
        with pytest.raises(InvalidValue):
            format_duration(timedelta(minutes=-1))


class TestTimesAndWeekdays:
    """parse_time, format_time, parse_weekday, format_weekday."""

    @pytest.mark.parametrize(
        ("text", "value"),
        [
            ("09:00", time(9)),
            ("9:00", time(9)),
            ("21:30:15", time(21, 30, 15)),
            ("00:00", time(0)),
            (time(18), time(18)),
        ],
    )
    def test_times_read_from_text_or_toml(self, text: object, value: time) -> None:
        """Hours may have one digit; seconds are optional."""
        assert parse_time(text) == value

    @pytest.mark.parametrize("text", ["24:00", "25:00", "9", "9am", "12:60", 9])
    def test_impossible_times_are_refused(self, text: object) -> None:
        """24:00 is refused with a hint to write 00:00."""
        with pytest.raises(InvalidValue, match="time of day"):
            parse_time(text)

    def test_times_are_written_as_short_as_they_allow(self) -> None:
        """Minutes always, seconds only when there are some."""
        assert format_time(time(9)) == "09:00"
        assert format_time(time(9, 0, 5)) == "09:00:05"
        assert format_time(time(9, 0, 0, 5)) == "09:00:00.000005"

    @pytest.mark.parametrize(
        ("text", "number"),
        [("mon", 0), ("Sun", 6), ("friday", 4), (0, 0), (6, 6)],
    )
    def test_weekdays_are_names_or_numbers_from_monday(
        self, text: object, number: int
    ) -> None:
        """Numbers count as datetime.weekday() does: 0 is Monday."""
        assert parse_weekday(text) == number

    @pytest.mark.parametrize("text", ["mo", 7, -1, True, "1"])
    def test_other_weekdays_are_refused(self, text: object) -> None:
        """7 is not Sunday: numbers stop at 6."""
        with pytest.raises(InvalidValue, match="must be a weekday"):
            parse_weekday(text)

    def test_weekdays_are_written_as_short_names(self) -> None:
        """0 is mon, 6 is sun."""
        assert [format_weekday(day) for day in (0, 6)] == ["mon", "sun"]


class TestOtherValues:
    """Instants, zones, phones, emails, URLs."""

    def test_instants_keep_their_offset_or_stay_naive(self) -> None:
        """The caller reads a naive one in the schedule's zone."""
        aware = parse_instant("2024-03-04T09:00:00+01:00")

        assert aware == datetime(2024, 3, 4, 8, tzinfo=UTC)
        assert parse_instant("2024-03-04T09:00").tzinfo is None

    def test_a_date_alone_is_not_an_instant(self) -> None:
        """A TOML date needs a time."""
        with pytest.raises(InvalidValue, match="got the date 2024-03-04 alone"):
            parse_instant(date(2024, 3, 4))

    def test_zones_must_be_iana_names(self) -> None:
        """Europe/Berlin is one; CEST is not."""
        assert parse_time_zone("Europe/Berlin") == "Europe/Berlin"
        with pytest.raises(InvalidValue, match="IANA time zone"):
            parse_time_zone("CEST")

    def test_phones_are_e164_and_masked_in_errors(self) -> None:
        """The error shows only the country prefix and the last two digits."""
        assert parse_phone("+12015550123") == "+12015550123"
        with pytest.raises(InvalidValue) as caught:
            parse_phone("+44 7700 900456")
        assert "900456" not in str(caught.value)

    def test_a_phone_must_be_valid_for_its_country(self) -> None:
        """E.164 in shape is not enough: the Twilio adapter would refuse it."""
        with pytest.raises(InvalidValue, match="not a valid number for its country"):
            parse_phone("+447700900456")  # the UK's range for drama

    def test_emails_and_urls(self) -> None:
        """An address has an @ and a dotted domain; a URL is http(s) with a host."""
        assert parse_email("ana@example.com") == "ana@example.com"
        assert (
            parse_url("https://oncall.example.com/x") == "https://oncall.example.com/x"
        )
        for bad_url in ("ftp://x", "https://user:pw@example.com", "example.com"):
            with pytest.raises(InvalidValue):
                parse_url(bad_url)
        with pytest.raises(InvalidValue):
            parse_email("ana@localhost")
