"""The ``oncall`` command, run as a person would run it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from oncall_adapters.cli import main


def run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oncall_adapters.cli", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class TestDemo:
    """``oncall demo`` shows a sample schedule's timeline."""

    def test_demo_prints_who_is_on_call_and_the_timeline(self) -> None:
        """The demo runs as a subprocess, exits 0 and shows the override at work."""
        result = run_cli("demo")

        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert "On call now, Fri 29 Mar 10:00 CET: dev (day)" in lines
        assert any(
            "Tue 02 Apr 13:00 CEST" in line and line.endswith("chi") for line in lines
        )
        assert "Try next:" in lines

    def test_demo_reads_times_in_the_viewers_zone(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--tz changes how times read, not who is on call."""
        assert main(["demo", "--tz", "America/New_York", "--days", "1"]) == 0

        out = capsys.readouterr().out
        assert "Fri 29 Mar 05:00 EDT: dev (day)" in out

    def test_a_bad_zone_is_one_line_on_stderr_and_exit_status_2(self) -> None:
        """No traceback: the error names the zone and what would be valid."""
        result = run_cli("demo", "--tz", "Mars/Base")

        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [
            "oncall: unknown time zone 'Mars/Base': use an IANA name such as "
            "'Europe/Berlin', 'America/New_York' or 'Etc/UTC'"
        ]
