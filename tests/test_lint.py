"""The code stays lint-clean (ruff, with the rules in pyproject.toml): unused imports, unsorted
imports, undefined names and likely bugs are caught here rather than in review."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "dgov", "tests", "bench", "conftest.py"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
