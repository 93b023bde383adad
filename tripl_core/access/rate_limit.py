"""A sliding-window rate limiter per (action, client address), kept in process memory."""

from __future__ import annotations

import math
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

from tripl_core.errors import RateLimited

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    period_seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(second|minute|hour|day)s?\s*", text)
        if not match:
            raise ValueError(f"rate limit {text!r} must look like '5/minute' (units: second, minute, hour, day)")
        return cls(int(match.group(1)), _UNITS[match.group(2)])


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._hits: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, action: str, client: str, rate: Rate, *, what: str) -> None:
        """Count one attempt; raise RateLimited (with Retry-After) when the window is full."""
        now = self._clock()
        with self._lock:
            window = self._hits[(action, client)]
            while window and window[0] <= now - rate.period_seconds:
                window.popleft()
            if len(window) >= rate.count:
                retry_after = max(1, math.ceil(window[0] + rate.period_seconds - now))
                raise RateLimited(f"Too many {what} attempts from this address; try again in {retry_after} s",
                                  retry_after_seconds=retry_after)
            window.append(now)
