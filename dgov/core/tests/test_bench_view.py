"""The benchmark's baseline view (bench/run): off unless DGOV_BENCH_BARE_VIEW is set, and when
on, a plain JSON answer that needs neither authentication nor the database."""

import json

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import Resolver404, resolve

from dgov.core.views_bench import bare


def test_the_bare_view_is_not_mounted_by_default():
    assert settings.DGOV_BENCH_BARE_VIEW is False
    with pytest.raises(Resolver404):
        resolve("/bench/bare")


def test_the_bare_view_answers_anonymously_without_the_database():
    # No django_db mark: any database access would fail this test.
    response = bare(RequestFactory().get("/bench/bare"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"status": "ok"}
