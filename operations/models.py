"""Operations data: contracts and their terms, billing snapshots, data exports (docs/design.md §8)."""

from __future__ import annotations
