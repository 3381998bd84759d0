"""``oncall demo``: the tour ``make demo`` runs, from a fresh clone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from oncall_adapters.cli import main


def run_demo(folder: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "oncall_adapters.cli", "demo", "--dir", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("ONCALL_")},
            "NO_COLOR": "1",
        },
    )
    return result, time.monotonic() - started


@pytest.fixture(scope="module")
def tour(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], float, Path]:
    folder = tmp_path_factory.mktemp("demo")
    result, took = run_demo(folder)
    return result, took, folder


class TestDemo:
    """The tour runs as a subprocess, in seconds, and says what it did."""

    def test_the_demo_succeeds_in_seconds(
        self, tour: tuple[subprocess.CompletedProcess[str], float, Path]
    ) -> None:
        """Exit status 0, nothing on standard error, well under half a minute."""
        result, took, _ = tour

        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        assert took < 30

    def test_it_shows_who_is_on_call_and_each_step_of_the_escalation(
        self, tour: tuple[subprocess.CompletedProcess[str], float, Path]
    ) -> None:
        """chi (the override) is paged first, then the lead ana by SMS."""
        lines = tour[0].stdout.splitlines()

        assert "Who is on call? It is Tue 2027-01-05 09:58 CET." in lines
        assert any(
            line.startswith("  chi (Chi Nguyen), layer day, override") for line in lines
        )
        assert "  > step 1 fired: chi" in lines
        assert "  > step 2 fired: ana" in lines
        assert "    [console] sms to +12*******01 (1/1/0/ana/sms)" in lines

    def test_an_sms_reply_acknowledges_through_the_web_app(
        self, tour: tuple[subprocess.CompletedProcess[str], float, Path]
    ) -> None:
        """The reply takes the inbound route; the third step never fires."""
        out = tour[0].stdout

        assert "POST /twilio/inbound, signed as Twilio signs it" in out
        assert "  the app answers by SMS: Acknowledged 1" in out
        assert "  > acknowledged by ana" in out
        assert "step 3, the whole team, never fires" in out

    def test_it_writes_the_timeline_and_says_where(
        self, tour: tuple[subprocess.CompletedProcess[str], float, Path]
    ) -> None:
        """The path it prints holds a valid SVG."""
        result, _, folder = tour
        picture = folder / "primary-timeline.svg"

        assert f"  written to {picture}: open it in any browser" in result.stdout
        assert ET.parse(picture).getroot().tag == "{http://www.w3.org/2000/svg}svg"

    def test_what_to_try_next_works_on_the_demos_database(
        self,
        tour: tuple[subprocess.CompletedProcess[str], float, Path],
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """The suggested ``incidents --all`` finds the incident acknowledged by ana."""
        result, _, folder = tour
        assert "Try next:" in result.stdout
        capsys.readouterr()

        status = main(
            [
                "--db",
                f"sqlite:///{folder / 'oncall.db'}",
                "incidents",
                "--all",
                "--json",
            ]
        )

        assert status == 0
        [incident] = json.loads(capsys.readouterr().out)
        assert (incident["status"], incident["acknowledged_by"]) == (
            "acknowledged",
            "ana",
        )
