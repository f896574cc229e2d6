"""With DGOV_REDIS_URL the cache (login throttling, shared by every worker) lives in Redis: this
talks to the real Redis on 127.0.0.1:6379 (database 15, emptied first)."""

import redis
from django.test import RequestFactory

from dgov.core.api import LoginRateThrottle

REDIS_URL = "redis://127.0.0.1:6379/15"


def test_login_throttle_counts_are_shared_through_redis(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": REDIS_URL}}
    server = redis.Redis.from_url(REDIS_URL)
    server.flushdb()
    request = RequestFactory().post("/api/v1/auth/token", REMOTE_ADDR="198.51.100.9")
    worker_a, worker_b = LoginRateThrottle("2/min"), LoginRateThrottle("2/min")
    assert worker_a.allow_request(request)
    assert worker_b.allow_request(request)
    assert not worker_a.allow_request(request)  # the second worker's request counted for the first
    keys = [k.decode() for k in server.keys("*")]
    assert any("throttle_login_198.51.100.9" in k for k in keys), keys
    server.flushdb()


def test_settings_turn_dgov_redis_url_into_the_redis_cache(monkeypatch):
    import importlib

    import dgov.settings.base as base

    monkeypatch.setenv("DGOV_REDIS_URL", REDIS_URL)
    try:
        reloaded = importlib.reload(base)
        assert reloaded.CACHES["default"] == {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                              "LOCATION": REDIS_URL}
    finally:
        monkeypatch.delenv("DGOV_REDIS_URL")
        importlib.reload(base)
