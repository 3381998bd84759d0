"""Running the real ``oncall`` command as a person would: a subprocess, on SQLite.

:class:`Oncall` runs ``python -m oncall_adapters.cli`` with an environment
of its own (the database, the configuration, the secrets, ``NO_COLOR``);
:func:`loopback_config` turns the shipped example into one whose Twilio and
SMTP are the fakes on 127.0.0.1; :class:`Server` runs ``oncall serve``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "oncall.toml"
TIMEOUT = 30


class Oncall:
    """The ``oncall`` command with a fixed environment."""

    def __init__(self, environment: Mapping[str, str], cwd: Path) -> None:
        self.environment = dict(environment)
        self.cwd = cwd

    def run(self, *arguments: str, status: int = 0) -> subprocess.CompletedProcess[str]:
        """Run ``oncall ARGUMENTS``; fail unless it exits with *status*."""
        result = subprocess.run(
            [sys.executable, "-m", "oncall_adapters.cli", *arguments],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
            env=self.environment,
            cwd=self.cwd,
        )
        assert result.returncode == status, (
            f"oncall {' '.join(arguments)} exited {result.returncode}, "
            f"not {status}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
        return result

    def json(self, *arguments: str, status: int = 0) -> Any:
        """Run ``oncall ARGUMENTS --json``; return what it printed, read."""
        return json.loads(self.run(*arguments, "--json", status=status).stdout)

    def popen(self, *arguments: str, log: Path) -> subprocess.Popen[bytes]:
        """Start ``oncall ARGUMENTS`` in the background, its output to *log*."""
        with log.open("wb") as sink:
            return subprocess.Popen(
                [sys.executable, "-m", "oncall_adapters.cli", *arguments],
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=self.environment,
                cwd=self.cwd,
            )


def environment(**variables: str) -> dict[str, str]:
    """This process's environment without any ONCALL_ variable, plus *variables*."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("ONCALL_")}
    return {**kept, "NO_COLOR": "1", **variables}


SMS_FROM, WHATSAPP_FROM = "+12015550100", "+12015550199"


def loopback_config(*, twilio_url: str, smtp_port: int, public_url: str) -> str:
    """The shipped example, its delivery settings pointed at fakes on loopback."""
    example = EXAMPLE.read_text(encoding="utf-8")
    people = example[example.index("# Users: contact details") :]
    settings = f"""\
[settings]
time_zone = "Europe/Berlin"
public_base_url = "{public_url}"

[settings.twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
from = "{SMS_FROM}"
base_url = "{twilio_url}"

[settings.twilio.whatsapp]
from = "{WHATSAPP_FROM}"
content_sid = "HX0123456789abcdef0123456789abcdef"

[settings.smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from = "On-call <oncall@example.com>"


"""
    return settings + people


class Server:
    """``oncall serve`` on a port of 127.0.0.1, and requests signed as Twilio signs."""

    def __init__(
        self, process: subprocess.Popen[bytes], base_url: str, log: Path
    ) -> None:
        self.process = process
        self.base_url = base_url
        self.log = log

    def wait_until_up(self) -> None:
        """Poll ``/healthz`` until it answers 200, or fail with the server's log."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        msg = f"oncall serve did not come up:\n{self.log.read_text()}"
        raise AssertionError(msg)

    def stop(self) -> int:
        """Stop the server as a service manager would (SIGTERM); return its status."""
        self.process.terminate()
        return self.process.wait(timeout=TIMEOUT)

    def post(
        self, path: str, params: Mapping[str, str], *, token: str | None
    ) -> tuple[int, str]:
        """POST a form to *path*, signed with *token* (unsigned if None)."""
        url = self.base_url + path
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if token is not None:
            validator = RequestValidator(token)
            headers["X-Twilio-Signature"] = validator.compute_signature(
                url, dict(params)
            )
        request = urllib.request.Request(
            url, data=urlencode(params).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def get(self, path: str) -> tuple[int, bytes]:
        """GET *path*; return the status and the body."""
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=TIMEOUT) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
