"""Per-process caches that are never stale across worker processes.

Hot reads that rarely change (who a bearer token belongs to, a caller's profile, reference data)
are kept in each worker's memory, keyed by a *generation* of the data family they come from. Every
write is audited, and the audit log bumps the generation of the family the write touched
(`invalidate_on_audit`), immediately and again once the transaction commits. Each read compares
the generation first, so no process serves data older than the last committed write.

A generation lives in a small file in the data directory, replaced atomically on every bump (its
inode and modification time change: one `stat` per read), which serves every process on one node.
With DGOV_REDIS_URL set the generation is a counter in Redis instead, shared by every node.
Entries also expire after a TTL, as a backstop for writes made outside the platform (SQL by hand).
"""

import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.core.exceptions import EmptyResultSet
from django.db import transaction
from django.utils import translation

_REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"


def _shared() -> bool:
    return settings.CACHES["default"]["BACKEND"] == _REDIS_BACKEND


class Generation:
    def __init__(self, name: str):
        self.name = name
        self._dir = self._file = None

    @property
    def path(self) -> Path:
        return Path(self.file)

    @property
    def file(self) -> str:
        # Read on every request: keep the joined path as a string (a pathlib.Path per call cost
        # more than the stat itself), rebuilt only if the setting changes.
        if self._dir is not settings.DGOV_CACHE_DIR:
            self._dir = settings.DGOV_CACHE_DIR
            self._file = os.path.join(self._dir, f"{self.name}.generation")
        return self._file

    def current(self):
        if _shared():
            value = shared_cache.get(f"dgov:generation:{self.name}")
            return value if value is not None else self._bump_shared()
        try:
            st = os.stat(self.file)
        except FileNotFoundError:
            self.bump()
            st = os.stat(self.file)
        return st.st_ino, st.st_mtime_ns

    def _bump_shared(self):
        key = f"dgov:generation:{self.name}"
        try:
            return shared_cache.incr(key)
        except ValueError:  # not there yet (or evicted): any new value invalidates
            value = uuid.uuid4().int >> 80  # 48 random bits: far from INCR's 64-bit signed limit
            shared_cache.set(key, value, timeout=None)
            return value

    def bump(self) -> None:
        if _shared():
            self._bump_shared()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(uuid.uuid4().hex)
        os.replace(tmp, self.path)  # a new inode: readers see the change whatever the clock says

    def bump_now_and_on_commit(self) -> None:
        """Before commit, so this process stops serving what it is changing; after commit, so
        that no process re-caches the old rows in between."""
        self.bump()
        transaction.on_commit(self.bump)


IDENTITY = Generation("identity")  # users, roles and grants, tokens, persons, enterprises, agents
REFERENCE = Generation("reference")  # regions, departments, management areas, the calendar
KEYS = Generation("keys")  # the cryptography service's keys, versions, policies and applications
CATALOG = Generation("catalog")  # the data resource catalog: entries, items, classifications, negative list
OPEN_DATA = Generation("opendata")  # the open-data portal: open datasets (status, metadata, topics) and the topics


class ProcessCache:
    """A bounded, thread-safe LRU of values tagged with the generation(s) they were built under."""

    registry: list["ProcessCache"] = []

    def __init__(self, name: str, *, maxsize: int = 10000, ttl: float = 300):
        self.name, self.maxsize, self.ttl = name, maxsize, ttl
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        ProcessCache.registry.append(self)

    def get(self, key, generation):
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            tag, expires, value = item
            if tag != generation or expires < time.monotonic():
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return value

    def set(self, key, generation, value) -> None:
        with self._lock:
            self._data[key] = (generation, time.monotonic() + self.ttl, value)
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def get_or_build(self, key, generation, build: Callable):
        value = self.get(key, generation)
        if value is None:
            value = build()
            self.set(key, generation, value)
        return value

    def get_or_build_over(self, queryset, generation, build: Callable, *extra):
        """`get_or_build` for a value computed over `queryset` (counts, facets): keyed by its SQL with the
        parameters (so a reader's scope is part of it), its database, the active language (the value may
        carry labels) and `extra`. A queryset that can match nothing is built every time."""
        try:
            sql, params = queryset.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:
            return build()
        key = (queryset.db, sql, repr(params), translation.get_language(), *extra)
        return self.get_or_build(key, generation, build)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    @classmethod
    def clear_all(cls) -> None:
        for c in cls.registry:
            c.clear()


_audit_rules: list[tuple[tuple[str, ...], Generation]] = []


def invalidate_on_audit(prefixes: tuple[str, ...], generation: Generation) -> None:
    """Bump `generation` whenever an audit entry's action or object type starts with one of
    `prefixes` (apps call this from AppConfig.ready for the data they own)."""
    _audit_rules.append((prefixes, generation))


def on_audit_recorded(action: str, object_type: str) -> None:
    """Called by dgov.core.audit.record for every entry written."""
    for prefixes, generation in _audit_rules:
        if action.startswith(prefixes) or object_type.startswith(prefixes):
            generation.bump_now_and_on_commit()
