"""What the ``oncall`` command prints: aligned tables, colour, JSON, progress.

Colour and progress are for people at a terminal: colour only when standard
output is one (and never when ``NO_COLOR`` is set or ``TERM`` is ``dumb``),
progress only when standard error is one. ``--json`` replaces the tables
with one JSON document on standard output.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TextIO

__all__ = ["Cell", "Output", "Progress", "wants_colour"]

_CODES = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
}

Cell = str | tuple[str, str | None]
"""A table cell: its text, or its text and a style (``"red"``, ``"bold"``)."""


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def wants_colour(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Tell whether to colour what goes to *stream*.

    Only a terminal gets colour, and never when ``NO_COLOR`` is set to
    anything (https://no-color.org) or ``TERM`` is ``dumb``.
    """
    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    return _is_terminal(stream)


class Progress:
    """A one-line counter on standard error, redrawn in place; silent elsewhere."""

    def __init__(self, stream: TextIO | None, label: str, total: int) -> None:
        self._stream = stream
        self._label = label
        self._total = total
        self._done = 0

    def step(self, what: str = "") -> None:
        """Count one more item done; *what* names it."""
        self._done += 1
        if self._stream is None:
            return
        shown = f" {what}" if what else ""
        line = f"{self._label} {self._done}/{self._total}{shown}"
        self._stream.write("\r\x1b[K" + line[:79])
        self._stream.flush()

    def finish(self) -> None:
        """Erase the counter, leaving the line as it was."""
        if self._stream is not None and self._done:
            self._stream.write("\r\x1b[K")
            self._stream.flush()


class Output:
    """Where a command writes: standard output for results, standard error for notes.

    Args:
        out: the results (tables, JSON, files' contents).
        err: notes, warnings and progress.
        json_mode: print JSON documents instead of tables.
        colour: colour the results (see :func:`wants_colour`).
        progress: show progress on *err* (a terminal).
    """

    def __init__(
        self,
        out: TextIO,
        err: TextIO,
        *,
        json_mode: bool = False,
        colour: bool = False,
        progress: bool = False,
    ) -> None:
        self.out = out
        self.err = err
        self.json_mode = json_mode
        self.colour = colour
        self.show_progress = progress

    @classmethod
    def for_streams(cls, out: TextIO, err: TextIO, *, json_mode: bool) -> Output:
        """Return the output for these streams, colour and progress as they allow."""
        return cls(
            out,
            err,
            json_mode=json_mode,
            colour=wants_colour(out) and not json_mode,
            progress=_is_terminal(err),
        )

    def style(self, text: str, style: str | None) -> str:
        """Return *text* in *style* (``"red"``, ``"bold green"``) if colour is on."""
        if not self.colour or not style or not text:
            return text
        codes = ";".join(_CODES[word] for word in style.split())
        return f"\x1b[{codes}m{text}\x1b[0m"

    def line(self, text: str = "", style: str | None = None) -> None:
        """Print one line of results."""
        self.out.write(self.style(text, style) + "\n")

    def note(self, text: str) -> None:
        """Print a line for the person, not the script: on standard error."""
        self.err.write(text + "\n")
        self.err.flush()

    def json(self, value: Any) -> None:
        """Print *value* as one JSON document."""
        json.dump(value, self.out, indent=2, ensure_ascii=False)
        self.out.write("\n")

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[Cell]],
        *,
        indent: str = "",
        notes: Sequence[str | None] | None = None,
    ) -> None:
        """Print *rows* under *headers*, each column as wide as its widest cell.

        *notes*, one per row, are printed dimmed under their row, indented.
        """
        cells = [[_split(cell) for cell in row] for row in rows]
        widths = [len(header) for header in headers]
        for row in cells:
            for index, (text, _) in enumerate(row):
                widths[index] = max(widths[index], len(text))
        last = len(headers) - 1
        self.line(
            indent
            + "  ".join(
                self.style(header.ljust(widths[i]) if i < last else header, "bold")
                for i, header in enumerate(headers)
            ).rstrip()
        )
        for index, row in enumerate(cells):
            shown = [
                self.style(text.ljust(widths[i]) if i < last else text, style)
                for i, (text, style) in enumerate(row)
            ]
            self.line((indent + "  ".join(shown)).rstrip())
            note = notes[index] if notes is not None else None
            if note:
                self.line(f"{indent}    {note}", "dim")

    @contextlib.contextmanager
    def progress(self, label: str, total: int) -> Iterator[Progress]:
        """Count *total* items on standard error while the block runs."""
        progress = Progress(
            self.err if self.show_progress and total > 1 else None, label, total
        )
        try:
            yield progress
        finally:
            progress.finish()


def _split(cell: Cell) -> tuple[str, str | None]:
    if isinstance(cell, tuple):
        return cell
    return cell, None
