"""One demo portal for the tests that only read it: building it (and its PDF/DOCX attachments, on the first
truth()) costs seconds, so it is built once per session. Tests that publish, revise or withdraw build their own."""

from __future__ import annotations

import pytest

from nianbao.demo_portal.sites import build_portal


@pytest.fixture(scope="session")
def portal():
    """Read-only use: the portal's traps fire on a URL's first request only, so sharing can only spare a test a
    trap, never add one; a test that asserts a trap fires must use a fresh ``build_portal()``."""
    return build_portal()
