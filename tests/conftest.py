"""Suite-wide collection order: the end-to-end files (real crawls, Dagster runs) first.

``make test`` spreads whole files over two workers (pytest-xdist ``--dist loadfile --no-loadscope-reorder``),
which hand files out in collection order; a long e2e file handed out last would run alone at the end."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("e2e") is None)  # stable: files keep their order
