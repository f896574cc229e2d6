"""Health, readiness and metrics endpoints; the API's one error shape; request ids and the
access log."""

import io
import json
import logging
import re

import pytest
from django.db import OperationalError
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from dgov.accounts.testing import api_client
from dgov.core import views_health
from dgov.core.logging import JsonFormatter, RequestIdFilter
from dgov.core.testing import ERROR_KEYS, assert_error

pytestmark = pytest.mark.django_db


# --- /healthz and /readyz -----------------------------------------------------------------------

def test_healthz():
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert "dgov_session" not in response.cookies


def test_readyz_when_ready(monkeypatch):
    monkeypatch.setattr(views_health, "_migrations_ok", False)
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}
    # Once ready, the migration check is not repeated on every probe.
    assert views_health._migrations_ok is True


def test_migrations_pending_is_empty_on_a_migrated_database():
    assert views_health.migrations_pending() == []


def test_migrations_pending_names_an_unapplied_migration(monkeypatch):
    latest = MigrationRecorder.Migration.objects.filter(app="calendars").order_by("-id").first()
    latest.delete()  # as if it had not been applied yet (rolled back with the test)
    assert views_health.migrations_pending() == [f"calendars.{latest.name}"]
    monkeypatch.setattr(views_health, "_migrations_ok", False)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "migrations": "1 pending"}}


def test_readyz_when_the_database_is_down(monkeypatch):
    class Down:
        vendor = "postgresql"

        def cursor(self):
            raise OperationalError("connection refused: host=db password=hunter2")

    monkeypatch.setattr(views_health, "connection", Down())
    monkeypatch.setattr(views_health, "_migrations_ok", False)
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "error: OperationalError"
    assert "hunter2" not in response.content.decode()


# --- /metrics ----------------------------------------------------------------------------------------

def test_metrics_from_loopback():
    Client().get("/healthz")
    response = Client().get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "dgov_http_requests_total" in text and 'route="healthz"' in text


@pytest.mark.parametrize("address", ["::1", "127.0.0.2"])
def test_metrics_from_other_loopback_addresses(address):
    assert Client(REMOTE_ADDR=address).get("/metrics").status_code == 200


@pytest.mark.parametrize("address", ["203.0.113.5", "10.0.0.7", "192.168.1.20", "2001:db8::1", "", "not-an-ip"])
def test_metrics_refused_from_elsewhere(address):
    response = Client(REMOTE_ADDR=address).get("/metrics")
    assert response.status_code == 403
    assert b"dgov_http" not in response.content


def test_metrics_with_the_token_from_anywhere(settings):
    settings.DGOV_METRICS_TOKEN = "s3cret-metrics-token"
    remote = Client(REMOTE_ADDR="203.0.113.5")
    assert remote.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics-token"}).status_code == 200
    assert remote.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert remote.get("/metrics", headers={"Authorization": "s3cret-metrics-token"}).status_code == 403
    assert remote.get("/metrics").status_code == 403


def test_without_a_token_configured_an_empty_bearer_does_not_open_metrics(settings):
    settings.DGOV_METRICS_TOKEN = ""
    assert Client(REMOTE_ADDR="203.0.113.5").get("/metrics", headers={"Authorization": "Bearer "}).status_code == 403


def test_metrics_behind_a_proxy_judge_the_real_client(settings):
    # nginx on the same host connects from 127.0.0.1; the client is the last X-Forwarded-For hop.
    settings.DGOV_NUM_PROXIES = 1
    proxied = Client(REMOTE_ADDR="127.0.0.1")
    assert proxied.get("/metrics", headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 403
    assert proxied.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200
    # A client cannot smuggle a loopback address in front of the real one.
    assert proxied.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1, 203.0.113.5"}).status_code == 403


# --- the API error shape ------------------------------------------------------------------------------

def test_401_shape():
    body = assert_error(api_client(None).get("/api/v1/me"), 401, "not_authenticated")
    assert body["details"] == {}


def test_401_for_a_wrong_token():
    client = Client(headers={"Authorization": "Bearer dgov_not-a-real-token"})
    assert_error(client.get("/api/v1/regions/360600"), 401, "not_authenticated")


def test_403_shape(world):
    assert_error(api_client(world.citizen).get("/api/v1/departments"), 403, "permission_denied")


def test_404_shape(world):
    assert_error(api_client(world.citizen).get("/api/v1/regions/999999"), 404, "not_found")


def test_404_for_an_unknown_api_path(world):
    assert_error(api_client(world.citizen).get("/api/v1/no-such-thing"), 404, "not_found")
    assert_error(api_client(None).get("/api/v1/no/such/thing"), 404, "not_found")
    assert_error(api_client(None).post("/api/v1/no-such-thing", data="{}", content_type="application/json"),
                 404, "not_found")
    assert_error(api_client(world.citizen).get("/api/v1/"), 404, "not_found")


def test_422_shape(world):
    body = assert_error(api_client(world.citizen).get("/api/v1/regions?limit=abc"), 422, "invalid")
    assert body["details"] == {"limit": ["请输入整数。"]} or list(body["details"]) == ["limit"]


def test_405_shape(world):
    response = api_client(world.admin).delete("/api/v1/regions")
    body = assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]
    assert body["message"]


def test_405_for_a_put_on_a_crud_object(world):
    response = api_client(world.admin).put("/api/v1/departments/360603000", data="{}",
                                           content_type="application/json")
    assert_error(response, 405, "method_not_allowed")
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "PATCH", "DELETE"}


def test_an_unexpected_exception_is_a_500_without_details(world, monkeypatch, caplog):
    from dgov.orgs import selectors

    def broken(code):
        raise RuntimeError("password=hunter2 at /srv/dgov/secret.py line 12")

    monkeypatch.setattr(selectors, "region_get", broken)
    with caplog.at_level(logging.ERROR, logger="dgov.api"):
        response = api_client(world.citizen).get("/api/v1/regions/360600")
    body = assert_error(response, 500, "server_error")
    assert body["details"] == {}
    assert "hunter2" not in response.content.decode() and "Traceback" not in response.content.decode()
    assert any(r.name == "dgov.api" and r.exc_info for r in caplog.records)  # logged for the operators


def test_error_messages_are_chinese_by_default_and_english_on_request(world):
    zh = api_client(None).get("/api/v1/me").json()["message"]
    en = api_client(None).get("/api/v1/me", headers={"Accept-Language": "en"}).json()["message"]
    assert re.search(r"[\u4e00-\u9fff]", zh) and en == "Please log in first."


def test_every_error_has_exactly_the_three_keys(world):
    client = api_client(world.citizen)
    for url in ("/api/v1/departments", "/api/v1/regions/1", "/api/v1/regions?level=x"):
        assert set(client.get(url).json()) == ERROR_KEYS


# --- request ids and the access log --------------------------------------------------------------------

def test_request_id_is_generated():
    first, second = Client().get("/healthz"), Client().get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_well_formed_request_id_is_echoed():
    response = Client().get("/healthz", headers={"X-Request-ID": "nginx-7f3a9c2e-0001"})
    assert response["X-Request-ID"] == "nginx-7f3a9c2e-0001"


@pytest.mark.parametrize("incoming", ["short", "has space in it", "x" * 65, "<script>alert(1)</script>", "abc\ndef12"])
def test_a_malformed_request_id_is_replaced(incoming):
    response = Client().get("/healthz", headers={"X-Request-ID": incoming})
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_request_id_reaches_the_audit_log_and_the_api_error(world):
    import json as _json

    from dgov.core.models import AuditEntry

    client = api_client(world.admin)
    response = client.post("/api/v1/departments", data=_json.dumps({"code": "x"}), content_type="application/json",
                           headers={"X-Request-ID": "trace-0123456789"})
    assert response.status_code == 422 and response["X-Request-ID"] == "trace-0123456789"
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.request_id, entry.outcome) == ("trace-0123456789", "failed")


@pytest.fixture
def access_log():
    """The access log as the console handler writes it: JSON lines with the request id."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("dgov.access")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def test_access_log_line_has_no_query_string(world, access_log):
    response = api_client(world.citizen).get("/api/v1/regions?within=360603&token=s3cr3t&id=360602199001011234")
    lines = [json.loads(line) for line in access_log.getvalue().splitlines()]
    line = next(entry for entry in lines if entry["path"] == "/api/v1/regions")
    assert (line["method"], line["status"], line["msg"], line["logger"]) == ("GET", 200, "request", "dgov.access")
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] == world.citizen.pk and isinstance(line["duration_ms"], float)
    text = access_log.getvalue()
    assert "s3cr3t" not in text and "360602199001011234" not in text and "within" not in text


def test_access_log_for_an_anonymous_request(access_log):
    Client().get("/healthz?x=1")
    line = json.loads(access_log.getvalue().splitlines()[-1])
    assert (line["path"], line["status"], line["user_id"]) == ("/healthz", 200, None)
