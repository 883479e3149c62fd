"""RateLimiter: never more than `rate` requests in any window, yet close to the limit."""

import random

import pytest

from desktop.api.ratelimit import RateLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


def run(limiter: RateLimiter, t: FakeTime, n: int, latency) -> list[tuple[float, float]]:
    """Send n requests one after another; returns (start, end) of each."""
    spans = []
    for _ in range(n):
        limiter.acquire()
        start = t.now
        t.now += latency()
        limiter.release()
        spans.append((start, t.now))
    return spans


def max_in_fixed_windows(arrivals: list[float], per: float, offset: float) -> int:
    counts: dict[int, int] = {}
    for a in arrivals:
        k = int((a - offset) // per)
        counts[k] = counts.get(k, 0) + 1
    return max(counts.values())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_fixed_window_ever_overfilled_whatever_the_latency(seed):
    """Arrivals anywhere between start and end of each request never put rate+1 in one server window."""
    rng = random.Random(seed)
    t = FakeTime()
    limiter = RateLimiter(10, 6.0, clock=t.clock, sleep=t.sleep)
    spans = run(limiter, t, 200, lambda: rng.uniform(0.001, 0.8))
    arrivals = [rng.uniform(s, e) for s, e in spans]
    for offset in [0.0, 0.37, 1.5, 3.9, 5.99]:
        assert max_in_fixed_windows(arrivals, 6.0, t.now + offset) <= 10


def test_sustains_close_to_the_limit():
    """With small latency the sustained rate is within 1 % of rate/per."""
    t = FakeTime()
    limiter = RateLimiter(100, 60.0, clock=t.clock, sleep=t.sleep)
    spans = run(limiter, t, 1000, lambda: 0.05)
    starts = [s for s, _ in spans]
    rate = (len(starts) - 100) / (starts[-1] - starts[0])  # beyond the free first window
    assert 0.99 * 100 / 60 <= rate <= 100 / 60
    for i in range(len(starts) - 100):  # and no 60 s span ever holds more than 100 starts
        assert starts[i + 100] - starts[i] >= 60


def test_first_burst_goes_at_once():
    t = FakeTime()
    limiter = RateLimiter(5, 10.0, clock=t.clock, sleep=t.sleep)
    for _ in range(5):
        limiter.acquire()
        limiter.release()
    assert t.now == 1_000_000.0  # five requests within the limit: no wait at all
    limiter.acquire()
    assert t.now >= 1_000_010.0


def test_hold_delays_every_request():
    """After Retry-After nothing starts until it has passed."""
    t = FakeTime()
    limiter = RateLimiter(100, 60.0, clock=t.clock, sleep=t.sleep)
    limiter.hold(7.5)
    waited = limiter.acquire()
    assert waited == pytest.approx(7.5)


def test_estimate_at_the_limit():
    limiter = RateLimiter(100, 60.0)
    assert limiter.estimate_seconds(100) == 0
    assert limiter.estimate_seconds(500) == pytest.approx(240)


def test_rejects_nonsense_settings():
    with pytest.raises(ValueError):
        RateLimiter(0, 60)
    with pytest.raises(ValueError):
        RateLimiter(10, 0)
