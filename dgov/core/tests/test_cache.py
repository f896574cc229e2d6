"""Per-process caches (dgov/core/cache.py): a write through the platform is visible at once, in
this process and in others, and nothing grows without bound."""

import subprocess
import sys
import time

import redis

from dgov.accounts import services
from dgov.accounts.testing import api_client
from dgov.core.cache import IDENTITY, REFERENCE, Generation, ProcessCache
from dgov.core.services import save_object
from dgov.orgs.models import Region


def test_a_bump_in_another_process_is_seen_here(settings):
    before = IDENTITY.current()
    code = ("import os, django; os.environ['DJANGO_SETTINGS_MODULE']='dgov.settings.test'; "
            f"os.environ['DGOV_TEST_CACHE_DIR']={str(settings.DGOV_CACHE_DIR)!r}; django.setup(); "
            "from django.conf import settings as s; from pathlib import Path; "
            "s.DGOV_CACHE_DIR = Path(os.environ['DGOV_TEST_CACHE_DIR']); "
            "from dgov.core.cache import IDENTITY; IDENTITY.bump()")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=60)
    assert IDENTITY.current() != before


def test_a_profile_change_shows_in_the_next_me(world):
    client = api_client(world.yujiang_admin)
    assert client.get("/api/v1/me").json()["real_name"] == "t_yujiang_admin"
    services.user_update(actor=world.admin, user=world.yujiang_admin, real_name="新名字")
    assert client.get("/api/v1/me").json()["real_name"] == "新名字"


def test_a_withdrawn_role_shows_in_the_next_me_and_in_permissions(world):
    client = api_client(world.yujiang_admin)
    assert client.get("/api/v1/users").status_code == 200
    assignment = world.yujiang_admin.role_assignments.get()
    services.role_unassign(actor=world.admin, assignment=assignment)
    assert client.get("/api/v1/me").json()["roles"] == []
    assert client.get("/api/v1/users").status_code == 403


def test_a_renamed_region_shows_in_the_next_region_page(world):
    client = api_client(world.citizen)
    url = "/api/v1/regions?within=360603&level=county"
    assert client.get(url).json()["items"][0]["name"] == "余江区"
    region = Region.objects.get(code="360603000000")
    region.name = "余江区（改）"
    _save_region_as_superuser(region)  # no built-in role edits regions: they are national data
    assert client.get(url).json()["items"][0]["name"] == "余江区（改）"


def _save_region_as_superuser(region):
    from dgov.accounts.testing import make_user

    boss = make_user("t_boss", is_superuser=True)
    save_object(actor=boss, instance=region)


def test_generations_live_in_redis_when_it_is_the_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/15"}}
    server = redis.Redis.from_url("redis://127.0.0.1:6379/15")
    server.flushdb()
    generation = Generation("test-family")
    first = generation.current()
    generation.bump()
    second = generation.current()
    assert first != second
    assert any(b"dgov:generation:test-family" in key for key in server.keys("*"))
    server.flushdb()


def test_process_cache_is_bounded_and_expires(monkeypatch):
    cache = ProcessCache("test-bounded", maxsize=3, ttl=10)
    for i in range(5):
        cache.set(i, "g", i)
    assert [cache.get(i, "g") for i in range(5)] == [None, None, 2, 3, 4]
    assert cache.get(4, "other generation") is None
    cache.set("k", "g", "v")
    later = time.monotonic() + 11
    monkeypatch.setattr("dgov.core.cache.time.monotonic", lambda: later)
    assert cache.get("k", "g") is None
    ProcessCache.registry.remove(cache)


def test_reference_and_identity_are_independent(db):
    identity, reference = IDENTITY.current(), REFERENCE.current()
    REFERENCE.bump()
    assert IDENTITY.current() == identity and REFERENCE.current() != reference
