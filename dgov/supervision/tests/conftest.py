import pytest

from dgov.accounts.testing import make_user
from dgov.cases import services as case_services
from dgov.cases.testing import GUIXI_APPROVAL, YUJIANG_APPROVAL, make_implementation, make_officials, submitted_case
from dgov.orgs.models import Department

#: 余江区市场监督管理局 style: another department of 余江区 that supervises the test items
SUPERVISOR_REGION = "360603"


@pytest.fixture
def officials(db):
    return make_officials("s")


@pytest.fixture
def supervising(db):
    """A department of 余江区 other than the approving one, to supervise the test items."""
    return (Department.objects.filter(region__code__startswith=SUPERVISOR_REGION, is_active=True)
            .exclude(code=YUJIANG_APPROVAL).order_by("code").first())


@pytest.fixture
def officer(supervising):
    """A supervision officer (监管人员) of the supervising department."""
    return make_user("s_officer", department_code=supervising.code,
                     roles=[("supervision_officer", "department", supervising.code), ("staff", "all", None)])


@pytest.fixture
def guixi_officer(db):
    return make_user("s_guixi_officer", department_code=GUIXI_APPROVAL,
                     roles=[("supervision_officer", "region", "360681"), ("staff", "all", None)])


def approve(case, official):
    for action in ("accept", "approve"):
        case = case_services.transition(actor=official, case=case, action=action)
    return case


@pytest.fixture
def approved(world, officials, supervising):
    impl = make_implementation()
    impl.supervising_department = supervising
    impl.save(update_fields=["supervising_department"])
    return approve(submitted_case(world.citizen, impl), officials.all_roles)


@pytest.fixture
def guixi_approved(world, officials):
    return approve(submitted_case(world.citizen, make_implementation(department_code=GUIXI_APPROVAL)),
                   officials.guixi)


@pytest.fixture
def on_day(monkeypatch):
    def set_day(day):
        monkeypatch.setattr("django.utils.timezone.localdate", lambda value=None, timezone=None: day)

    return set_day
