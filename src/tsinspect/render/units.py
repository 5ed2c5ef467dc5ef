"""Quantities as people read them, shared by every renderer."""

from __future__ import annotations


def human_bytes(size: int) -> str:
    """``1.6 MiB``, ``512 B``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover - the loop always returns
