"""Per-write-key rate limit: a token bucket of events per second in each process."""

from __future__ import annotations

import math
import threading
import time


class RateLimiter:
    """``rate`` events per second per key with a one-second burst; 0 turns it off.

    A call larger than the burst is let through when the bucket is full and leaves it in
    debt, so no call size is refused forever.
    """

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def admit(self, key: str, events: int) -> int | None:
        """None when admitted, else the seconds to wait (for ``Retry-After``)."""
        if self.rate <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.rate, now))
            tokens = min(self.rate, tokens + (now - last) * self.rate)
            if tokens <= 0 or (events > tokens and tokens < self.rate):
                self._buckets[key] = (tokens, now)
                return max(1, math.ceil((min(events, self.rate) - tokens) / self.rate))
            self._buckets[key] = (tokens - events, now)
            return None
