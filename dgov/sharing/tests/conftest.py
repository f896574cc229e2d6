"""The officials of the sharing tests: the consumer department's data administrator (余江区人社局),
the provider's (余江区民政局), another county's (贵溪市民政局) and the big-data centre's reviewer."""

import pytest

from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, YUJIANG_CIVIL_AFFAIRS, make_editor, make_reviewer
from dgov.sharing.testing import YUJIANG_HRSS


@pytest.fixture
def consumer(db):
    return make_editor(YUJIANG_HRSS, "hrss_data")


@pytest.fixture
def provider(db):
    return make_editor(YUJIANG_CIVIL_AFFAIRS, "ca_data")


@pytest.fixture
def outsider(db):
    return make_editor(GUIXI_CIVIL_AFFAIRS, "gx_data")


@pytest.fixture
def centre(db):
    return make_reviewer("centre")
