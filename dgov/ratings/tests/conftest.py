import pytest

from dgov.accounts.testing import make_user
from dgov.cases import services as case_services
from dgov.cases.testing import GUIXI_APPROVAL, YUJIANG_APPROVAL, make_implementation, make_officials, submitted_case


@pytest.fixture
def officials(db):
    return make_officials("r")


@pytest.fixture
def manager(db):
    """The rating manager (好差评管理人员) of 余江区."""
    return make_user("r_manager", department_code=YUJIANG_APPROVAL,
                     roles=[("rating_manager", "region", "360603"), ("staff", "all", None)])


@pytest.fixture
def guixi_manager(db):
    return make_user("r_guixi_manager", department_code=GUIXI_APPROVAL,
                     roles=[("rating_manager", "region", "360681"), ("staff", "all", None)])


def decide(case, official, *actions):
    for action in actions or ("accept", "approve"):
        case = case_services.transition(actor=official, case=case, action=action,
                                        reason="不符合条件" if action in ("refuse", "not_accept") else "")
    return case


@pytest.fixture
def decided(world, officials):
    """A case of 余江区 the citizen applied for, approved."""
    return decide(submitted_case(world.citizen, make_implementation()), officials.all_roles)


@pytest.fixture
def guixi_decided(world, officials):
    return decide(submitted_case(world.citizen, make_implementation(department_code=GUIXI_APPROVAL)),
                  officials.guixi)


@pytest.fixture
def on_day(monkeypatch):
    """`on_day(date)`: the platform's "today" (timezone.localdate) is `date` for the rest of the test."""

    def set_day(day):
        monkeypatch.setattr("django.utils.timezone.localdate", lambda value=None, timezone=None: day)

    return set_day
