"""Enterprises authorise citizens as their agents (经办人) by name and ID card number."""

import pytest

from dgov.accounts import services
from dgov.accounts.models import EnterpriseAgent, UserKind
from dgov.accounts.testing import PASSWORD, make_citizen, make_user, valid_id_number
from dgov.core.errors import PermissionDenied, ValidationError
from dgov.core.models import AuditEntry
from dgov.core.validators import credit_code_check_char


@pytest.fixture
def enterprise_user(db):
    return services.register_enterprise(
        username="t_ent", password=PASSWORD, enterprise_name="测试铜业有限公司",
        credit_code="91360603MA35H2E2X" + credit_code_check_char("91360603MA35H2E2X"),
        legal_representative="周某", phone="13800000001")


@pytest.fixture
def agent(db):
    return make_citizen("t_agent", id_number=valid_id_number(seq=42))


def _login(client, user):
    client.force_login(user, backend="dgov.accounts.backends.LockoutModelBackend")


def test_enterprise_authorises_and_withdraws_an_agent_on_its_page(client, enterprise_user, agent):
    _login(client, enterprise_user)
    number = agent.person.id_number
    response = client.post("/accounts/profile/agents/", {"real_name": agent.real_name, "id_number": number})
    assert response.status_code == 302
    link = EnterpriseAgent.objects.get(enterprise=enterprise_user.enterprise, agent=agent)
    assert link.is_valid()
    page = client.get("/accounts/profile/").content.decode()
    assert agent.real_name in page and number not in page
    assert AuditEntry.objects.filter(action="accounts.enterpriseagent.create", actor_id=enterprise_user.pk).exists()
    client.post(f"/accounts/profile/agents/{link.pk}/revoke/")
    link.refresh_from_db()
    assert not link.is_valid()
    assert AuditEntry.objects.filter(action="accounts.enterpriseagent.revoke").exists()


def test_wrong_name_or_unknown_number_gives_the_same_answer(client, enterprise_user, agent):
    _login(client, enterprise_user)
    wrong_name = client.post("/accounts/profile/agents/", {"real_name": "别人", "id_number": agent.person.id_number})
    unknown = client.post("/accounts/profile/agents/", {"real_name": agent.real_name,
                                                        "id_number": valid_id_number(seq=777)})
    assert wrong_name.status_code == unknown.status_code == 422
    assert wrong_name.context["agent_form"].errors == unknown.context["agent_form"].errors
    assert not EnterpriseAgent.objects.exists()


def test_only_the_enterprise_or_an_administrator_in_scope_manages_agents(enterprise_user, agent, world):
    link = services.enterprise_agent_add(actor=enterprise_user, enterprise=enterprise_user.enterprise, agent=agent)
    with pytest.raises(PermissionDenied):
        services.enterprise_agent_revoke(actor=world.citizen, link=link)
    other = make_user("t_ent2", kind=UserKind.ENTERPRISE)
    with pytest.raises(PermissionDenied):
        services.enterprise_agent_add(actor=other, enterprise=enterprise_user.enterprise, agent=agent)


def test_citizen_pages_have_no_agent_management(client, agent):
    _login(client, agent)
    assert client.post("/accounts/profile/agents/", {"real_name": "x", "id_number": "y"}).status_code == 404


def test_find_rejects_malformed_numbers_with_a_field_error(db):
    with pytest.raises(ValidationError) as exc:
        services.enterprise_agent_find(real_name="x", id_number="123")
    assert "id_number" in exc.value.details
