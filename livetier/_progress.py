"""A tiny stderr progress bar (no third-party dependency).

Only the terminal display uses the clock; nothing it does reaches the data.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``Progress(total, label)``; call ``update(n, note)`` and ``close()``.

    Disabled instances do nothing, so callers need no ``if``.
    """

    def __init__(
        self, total: int, label: str = "", enabled: bool = True, width: int = 28, stream: TextIO | None = None
    ) -> None:
        self.total = max(int(total), 1)
        self.label = label
        self.enabled = enabled
        self.width = width
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self._t0 = time.perf_counter()
        self._last_len = 0
        if self.enabled:
            self._draw("")

    def update(self, n: int = 1, note: str = "") -> None:
        self.done = min(self.done + n, self.total)
        if self.enabled:
            self._draw(note)

    def _draw(self, note: str) -> None:
        frac = self.done / self.total
        filled = int(round(frac * self.width))
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.perf_counter() - self._t0
        line = f"\r{self.label} [{bar}] {frac * 100:5.1f}% {elapsed:6.1f}s {note}"
        pad = max(self._last_len - len(line), 0)
        self.stream.write(line + " " * pad)
        self.stream.flush()
        self._last_len = len(line)

    def close(self, note: str = "done") -> None:
        if self.enabled:
            self.done = self.total
            self._draw(note)
            self.stream.write("\n")
            self.stream.flush()
