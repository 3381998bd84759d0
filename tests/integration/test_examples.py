"""The embedding examples of docs/embedding.md run, quickly, and do what they say."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def run_example(name: str) -> str:
    """Run ``examples/<name>`` with this interpreter; return its output."""
    finished = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


def test_the_in_memory_example_escalates_and_stops_at_the_acknowledgement() -> None:
    """Ana by SMS and email, Ben by SMS ten minutes later, then Ben's ACK."""
    out = run_example("embed_in_memory.py")

    assert out.splitlines()[-4:] == [
        "next due: None; 3 messages sent:",
        "  INC-7/0/0/ana/sms sent",
        "  INC-7/0/0/ana/email sent",
        "  INC-7/1/0/ben/sms sent",
    ]
    assert "14:12 acknowledged by ben; status acknowledged" in out
    assert "+12015550001" not in out  # the sender masks numbers


def test_the_sql_example_escalates_through_the_worker() -> None:
    """Two worker cycles send three messages; the events end with Ben's ACK."""
    out = run_example("embed_sql.py")

    notifications = out.split("-- notifications\n")[1].split("-- events\n")[0]
    assert notifications.splitlines() == [
        "INC-1/0/0/ana/email sent",
        "INC-1/0/0/ana/sms sent",
        "INC-1/1/0/ben/sms sent",
    ]
    events = out.split("-- events\n")[1].splitlines()
    assert events[0] == "14:00 triggered"
    assert events[-1] == "14:12 acknowledged ben"


@pytest.mark.parametrize("name", ["embed_in_memory.py", "embed_sql.py"])
def test_the_embedding_page_shows_each_example_whole(name: str) -> None:
    """docs/embedding.md holds the file as it is, after its marker."""
    page = (ROOT / "docs" / "embedding.md").read_text(encoding="utf-8")
    marker = re.escape(f"<!-- example: examples/{name} -->")
    found = re.search(marker + r"\n```python\n(.*?)```\n", page, re.DOTALL)

    assert found is not None
    assert found.group(1) == (EXAMPLES / name).read_text(encoding="utf-8")


def test_the_overview_example_pages_ana() -> None:
    """docs/index.md's 'Embed it' block runs, and says what it does."""
    page = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    found = re.search(r"### Embed it\n\n```python\n(.*?)```\n", page, re.DOTALL)
    assert found is not None
    namespace: dict[str, object] = {}

    exec(compile(found.group(1), "docs/index.md", "exec"), namespace)

    progress = namespace["progress"]
    keys = [str(n.key) for n in progress.notifications]  # type: ignore[attr-defined]
    assert keys == ["INC-1/0/0/ana/email"]
    assert progress.next_due is None  # type: ignore[attr-defined]
