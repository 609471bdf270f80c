"""Time and resident memory of benchmark steps (shared by the bench scripts)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def peak_rss() -> int:
    """VmHWM: the process's resident-set high-water mark."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


class Measured:
    """Wall time and peak extra resident memory of one step."""

    def __init__(self, label: str, width: int = 48) -> None:
        self.label = label
        self.width = width
        self.seconds = 0.0
        self.peak = 0

    def run(self, fn: Callable[[], Any]) -> Any:
        base = rss()
        peak = [base]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], rss())
                time.sleep(0.002)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        start = time.perf_counter()
        try:
            return fn()
        finally:
            self.seconds = time.perf_counter() - start
            done.set()
            sampler.join()
            self.peak = max(peak[0], rss()) - base

    def line(self) -> str:
        return f"{self.label:<{self.width}} {self.seconds:9.2f} s  {self.peak / 2**20:9.0f} MiB"
