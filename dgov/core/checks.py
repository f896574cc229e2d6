"""The deployment self-check behind `dgov check`: each check returns (status, message) with
status "ok", "warn" or "fail". Run by the command and available to tests."""

import datetime as dt
import os
import stat

from django.conf import settings
from django.db import connection

OK, WARN, FAIL = "ok", "warn", "fail"
CHECKS = []


def check(label):
    def register(func):
        CHECKS.append((label, func))
        return func
    return register


def _private(path) -> bool:
    try:
        return stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0
    except FileNotFoundError:
        return False


@check("secret key")
def _secret():
    if len(settings.SECRET_KEY) < 50:
        return FAIL, "DGOV_SECRET_KEY is shorter than 50 characters"
    path = settings.DATA_DIR / "secret.key"
    if not os.environ.get("DGOV_SECRET_KEY") and not _private(path):
        return WARN, f"{path} is readable by other users (chmod 600)"
    return OK, "set" + (" from DGOV_SECRET_KEY" if os.environ.get("DGOV_SECRET_KEY") else f" ({path})")


@check("master key")
def _master():
    from dgov.crypto.keys import verify_master_key

    verify_master_key()  # raises when missing or not the key this database was encrypted under
    if os.environ.get("DGOV_MASTER_KEY"):
        return OK, "from DGOV_MASTER_KEY"
    if not _private(settings.MASTER_KEY_FILE):
        return WARN, f"{settings.MASTER_KEY_FILE} is readable by other users (chmod 600)"
    return OK, f"{settings.MASTER_KEY_FILE} (back it up apart from the database: without it nothing decrypts)"


@check("debug")
def _debug():
    return (FAIL, "DGOV_DEBUG is on") if settings.DEBUG else (OK, "off")


@check("allowed hosts")
def _hosts():
    if "*" in settings.ALLOWED_HOSTS:
        return WARN, "DGOV_ALLOWED_HOSTS contains *"
    return OK, ", ".join(settings.ALLOWED_HOSTS)


@check("proxy")
def _proxy():
    behind = getattr(settings, "SECURE_PROXY_SSL_HEADER", None) is not None
    if behind and not settings.DGOV_NUM_PROXIES:
        return WARN, ("DGOV_BEHIND_TLS_PROXY is on but DGOV_NUM_PROXIES is 0: every client looks like the "
                      "proxy (audit IPs, login throttling, /metrics access); set DGOV_NUM_PROXIES=1")
    return OK, f"{settings.DGOV_NUM_PROXIES} trusted proxy hop(s)" if behind else "none (serving directly)"


@check("cookies")
def _cookies():
    if not settings.SESSION_COOKIE_SECURE:
        return WARN, "secure cookies are off (DGOV_SECURE_COOKIES)"
    tls = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    return OK, "secure, HttpOnly, SameSite=Lax" + ("; behind a TLS proxy" if tls else "")


@check("database")
def _database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means unreachable; say which
        return FAIL, f"unreachable: {type(exc).__name__}: {exc}"
    version = ".".join(str(p) for p in connection.Database.sqlite_version_info) if connection.vendor == "sqlite" \
        else str(connection.pg_version if connection.vendor == "postgresql" else "")
    return OK, f"{connection.vendor} {version} reachable"


@check("cache")
def _cache():
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    if backend != "RedisCache":
        return OK, "per process (one node); set DGOV_REDIS_URL to share it between nodes"
    from django.core.cache import cache

    try:
        cache.set("dgov:check", "ok", timeout=10)
        if cache.get("dgov:check") != "ok":
            return FAIL, "Redis answered but did not keep a value"
    except Exception as exc:  # any client error means the shared cache is unusable; say which
        return FAIL, f"Redis unreachable ({type(exc).__name__}): every API call depends on it"
    return OK, "Redis (shared by every node)"


@check("migrations")
def _migrations():
    from dgov.core.views_health import migrations_pending

    pending = migrations_pending()
    return (FAIL, f"{len(pending)} not applied: run `dgov init`") if pending else (OK, "all applied")


@check("cryptography")
def _crypto():
    from dgov.crypto.primitives import SM2PrivateKey, backend_description, sm3, sm4_gcm_decrypt, sm4_gcm_encrypt

    if sm3(b"abc").hex() != "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0":
        return FAIL, "SM3 self-test failed"
    key = bytes(range(16))
    if sm4_gcm_decrypt(key, sm4_gcm_encrypt(key, b"dgov")) != b"dgov":
        return FAIL, "SM4-GCM self-test failed"
    sm2 = SM2PrivateKey.generate()
    if not sm2.public_key().verify(b"dgov", sm2.sign(b"dgov")):
        return FAIL, "SM2 signature self-test failed"
    if sm2.decrypt(sm2.public_key().encrypt(b"dgov")) != b"dgov":
        return FAIL, "SM2 encryption self-test failed"
    description = backend_description()
    if not description.startswith("native"):
        return WARN, f"SM2/SM3/SM4 self-tests pass on the slow fallback: {description}"
    return OK, f"SM2/SM3/SM4 self-tests pass; backend {description}"


@check("audit chain")
def _audit():
    from dgov.core.audit import verify

    result = verify()
    if not result.ok:
        return FAIL, f"broken at entry #{result.broken_seq}: {result.reason}"
    days = settings.DGOV_AUDIT_RETENTION_DAYS
    return OK, f"{result.checked} entries intact; retention {days} days"


@check("working-day calendar")
def _calendar():
    from dgov.calendars.selectors import covered_years

    years = covered_years()
    today = dt.date.today()
    if today.year not in years:
        return FAIL, f"no holiday schedule for {today.year}: load it (系统管理 → 工作日历)"
    if today.month >= 11 and today.year + 1 not in years:
        return WARN, f"the {today.year + 1} schedule is not loaded yet (published each November)"
    return OK, f"schedules for {', '.join(map(str, years))}"


@check("static files")
def _static():
    if (settings.STATIC_ROOT / "staticfiles.json").exists():
        return OK, f"collected in {settings.STATIC_ROOT}"
    return WARN, "not collected yet: run `dgov init` (or it happens on `dgov serve`)"


def run_all():
    results = []
    for label, func in CHECKS:
        try:
            status, message = func()
        except Exception as exc:  # a check that crashes is itself a failure to report
            status, message = FAIL, f"{type(exc).__name__}: {exc}"
        results.append((label, status, message))
    return results
