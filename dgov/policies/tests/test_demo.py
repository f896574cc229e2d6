"""The demo: the demo enterprise matches the 免申即享 policy and finds its benefit case; the second demo
enterprise does not and gets nothing; loading twice creates nothing twice. The daily command."""

import io

import pytest
from django.core.management import call_command

from dgov.cases.models import Case
from dgov.notifications.models import OutboxMessage
from dgov.policies.models import EnterpriseProfile, Policy, PolicyMatch


@pytest.fixture
def demo(db, tmp_path, settings):
    from dgov.accounts.demo import load_demo as load_accounts
    from dgov.policies.demo import load_demo

    settings.DATA_DIR = tmp_path
    load_accounts()
    return load_demo()


def test_the_demo(demo):
    from dgov.policies.demo import load_demo

    assert demo["policies"] == 3 and demo["profiles"] == 2 and demo["cases"] == 1
    automatic = Policy.objects.get(kind="automatic")
    assert automatic.is_demo and "演示" in automatic.title and automatic.implementation.is_demo
    eligible = PolicyMatch.objects.get(policy=automatic, eligible=True)
    assert eligible.enterprise.account.username == "enterprise" and eligible.case is not None
    catering = EnterpriseProfile.objects.exclude(enterprise__account__username="enterprise").get().enterprise
    assert not PolicyMatch.objects.get(policy=automatic, enterprise=catering).eligible
    assert not Case.objects.filter(enterprise=catering).exists()
    again = load_demo()
    assert (again["policies"], again["profiles"], again["cases"]) == (0, 0, 0)
    assert Case.objects.filter(enterprise=eligible.enterprise).count() == 1


def test_the_command_is_idempotent(demo):
    out = io.StringIO()
    call_command("policies_match", stdout=out)
    assert "0 benefit cases opened" in out.getvalue()
    before = OutboxMessage.objects.count()
    call_command("policies_match", "--today", "2026-11-30", stdout=io.StringIO())
    assert OutboxMessage.objects.count() == before
