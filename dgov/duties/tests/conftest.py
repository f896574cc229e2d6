import pytest

from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, YUJIANG_CIVIL_AFFAIRS, make_editor, make_entry, make_reviewer


@pytest.fixture
def editor(db):
    """余江区民政局's data administrator."""
    return make_editor(YUJIANG_CIVIL_AFFAIRS, "yj_duty_editor")


@pytest.fixture
def guixi_editor(db):
    return make_editor(GUIXI_CIVIL_AFFAIRS, "gx_duty_editor")


@pytest.fixture
def reviewer(db):
    """The big-data centre (catalog_reviewer, scope all)."""
    return make_reviewer("duty_reviewer")


@pytest.fixture
def own_entry(db):
    return make_entry(name="余江区婚姻登记信息", status="published")


@pytest.fixture
def guixi_entry(db):
    return make_entry(name="贵溪市婚姻登记信息", department_code=GUIXI_CIVIL_AFFAIRS, status="published")
