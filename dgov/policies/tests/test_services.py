"""Matching: the issue's acceptance (an enterprise matching a 免申即享 policy gets exactly one benefit case
and one message without applying; one that does not match gets nothing), idempotence, re-evaluation on a
profile change, the policy life cycle and scope."""

import datetime as dt

import pytest

from dgov.accounts.testing import make_enterprise
from dgov.cases.models import Case, Channel, State
from dgov.core.errors import PermissionDenied, ValidationError
from dgov.core.testing import audited
from dgov.notifications.models import OutboxMessage
from dgov.policies import services
from dgov.policies.models import MatchRun, PolicyMatch, PolicyStatus
from dgov.policies.testing import (
    GUIXI_HRSS,
    HIGH_TECH,
    benefit_implementation,
    make_policy,
    make_policy_admin,
    make_profile,
)


@pytest.fixture
def admin(db):
    return make_policy_admin()


@pytest.fixture
def impl(db):
    return benefit_implementation()


@pytest.fixture
def pair(db):
    """A 高新技术企业 in 余江区 (matches HIGH_TECH) and a restaurant without the qualification (does not)."""
    yes = make_enterprise("鹰潭高企测试有限公司")
    no = make_enterprise("鹰潭餐饮测试有限公司", region_code="360602")
    make_profile(yes, tags=["高新技术企业"])
    make_profile(no, industry="H6210", employees=8, annual_revenue=90, tags=["小微企业"])
    return yes, no


def in_app(enterprise) -> int:
    return OutboxMessage.objects.filter(user=enterprise.account, channel="in_app").count()


def test_acceptance_match_gets_one_case_and_one_message_non_match_nothing(admin, impl, pair):
    yes, no = pair
    policy = make_policy(admin, kind="automatic", implementation=impl)
    run = services.match(actor=admin, policy=policy)
    assert (run.evaluated, run.eligible, run.cases, run.notified) == (2, 1, 1, 1)

    cases = Case.objects.filter(enterprise=yes)
    assert cases.count() == 1
    case = cases.get()
    assert case.channel == Channel.PROACTIVE and case.state == State.ACCEPTED and case.applicant == yes.account
    assert case.implementation == impl and case.reference
    assert in_app(yes) == 1
    match = PolicyMatch.objects.get(policy=policy, enterprise=yes)
    assert match.eligible and match.case == case and match.notified_at

    # the enterprise that does not match gets nothing: no case, no message
    assert not Case.objects.filter(enterprise=no).exists()
    assert in_app(no) == 0 and not OutboxMessage.objects.filter(user=no.account).exists()
    assert PolicyMatch.objects.get(policy=policy, enterprise=no).eligible is False


def test_matching_is_idempotent(admin, impl, pair):
    yes, _no = pair
    policy = make_policy(admin, kind="automatic", implementation=impl)
    services.match(actor=admin, policy=policy)
    first = list(PolicyMatch.objects.values_list("pk", "matched_at").order_by("pk"))
    again = services.match(actor=admin, policy=policy)
    services.match_all(actor=admin)
    services.match_all(actor=None)
    assert (again.changed, again.cases, again.notified) == (0, 0, 0)
    assert list(PolicyMatch.objects.values_list("pk", "matched_at").order_by("pk")) == first
    assert Case.objects.filter(enterprise=yes).count() == 1 and in_app(yes) == 1
    assert MatchRun.objects.count() == 4


def test_a_profile_change_re_evaluates(admin, impl, pair):
    yes, no = pair
    policy = make_policy(admin, kind="automatic", implementation=impl)
    services.match(actor=admin, policy=policy)
    profile = no.policy_profile
    profile.tags = ["高新技术企业", "小微企业"]
    services.profile_save(actor=admin, instance=profile)
    assert PolicyMatch.objects.get(policy=policy, enterprise=no).eligible is True
    assert Case.objects.filter(enterprise=no).count() == 1 and in_app(no) == 1
    # losing the qualification: not eligible any more, the case that was opened stays, nothing new is sent
    profile.tags = []
    services.profile_save(actor=admin, instance=profile)
    match = PolicyMatch.objects.get(policy=policy, enterprise=no)
    assert match.eligible is False and match.case is not None
    profile.tags = ["高新技术企业"]
    services.profile_save(actor=admin, instance=profile)
    assert Case.objects.filter(enterprise=no).count() == 1 and in_app(no) == 1
    assert audited("policies.policymatch.evaluate", object_id=str(match.pk))


def test_an_apply_policy_tells_the_eligible_once(admin, pair):
    yes, no = pair
    policy = make_policy(admin, kind="apply", title="申报类测试政策")
    services.match(actor=admin, policy=policy)
    services.match(actor=admin, policy=policy)
    message = OutboxMessage.objects.get(user=yes.account, channel="in_app")
    assert "申报类测试政策" in message.subject
    assert not Case.objects.filter(enterprise=yes).exists()
    assert in_app(no) == 0


def test_automatic_without_an_item_tells_without_a_case(admin, pair):
    yes, _ = pair
    policy = make_policy(admin, kind="automatic", title="免申即享测试政策")
    services.match(actor=admin, policy=policy)
    assert "无需申请" in OutboxMessage.objects.get(user=yes.account, channel="in_app").subject
    assert not Case.objects.filter(enterprise=yes).exists()


def test_only_policies_in_force_are_matched(admin, impl, pair):
    yes, _ = pair
    draft = make_policy(admin, kind="automatic", implementation=impl, publish=False)
    future = make_policy(admin, kind="automatic", implementation=impl, valid_from=dt.date(2999, 1, 1))
    run = services.match_all(actor=admin)
    assert run.policies == 0 and not PolicyMatch.objects.exists()
    with pytest.raises(ValidationError):
        services.match(actor=admin, policy=draft)
    assert future.status == PolicyStatus.PUBLISHED
    ended = make_policy(admin, kind="apply", valid_from=dt.date(2020, 1, 1), valid_until=dt.date(2099, 1, 1))
    assert services.expire_ended(today=dt.date(2099, 1, 2)) >= 1
    ended.refresh_from_db()
    assert ended.status == PolicyStatus.EXPIRED


def test_policy_rules_and_items_are_checked(admin, impl):
    with pytest.raises(ValidationError) as exc:
        make_policy(admin, rules={"all": [{"field": "colour", "op": "eq", "value": 1}]})
    assert "rules" in exc.value.details
    with pytest.raises(ValidationError) as exc:
        make_policy(admin, kind="apply", implementation=impl)
    assert "implementation" in exc.value.details
    person_item = benefit_implementation()
    person_item.service_object = "person"
    person_item.save()
    with pytest.raises(ValidationError) as exc:
        make_policy(admin, kind="automatic", implementation=person_item)
    assert "implementation" in exc.value.details
    with pytest.raises(ValidationError) as exc:
        make_policy(admin, rules={})  # publishing needs rules
    assert "rules" in exc.value.details
    impl.status = "retired"
    impl.save()
    with pytest.raises(ValidationError) as exc:
        make_policy(admin, kind="automatic", implementation=impl)
    assert "implementation" in exc.value.details


def test_publish_and_expire(admin):
    policy = make_policy(admin, publish=False)
    policy = services.publish(actor=admin, policy=policy)
    assert policy.status == PolicyStatus.PUBLISHED and policy.published_at
    with pytest.raises(ValidationError):
        services.publish(actor=admin, policy=policy)
    assert services.expire(actor=admin, policy=policy).status == PolicyStatus.EXPIRED
    assert audited("policies.policy.expire", object_id=str(policy.pk))


def test_scope_is_the_issuing_department(db, pair):
    guixi = make_policy_admin(scope_kind="department", target=GUIXI_HRSS)
    city = make_policy_admin()
    policy = make_policy(city)
    with pytest.raises(PermissionDenied):
        services.match(actor=guixi, policy=policy)
    with pytest.raises(PermissionDenied):
        services.expire(actor=guixi, policy=policy)
    own = make_policy(guixi, department=GUIXI_HRSS, title="贵溪市人社局政策")
    run = services.match_all(actor=guixi)
    assert run.policies == 1
    assert set(PolicyMatch.objects.values_list("policy_id", flat=True)) == {own.pk}
    with pytest.raises(PermissionDenied):
        make_policy(guixi, title="越权")  # another department's policy


def test_profile_checks(admin):
    enterprise = make_enterprise()
    for values, field in [({"industry": "C99"}, "industry"), ({"tags": ["不存在"]}, "tags"),
                          ({"credit_rating": "Z"}, "credit_rating"),
                          ({"registered_on": dt.date(2999, 1, 1)}, "registered_on"),
                          ({"industry": "K70", "size": ""}, "size"), ({"region": "360000000000"}, "region")]:
        with pytest.raises(ValidationError) as exc:
            make_profile(enterprise, actor=admin, **values)
        assert field in exc.value.details, (values, exc.value.details)
    profile = make_profile(enterprise, actor=admin, employees=250, annual_revenue=30000)
    assert (profile.size, profile.size_basis) == ("small", "computed")
    entered = make_profile(make_enterprise(), actor=admin, industry="K70", size="micro")
    assert (entered.size, entered.size_basis) == ("micro", "entered")


def test_preview_writes_nothing(admin, pair):
    yes, no = pair
    policy = make_policy(admin, publish=False)
    results = services.preview(policy, rule=HIGH_TECH)
    assert [(p.enterprise, e["held"]) for p, e in results] == [(yes, True), (no, False)]
    assert not PolicyMatch.objects.exists() and not OutboxMessage.objects.exists()
