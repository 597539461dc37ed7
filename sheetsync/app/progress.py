"""Progress bars for the commands a person waits on (`setup --import`, `sync`, `report`):
tqdm on stderr while a person watches it, nothing at all when stderr is a file or a program
(or with `--quiet`).

The jobs only call a plain callback, `(what, done, total)`, as their work advances; this
module is the edge that draws it. A bar's clock is redrawn every second even while one long
step runs, so a minute's write never looks like a hang.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack
from types import TracebackType

from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from sheetsync.app.logs import LOGGER

REDRAW_SECONDS = 1.0  # how often the elapsed time is redrawn while a step runs
#: Steps take unlike times, so a bar of steps shows no rate and no time left, only its clock.
STEPS_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}]"


def wanted(quiet: bool) -> bool:
    """Whether to draw bars: a person watches stderr's terminal and did not ask for quiet."""
    return not quiet and sys.stderr.isatty()


class Progress:
    """One command's bar, drawn from `(what, done, total)` calls: a new `what` names the
    step now under way, a new `total` starts the count (and its rate) over. Use it as a context manager: log lines and printed
    lines go above the bar while it is open, and it is cleared when the command ends."""

    def __init__(self, shown: bool, unit: str = "step") -> None:
        self.shown = shown
        self.unit = unit
        self._bar: tqdm[None] | None = None
        self._what: str | None = None
        self._closing = threading.Event()
        self._redraw: threading.Thread | None = None
        self._stack = ExitStack()

    def __enter__(self) -> Progress:
        if self.shown:  # sheetsync's log lines above the bar, not through it
            self._stack.enter_context(logging_redirect_tqdm([logging.getLogger(LOGGER)]))
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
        self._stack.close()

    def __call__(self, what: str, done: int, total: int) -> None:
        if not self.shown:
            return
        if self._bar is None:
            self._bar = tqdm(total=total, desc=what, unit=self.unit, file=sys.stderr,
                             leave=False, dynamic_ncols=True,
                             bar_format=STEPS_FORMAT if self.unit == "step" else None)
            self._redraw = threading.Thread(target=self._tick, name="sheetsync-progress",
                                            daemon=True)
            self._redraw.start()
        else:
            if what != self._what:
                self._bar.set_description_str(what, refresh=False)
            if total != self._bar.total:  # another count: its rate and time start over
                self._bar.reset(total=total)
        self._what = what
        self._bar.n = done
        self._bar.refresh()

    def rows(self, what: str) -> Callable[[int, int], None]:
        """A `(done, total)` callback that draws `what` (the backends count rows so)."""
        return lambda done, total: self(what, done, total)

    def print(self, line: str) -> None:
        """Print a line on stdout above the bar (the bar is drawn again under it)."""
        if self._bar is None:
            print(line)
        else:
            tqdm.write(line, file=sys.stdout)

    def close(self) -> None:
        self._closing.set()
        if self._redraw is not None:
            self._redraw.join()
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def _tick(self) -> None:
        while not self._closing.wait(REDRAW_SECONDS):
            bar = self._bar
            if bar is not None:
                bar.refresh()
