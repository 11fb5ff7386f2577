"""Shared test setup: offline, headless, data from the shared copy when present."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("COURSE_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
if not os.environ.get("COURSE_DATA_DIR") and (SHARED / "asap7" / "asap7.csv").is_file():
    os.environ["COURSE_DATA_DIR"] = str(SHARED)


@pytest.fixture
def asap7():
    """The ASAP-7 frame, or skip when no offline copy is available."""
    from course_utils.data import DataNotFoundError, load_asap

    try:
        return load_asap(7)
    except DataNotFoundError as exc:  # pragma: no cover - depends on the machine
        pytest.skip(str(exc))
