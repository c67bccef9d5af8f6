"""Fixtures every test folder may use."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
EXAMPLES = REPO / "examples"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only reference data beside the project (../shared); tests using it skip without it."""
    if not SHARED.is_dir():
        pytest.skip(f"reference data not found at {SHARED} (../shared beside the project)")
    return SHARED


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return EXAMPLES


@pytest.fixture(scope="session")
def analyzer():
    """One analyzer (and so one spaCy model load) for the whole session."""
    from entrelignes.analyze import Analyzer

    return Analyzer()
