"""Where and with what a benchmark ran: machine, versions, command."""
from __future__ import annotations

import os
import platform
import shlex
import sys
from typing import Dict, List, Optional


def cpu_model() -> str:
    """The CPU model name (``/proc/cpuinfo`` on Linux, ``platform.processor()`` elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _version(dist: str) -> Optional[str]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def machine_info() -> Dict[str, object]:
    """CPU model, logical cores, cores usable by this process, memory, OS."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem_gb = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_gb = round(int(line.split()[1]) / 1024**2, 1)
                    break
    except OSError:
        pass
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        load = None
    return {
        "cpu": cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gb": mem_gb,
        "os": platform.platform(),
        "load_average_at_start": load,
    }


def versions() -> Dict[str, Optional[str]]:
    from ..about import __version__

    return {
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "pulp": _version("pulp") or _version("PuLP"),
        "spacy": _version("spacy"),
        "spacy-xproj": __version__,
        "eflomal": _version("eflomal"),
    }


def command_line(argv: Optional[List[str]] = None) -> str:
    """The command as typed (``python -m spacy_xproj`` / ``xproj`` + arguments)."""
    argv = list(sys.argv if argv is None else argv)
    prog = os.path.basename(argv[0]) if argv else "xproj"
    if prog in ("__main__.py", "-m"):
        prog = "python -m spacy_xproj"
    return " ".join([prog] + [shlex.quote(a) for a in argv[1:]])
