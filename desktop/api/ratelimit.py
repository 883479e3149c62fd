"""Client-side pacing under Register's shared budget (SPEC §7.3: 100 requests per 60 s per IP).

Register counts requests in fixed windows aligned to its clock. A sliding log of the last
``rate`` requests keeps any ``per`` seconds to at most ``rate`` requests whatever the alignment,
so no window can be overfilled. The log holds when each request *ended* (its answer arrived, or
it failed) rather than when it started: a request reaches Register somewhere between the two, so
"the (k+rate)-th starts at least ``per`` after the k-th ended" guarantees their arrivals are at
least ``per`` apart even when network delays vary. The cost is one round trip per ``per``
seconds (a 0.2 % loss at 100 ms latency and a 60 s window).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Clock = Callable[[], float]
Sleep = Callable[[float], None]

DEFAULT_RATE = 100
DEFAULT_PER = 60.0
_EPSILON = 0.001  # clock rounding between us and the server


class RateLimiter:
    """At most ``rate`` requests in any ``per`` seconds (measured from each request's end)."""

    def __init__(self, rate: int = DEFAULT_RATE, per: float = DEFAULT_PER, *,
                 clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        if rate < 1:
            raise ValueError("rate must be at least 1 request")
        if per <= 0:
            raise ValueError("per must be a positive number of seconds")
        self.rate = int(rate)
        self.per = float(per)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._ends: deque[float] = deque()
        self._in_flight = 0
        self._hold_until = 0.0
        self.waited = 0.0  # total seconds spent waiting, for figures

    # ------------------------------------------------------------------ pacing
    def _delay(self, now: float) -> float:
        """Seconds to wait before a new request may start (0 = now); call under the lock."""
        while self._ends and self._ends[0] + self.per <= now - _EPSILON:
            self._ends.popleft()  # older than the window: no longer counts
        delay = max(0.0, self._hold_until - now)
        count = len(self._ends) + self._in_flight
        if count >= self.rate:
            if self._in_flight >= self.rate:
                return max(delay, 0.05)  # every slot is in flight: poll until one ends
            # enough of the oldest counted requests must leave the window first
            oldest_needed = self._ends[count - self.rate]
            delay = max(delay, oldest_needed + self.per + _EPSILON - now)
        return delay

    def acquire(self, sleep: Sleep | None = None) -> float:
        """Wait for a slot and reserve it; returns the seconds waited. Pair with ``release()``."""
        pause = sleep or self._sleep
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                delay = self._delay(now)
                if delay <= 0:
                    self._in_flight += 1
                    self.waited += waited
                    return waited
            pause(delay)
            waited += delay

    def release(self) -> None:
        """The reserved request has ended (answered or failed): it counts from now."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            self._ends.append(self._clock())
            while len(self._ends) > self.rate:
                self._ends.popleft()

    @contextmanager
    def slot(self, sleep: Sleep | None = None) -> Iterator[None]:
        self.acquire(sleep)
        try:
            yield
        finally:
            self.release()

    def hold(self, seconds: float) -> None:
        """Start nothing for ``seconds`` (Register said ``Retry-After``: someone else shares our budget)."""
        with self._lock:
            self._hold_until = max(self._hold_until, self._clock() + max(0.0, seconds))

    # ------------------------------------------------------------------ estimates
    @property
    def requests_per_second(self) -> float:
        return self.rate / self.per

    def estimate_seconds(self, requests: int) -> float:
        """Time to send ``requests`` more at the limit, from an idle start (the first ``rate`` go at once)."""
        if requests <= self.rate:
            return 0.0
        return (requests - self.rate) / self.requests_per_second
