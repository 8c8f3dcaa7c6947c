"""What machine the figures come from: cores, CPU model, memory, load average, library versions."""

from __future__ import annotations

import os
import platform
import time

import psutil

from docqa.core.process import usable_cores


def snapshot() -> dict:
    """Load average and time now; taken at the start and the end of a run."""
    one, five, fifteen = os.getloadavg()
    return {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "loadavg": [round(one, 2), round(five, 2), round(fifteen, 2)],
    }


def info() -> dict:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": usable_cores(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def loaded(start: dict, end: dict, cores: int) -> bool:
    """True when other work kept the cores busy: the 1-minute load exceeded the core count."""
    return max(start["loadavg"][0], end["loadavg"][0]) > cores
