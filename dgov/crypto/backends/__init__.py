"""Cryptographic backends: `native` (OpenSSL) and `python` (pure-Python fallback).

`DGOV_CRYPTO_BACKEND` chooses one: `auto` (the default: native when the system's OpenSSL 3 with SM2
can be loaded, otherwise python), `native` (fail if unavailable) or `python`.
"""

import os
from contextlib import contextmanager

from dgov.crypto.backends.base import Backend
from dgov.crypto.errors import BackendUnavailable

NAMES = ("native", "python")


def load(name: str) -> Backend:
    """An instance of the backend `name`; BackendUnavailable with the reason if it cannot run here."""
    try:
        if name == "native":
            from dgov.crypto.backends.native import NativeBackend

            return NativeBackend()
        if name == "python":
            from dgov.crypto.backends.python import PythonBackend

            return PythonBackend()
    except ImportError as exc:
        raise BackendUnavailable(f"the {name} backend cannot be imported: {exc}") from exc
    raise BackendUnavailable(f"unknown cryptography backend {name!r}: choose one of {', '.join(NAMES)} or auto")


def available() -> list[Backend]:
    """Every backend that loads on this machine (tests run the vectors against each)."""
    found = []
    for name in NAMES:
        try:
            found.append(load(name))
        except BackendUnavailable:
            pass
    return found


_selected: Backend | None = None


def default() -> Backend:
    """The backend the platform uses (chosen once per process)."""
    global _selected
    if _selected is None:
        _selected = _choose()
    return _selected


@contextmanager
def using(backend: Backend):
    """Run a block with another backend (tests run every vector against each backend)."""
    global _selected
    previous, _selected = _selected, backend
    try:
        yield backend
    finally:
        _selected = previous


def _choose() -> Backend:
    choice = os.environ.get("DGOV_CRYPTO_BACKEND", "auto").strip().lower() or "auto"
    if choice != "auto":
        return load(choice)
    try:
        return load("native")
    except BackendUnavailable:
        return load("python")
