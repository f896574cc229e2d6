"""Test helpers for enterprise policies.

    admin = make_policy_admin()                         # 惠企政策管理人员, scope all (or department=…)
    profile = make_profile(make_enterprise(), tags=["高新技术企业"])
    policy = make_policy(admin, rules=HIGH_TECH, kind="automatic", implementation=benefit_implementation())
"""

import datetime as dt
from decimal import Decimal

from dgov.accounts.testing import grant, make_user
from dgov.orgs.models import Department, Region
from dgov.policies import services
from dgov.policies.models import EnterpriseProfile, Policy

SCIENCE, GUIXI_HRSS = "360600004", "360681905"
HIGH_TECH = {"all": [{"field": "tags", "op": "has_tag", "value": "高新技术企业"},
                     {"field": "region", "op": "within_region", "value": "360600000000"}]}


def make_policy_admin(username: str | None = None, *, scope_kind: str = "all", target: str | None = None):
    user = make_user(username, department_code=SCIENCE) if username else make_user(department_code=SCIENCE)
    grant(user, "staff")
    grant(user, "policy_admin", scope_kind, target)
    return user


def make_profile(enterprise, *, actor=None, **values) -> EnterpriseProfile:
    """A profile written directly (no matching run), or through the service when `actor` is given."""
    data = {"industry": "C3251", "registered_on": dt.date(2015, 6, 18), "employees": 320,
            "annual_revenue": Decimal("28000"), "tax_paid": Decimal("100"), "tags": [], "credit_rating": "A",
            "source": "测试数据", "as_of": dt.date(2026, 1, 1)}
    data.update(values)
    region_code = data.pop("region", None)
    region = Region.objects.get(code=region_code) if region_code else enterprise.region
    profile = EnterpriseProfile(enterprise=enterprise, credit_code=enterprise.credit_code, region=region, **data)
    if actor is not None:
        return services.profile_save(actor=actor, instance=profile)
    if profile.size == "":
        from dgov.policies.industry import computed_size

        profile.size = computed_size(profile.industry, profile.employees, profile.annual_revenue) or "small"
    profile.save()
    return profile


def make_policy(actor, *, rules=None, kind: str = "apply", implementation=None, department: str = SCIENCE,
                publish: bool = True, **values) -> Policy:
    policy = Policy(title=values.pop("title", "测试政策"), department=Department.objects.get(code=department),
                    summary="测试", benefit=values.pop("benefit", "奖励10万元"), kind=kind,
                    valid_from=values.pop("valid_from", dt.date(2020, 1, 1)), rules=HIGH_TECH if rules is None
                    else rules, implementation=implementation, **values)
    policy = services.policy_save(actor=actor, instance=policy)
    if publish:
        policy = services.publish(actor=actor, policy=policy)
    return policy


def benefit_implementation():
    """A published implementation for enterprises (the 免申即享 benefit's item)."""
    from dgov.cases.testing import make_implementation

    return make_implementation(department_code=SCIENCE, service_object="enterprise", online_apply=False)
