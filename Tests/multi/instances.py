"""The two instances Tests/multi/run.sh starts on one PostgreSQL database: A and B, their base
URLs (ETRANGE_A, ETRANGE_B). A test module that imports them is skipped without them. Puts
Tests/lib on the import path, for jsonapi."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))

A = (os.environ.get("ETRANGE_A") or "").rstrip("/")
B = (os.environ.get("ETRANGE_B") or "").rstrip("/")
if not (A and B):
    pytest.skip("ETRANGE_A et ETRANGE_B doivent donner les adresses de deux instances "
                "sur la même base PostgreSQL : lancez Tests/multi/run.sh.", allow_module_level=True)
