"""The API's second authentication path (a browser session, with CSRF on writes) and its docs page."""

import json

from django.test import Client

from dgov.accounts.testing import make_user
from dgov.core.testing import assert_error


def _session_client(user, *, enforce_csrf: bool) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(user, backend="dgov.accounts.backends.LockoutModelBackend")
    return client


def test_session_reads_work_without_a_token(world):
    client = _session_client(world.admin, enforce_csrf=True)
    body = client.get("/api/v1/me").json()
    assert body["username"] == "t_admin"


def test_session_write_without_csrf_token_is_refused(world):
    client = _session_client(world.admin, enforce_csrf=True)
    payload = {"code": "360603990", "name": "测试单位", "kind": "department", "parent_code": "360603000"}
    response = client.post("/api/v1/departments", data=json.dumps(payload), content_type="application/json")
    assert_error(response, 403, "csrf_failed")
    # With the CSRF token from the cookie the same write goes through.
    client.get("/accounts/profile/")  # a page with a form sets the CSRF cookie
    token = client.cookies["dgov_csrftoken"].value
    response = client.post("/api/v1/departments", data=json.dumps(payload), content_type="application/json",
                           headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.content
    assert response.json()["parent_code"] == "360603000"


def test_bearer_token_wins_over_a_missing_session(world):
    anonymous = Client()
    assert_error(anonymous.get("/api/v1/me"), 401, "not_authenticated")


def test_docs_page_is_served_locally(client):
    html = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle" in html
    assert "cdn." not in html and "https://" not in html


def test_inactive_user_session_is_not_authenticated(db):
    user = make_user("t_gone", department_code="360600001", roles=[("staff", "own", None)])
    client = _session_client(user, enforce_csrf=False)
    user.is_active = False
    user.save()
    assert_error(client.get("/api/v1/me"), 401, "not_authenticated")


def test_login_endpoints_are_rate_limited_per_client(db, settings):
    """Beyond the rate, the token endpoint answers 429 in the error shape (with an explicit low rate:
    the test settings raise the default so that other tests are not throttled)."""
    from django.core.cache import cache
    from django.test import RequestFactory

    from dgov.core.api import LoginRateThrottle

    cache.clear()
    throttle = LoginRateThrottle("3/min")
    request = RequestFactory().post("/api/v1/auth/token", REMOTE_ADDR="203.0.113.7")
    assert [throttle.allow_request(request) for _ in range(4)] == [True, True, True, False]
    other = RequestFactory().post("/api/v1/auth/token", REMOTE_ADDR="203.0.113.8")
    assert throttle.allow_request(other)
    # A spoofed X-Forwarded-For does not buy a fresh quota when no proxy is trusted.
    spoofed = RequestFactory().post("/api/v1/auth/token", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert not throttle.allow_request(spoofed)


def test_throttled_answer_has_the_error_shape(db, monkeypatch):
    from dgov.core.api import LoginRateThrottle

    monkeypatch.setattr(LoginRateThrottle, "allow_request", lambda self, request: False)
    monkeypatch.setattr(LoginRateThrottle, "wait", lambda self: 30)
    response = Client().post("/api/v1/auth/token", data=json.dumps({"username": "x", "password": "y"}),
                             content_type="application/json")
    assert_error(response, 429, "throttled")


def test_unknown_api_path_and_wrong_method_answer_in_the_error_shape(world):
    from dgov.accounts.testing import api_client

    client = api_client(world.admin)
    assert_error(client.get("/api/v1/no-such-thing"), 404, "not_found")
    response = client.delete("/api/v1/me")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_web_sign_in_forms_are_rate_limited(db, monkeypatch):
    from dgov.core.api import LoginRateThrottle

    monkeypatch.setattr(LoginRateThrottle, "allow_request", lambda self, request: False)
    for url in ("/accounts/login/", "/accounts/register/", "/accounts/password-reset/"):
        assert Client().get(url).status_code == 200  # reading the form is never limited
        response = Client().post(url, {"username": "x", "password": "y"})
        assert response.status_code == 429, url
        assert "<html" in response.content.decode()


def test_nul_characters_are_refused_at_the_edge(world):
    from dgov.accounts.testing import api_client

    client = api_client(world.admin)
    assert_error(client.get("/api/v1/users?department=%00x"), 400, "bad_request")
    assert_error(Client().post("/api/v1/auth/token", data='{"username": "a\\u0000", "password": "x"}',
                               content_type="application/json"), 400, "bad_request")
    # A backslash followed by "u0000" as text is not a NUL and goes through to validation.
    response = Client().post("/api/v1/auth/token", data='{"username": "a\\\\u0000", "password": "x"}',
                             content_type="application/json")
    assert_error(response, 401, "invalid_credentials")


def test_dates_out_of_range_are_input_errors(world):
    from dgov.accounts.testing import api_client

    client = api_client(world.auditor)
    assert_error(client.get("/api/v1/audit/entries?since=0039-06-15T00:29:03Z"), 422, "invalid")
    assert_error(client.get("/api/v1/audit/entries?until=2024-09-06T02:08:49%2B21:01"), 422, "invalid")
    assert client.get("/api/v1/audit/entries?until=2024-09-06T02:08:49%2B08:00").status_code == 200
    assert_error(client.get("/api/v1/calendar/deadline?start=0013-12-15&days=-2796"), 422, "invalid")


def test_edge_errors_speak_chinese_by_default(world, monkeypatch):
    from dgov.accounts.testing import api_client
    from dgov.core.api import LoginRateThrottle

    client = api_client(world.admin)
    assert "不支持" in client.delete("/api/v1/me").json()["message"]
    assert "NUL" in client.get("/api/v1/users?q=%00").json()["message"]
    assert "空字符" in client.get("/api/v1/users?q=%00").json()["message"]
    monkeypatch.setattr(LoginRateThrottle, "allow_request", lambda self, request: False)
    monkeypatch.setattr(LoginRateThrottle, "wait", lambda self: 30)
    body = Client().post("/api/v1/auth/token", data=json.dumps({"username": "x", "password": "y"}),
                         content_type="application/json").json()
    assert body["code"] == "throttled" and "请求过多" in body["message"]
