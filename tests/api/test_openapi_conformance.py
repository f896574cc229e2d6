"""Property-based API testing with schemathesis against /api/v1/openapi.json: for every operation,
generated requests (valid and invalid) must never produce a server error, and every response must
match the documented status codes, content type and schema."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dgov.accounts.services import token_create
from dgov.accounts.testing import make_user
from dgov.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(autouse=True)
def keep_test_connection():
    """Requests go straight to the WSGI app, not through Django's test client: like the client,
    keep Django from closing the test transaction's connection at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(db):
    """A user holding every built-in administrative role over all data, so that requests reach
    the code behind the permission checks."""
    user = make_user("fuzz_admin", department_code="360600036", roles=[
        ("city_admin", "all", None), ("security_admin", "all", None), ("auditor", "all", None),
        ("identity_officer", "all", None), ("catalog_editor", "all", None), ("catalog_reviewer", "all", None),
        ("data_governor", "all", None)])
    return token_create(user=user, name="schemathesis")[1]


def test_openapi_document_is_3_1_and_complete():
    document = schema.raw_schema
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    for path in ("/api/v1/auth/token", "/api/v1/me", "/api/v1/users", "/api/v1/users/{user_id}",
                 "/api/v1/regions", "/api/v1/regions/{code}", "/api/v1/departments"):
        assert path in paths, path
    # Every operation documents the error shape for its failures.
    for path, operations in paths.items():
        for method, operation in operations.items():
            errors = [code for code in operation["responses"] if code.startswith(("4", "5"))]
            assert errors, f"{method.upper()} {path} documents no error response"


@schema.parametrize()
@hypothesis_settings(max_examples=30, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                            HealthCheck.filter_too_much])
def test_api_conforms_to_its_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


def test_openapi_json_has_no_duplicate_keys(client):
    """Swagger UI refuses a document with duplicate keys (e.g. 401 and "401" side by side)."""
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), keys
        return dict(pairs)

    json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=no_duplicates)


def test_schema_names_are_unique():
    """django-ninja names an OpenAPI component after its schema class: two apps' classes of the same
    name would silently share one component, and one endpoint would be documented with the other's
    shape. Every schema class of dgov's API needs its own name."""
    import ninja

    from dgov.api import api  # noqa: F401 (imports every router and so every schema)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    seen: dict[str, str] = {}
    clashes = []
    for cls in subclasses(ninja.Schema):
        if not cls.__module__.startswith("dgov."):
            continue
        where = f"{cls.__module__}.{cls.__qualname__}"
        if cls.__name__ in seen and seen[cls.__name__] != where:
            clashes.append((seen[cls.__name__], where))
        seen.setdefault(cls.__name__, where)
    assert clashes == []
