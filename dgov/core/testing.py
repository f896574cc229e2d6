"""The API contract every endpoint is tested against.

Subclass `ApiContract` once per endpoint and provide a `case` fixture returning a `Case`:

    class TestGetUser(ApiContract):
        @pytest.fixture
        def case(self, world):
            guixi = world.guixi_admin
            return Case(method="get", url=f"/api/v1/users/{world.yujiang_admin.pk}",
                        authorised=world.yujiang_admin, unauthorised=world.citizen,
                        out_of_scope_url=f"/api/v1/users/{guixi.pk}", bad_url="/api/v1/users/x")

The five tests run for every subclass: anonymous → 401, without permission → 403, outside the
data scope → 404, in scope → 2xx, bad input → 400/422; each error in the one error shape. An
endpoint to which one of them does not apply says so by setting that test to None, e.g.
`test_out_of_scope = None  # regions are reference data without scope`.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from dgov.accounts.testing import api_client

ERROR_KEYS = {"code", "message", "details"}


def assert_error(response, status: int | tuple[int, ...], code: str | None = None) -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert isinstance(body["message"], str) and body["message"], body
    if code is not None:
        assert body["code"] == code, body
    return body


@dataclass
class Case:
    method: str
    url: str
    authorised: Any  # a user who may call it on `url`
    unauthorised: Any = None  # a signed-in user without the permission
    out_of_scope_url: str | None = None  # the same call on an object outside `authorised`'s scope
    payload: dict | None = None
    bad_url: str | None = None  # a malformed path or query
    bad_payload: dict | None = None  # a malformed body
    ok_status: int = 200
    extra: dict = field(default_factory=dict)


def call(client, method: str, url: str, payload: dict | None = None):
    if payload is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, data=json.dumps(payload), content_type="application/json")


class ApiContract:
    def test_anonymous(self, case):
        assert_error(call(api_client(None), case.method, case.url, case.payload), 401, "not_authenticated")

    def test_unauthorised(self, case):
        assert_error(call(api_client(case.unauthorised), case.method, case.url, case.payload), 403)

    def test_out_of_scope(self, case):
        assert_error(call(api_client(case.authorised), case.method, case.out_of_scope_url, case.payload), 404)

    def test_in_scope(self, case):
        response = call(api_client(case.authorised), case.method, case.url, case.payload)
        assert response.status_code == case.ok_status, (response.status_code, response.content[:500])
        if response.content:
            assert "code" not in response.json() or "message" not in response.json()

    def test_bad_input(self, case):
        url = case.bad_url or case.url
        payload = case.bad_payload if case.bad_payload is not None else case.payload
        assert_error(call(api_client(case.authorised), case.method, url, payload), (400, 422))


# --- pages ----------------------------------------------------------------------------------------

def zh(msgid: str, *, html: bool = False) -> str:
    """A message as the UI shows it: in Simplified Chinese (the default language); `html=True`
    escapes it as a template would."""
    from django.utils import translation
    from django.utils.html import escape

    with translation.override("zh-hans"):
        text = translation.gettext(msgid)
    return escape(text) if html else text


def signed_in(user):
    """A test client with `user` logged in (no password or second factor: the login itself is
    tested in the accounts tests)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def audited(action: str, **filters):
    """The newest audit entry with this action (and field filters), or None."""
    from dgov.core.models import AuditEntry

    return AuditEntry.objects.filter(action=action, **filters).order_by("-seq").first()


def zh_html(msgid: str) -> str:
    return zh(msgid, html=True)
