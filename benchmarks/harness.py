"""What every benchmark here needs: Django on a database of its own, and a line about the machine."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def configure_django(sqlite_path: Path | None) -> None:
    """Set Django up with the in-memory channel layer, on a SQLite file (never the project's
    db.sqlite3) or, with `sqlite_path=None`, on DATABASE_URL as it is set."""
    sys.path.insert(0, str(PROJECT_DIR))
    os.environ.pop("REDIS_URL", None)
    if sqlite_path is not None:
        os.environ.pop("DATABASE_URL", None)
        os.environ["SQLITE_PATH"] = str(sqlite_path)
    os.environ["DEBUG"] = "true"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()


def machine() -> str:
    """CPU, cores, load, Python and SQLite versions: figures mean little without them."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        load = "?"
    return (
        f"{cpu}, {os.cpu_count()} cores (load average {load}); Python {platform.python_version()}; "
        f"SQLite {sqlite3.sqlite_version}; {platform.system()} {platform.release()}"
    )
