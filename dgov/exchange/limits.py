"""State the gateway shares across worker processes and nodes: nonces already used, and the calls
counted against each grant per minute (rate limit) and per day (quota).

Without Redis both live in the application database: a nonce is a row under a unique constraint
(the second INSERT of the same nonce fails, whichever worker tries), a counter a row raised by a
conditional UPDATE (`calls < limit`), which the database applies atomically. With DGOV_REDIS_URL set
they live in Redis instead (SET NX with an expiry; INCR), shared by every node.
"""

import random
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dgov.exchange.models import ExchangeCounter, ExchangeNonce

MINUTE, DAY = "minute", "day"
PRUNE_ONE_IN = 500  # prune expired nonces and counters on about one call in this many


def _quoted(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def window_seconds() -> int:
    return int(getattr(settings, "DGOV_EXCHANGE_TIMESTAMP_WINDOW", 300))


def _redis() -> bool:
    return settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


def use_nonce(key_id: str, nonce: str, now=None) -> bool:
    """True the first time (key id, nonce) is seen within twice the timestamp window; False for a replay."""
    now = now or timezone.now()
    keep = 2 * window_seconds()
    if _redis():
        return cache.add(f"dgov:exchange:nonce:{key_id}:{nonce}", 1, timeout=keep)
    if connection.vendor in ("postgresql", "sqlite"):
        # One statement, no savepoint: the unique constraint decides, the row count tells.
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {_quoted(ExchangeNonce)} (key_id, nonce, seen_at) VALUES (%s, %s, %s) "
                           f"ON CONFLICT (key_id, nonce) DO NOTHING",
                           [key_id, nonce, connection.ops.adapt_datetimefield_value(now)])
            if cursor.rowcount != 1:
                return False
    else:
        try:
            with transaction.atomic():
                ExchangeNonce.objects.create(key_id=key_id, nonce=nonce, seen_at=now)
        except IntegrityError:
            return False
    if random.randrange(PRUNE_ONE_IN) == 0:
        prune(now)
    return True


def prune(now=None) -> tuple[int, int]:
    """Delete nonces past twice the window and counters of past days; returns (nonces, counters)."""
    now = now or timezone.now()
    nonces, _ = ExchangeNonce.objects.filter(seen_at__lt=now - timedelta(seconds=2 * window_seconds())).delete()
    counters, _ = ExchangeCounter.objects.filter(start__lt=now - timedelta(days=2)).delete()
    return nonces, counters


def window_start(window: str, now):
    local = timezone.localtime(now)
    if window == MINUTE:
        return local.replace(second=0, microsecond=0)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)  # the day in Asia/Shanghai


def take(grant_id: int, window: str, limit: int | None, now=None) -> bool:
    """Count one call against `grant_id` in the current `window` unless `limit` is reached.
    No limit (None or 0) counts nothing and allows the call."""
    if not limit:
        return True
    start = window_start(window, now or timezone.now())
    if _redis():
        key = f"dgov:exchange:{window}:{grant_id}:{int(start.timestamp())}"
        cache.add(key, 0, timeout=120 if window == MINUTE else 2 * 86400)
        try:
            if cache.incr(key) <= limit:
                return True
            cache.decr(key)  # a refused call is not counted, as with the database's conditional UPDATE
            return False
        except ValueError:  # evicted between add and incr: count afresh
            cache.add(key, 1, timeout=120 if window == MINUTE else 2 * 86400)
            return True
    rows = ExchangeCounter.objects.filter(grant_id=grant_id, window=window, start=start)
    # The conditional UPDATE in SQL of its own: it runs on every call, and the ORM's compilation of
    # it cost more than the statement.
    update = (f"UPDATE {_quoted(ExchangeCounter)} SET calls = calls + 1 WHERE grant_id = %s AND "
              f"{connection.ops.quote_name('window')} = %s AND start = %s AND calls < %s")
    params = [grant_id, window, connection.ops.adapt_datetimefield_value(start), limit]
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(update, params)
            if cursor.rowcount == 1:
                return True
        if rows.exists():
            return False  # the limit is reached
        try:
            with transaction.atomic():
                ExchangeCounter.objects.create(grant_id=grant_id, window=window, start=start, calls=1)
            return True
        except IntegrityError:
            continue  # another worker created it first: count against that row
    return False


def used(grant_id: int, window: str, now=None) -> int:
    """Calls counted in the current window (for the pages)."""
    start = window_start(window, now or timezone.now())
    if _redis():
        return int(cache.get(f"dgov:exchange:{window}:{grant_id}:{int(start.timestamp())}") or 0)
    row = ExchangeCounter.objects.filter(grant_id=grant_id, window=window, start=start).values_list(
        "calls", flat=True).first()
    return row or 0
