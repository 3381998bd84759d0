"""The examples of docs/schedules.md run, and print what the page says they print."""

from __future__ import annotations

import doctest
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "schedules.md"

MAX_LINE = 100


def examples_only(text: str) -> str:
    """Return *text* with every line outside ```pycon blocks blanked.

    Line numbers are kept, so that a failure points at the line of the page.
    """
    kept: list[str] = []
    inside = False
    for line in text.splitlines():
        fence = line.strip()
        if not inside and fence == "```pycon":
            inside = True
            kept.append("")
        elif inside and fence == "```":
            inside = False
            kept.append("")
        else:
            kept.append(line if inside else "")
    return "\n".join(kept) + "\n"


class TestSchedulesPage:
    """docs/schedules.md shows real code with its real output."""

    def test_every_example_prints_what_the_page_shows(self) -> None:
        text = examples_only(DOC.read_text(encoding="utf-8"))
        test = doctest.DocTestParser().get_doctest(
            text, {"__name__": "schedules_md"}, "schedules.md", str(DOC), 0
        )
        for example in test.examples:
            if example.exc_msg is not None:
                # Error messages are wrapped on the page, to keep its lines short;
                # everything else must match to the space.
                example.options[doctest.NORMALIZE_WHITESPACE] = True
        report: list[str] = []
        runner = doctest.DocTestRunner()

        results = runner.run(test, out=report.append)

        assert results.attempted > 100, "the page's examples were not found"
        assert results.failed == 0, "".join(report)

    def test_every_code_block_is_an_example_that_runs(self) -> None:
        fences = [
            line.strip()
            for line in DOC.read_text(encoding="utf-8").splitlines()
            if line.strip().startswith("```") and line.strip() != "```"
        ]

        assert fences, "the page has no code blocks"
        assert set(fences) <= {"```pycon", "```python"}
        assert fences.count("```python") == 1, "only the Layer signature is not run"

    def test_no_line_is_longer_than_100_characters(self) -> None:
        lines = DOC.read_text(encoding="utf-8").splitlines()

        long = [n for n, line in enumerate(lines, 1) if len(line) > MAX_LINE]

        assert long == [], f"lines over {MAX_LINE} characters: {long}"
