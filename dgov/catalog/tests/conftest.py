"""Fixtures of the catalog's tests: a data administrator of 余江区民政局 and a reviewer of the
big-data centre (a test module may define its own under the same names)."""

import pytest

from dgov.catalog.testing import YUJIANG_CIVIL_AFFAIRS, make_editor, make_reviewer


@pytest.fixture
def editor(db):
    return make_editor(YUJIANG_CIVIL_AFFAIRS, "yj_editor")


@pytest.fixture
def reviewer(db):
    return make_reviewer("centre_reviewer")
