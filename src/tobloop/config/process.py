"""Settings of a serving process's Python runtime."""

from __future__ import annotations

import gc

# Python's cyclic collector starts a young-generation collection whenever 700 more container
# objects were made than freed. A batch call of 100 events makes a few hundred dicts, which
# reference counting frees moments later, so under load the workers collected about 80 times
# a second, each time looking at the request threads' live objects, and every few seconds the
# whole heap (Django and the app: about 120,000 objects): 6–7 % of a worker's CPU. Objects
# that live as long as the process are frozen out of the collector, and it starts only when
# 20,000 more containers live than before; garbage in reference cycles is still collected.
YOUNG_THRESHOLD = 20_000


def tune_garbage_collection() -> None:
    """Call once the application is loaded, in each serving process."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
