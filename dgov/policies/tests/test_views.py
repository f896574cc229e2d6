"""The pages: public list and detail, the enterprise's 惠企政策, the officials' policy pages (rule errors,
preview, publish, match), profiles with their import (every row checked before any is written)."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dgov.accounts.testing import make_enterprise
from dgov.cases.models import Case
from dgov.core.testing import signed_in, zh
from dgov.policies import services
from dgov.policies.forms import EnterpriseProfileImporter
from dgov.policies.models import EnterpriseProfile, Policy, PolicyMatch, PolicyStatus
from dgov.policies.testing import benefit_implementation, make_policy, make_policy_admin, make_profile

WB = "/workbench/policies"


@pytest.fixture
def admin(db):
    return make_policy_admin()


@pytest.fixture
def matched(admin):
    yes, no = make_enterprise("鹰潭高企测试有限公司"), make_enterprise("鹰潭餐饮测试有限公司")
    make_profile(yes, tags=["高新技术企业"])
    make_profile(no, industry="H6210", employees=8, annual_revenue=90)
    policy = make_policy(admin, kind="automatic", implementation=benefit_implementation(), title="高企奖励测试")
    services.match(actor=admin, policy=policy)
    return policy, yes, no


def test_public_pages(client, matched):
    policy, _yes, _no = matched
    draft = make_policy(make_policy_admin(), publish=False, title="草稿政策")
    listing = client.get("/policies/")
    assert listing.status_code == 200
    body = listing.content.decode()
    assert "高企奖励测试" in body and "草稿政策" not in body
    detail = client.get(f"/policies/{policy.pk}/")
    assert detail.status_code == 200 and "高新技术企业" in detail.content.decode()
    assert client.get(f"/policies/{draft.pk}/").status_code == 404


def test_the_enterprise_sees_its_eligible_policy_with_the_case(matched):
    policy, yes, no = matched
    page = signed_in(yes.account).get("/my/policies/")
    assert page.status_code == 200
    body = page.content.decode()
    case = Case.objects.get(enterprise=yes)
    assert f'data-policy="{policy.pk}"' in body and f"/my/cases/{case.reference}/" in body
    assert 'data-held="1"' in body
    other = signed_in(no.account).get("/my/policies/").content.decode()
    assert f'data-policy="{policy.pk}"' not in other


def test_the_enterprise_page_is_for_enterprises(client, world):
    assert client.get("/my/policies/").status_code == 302
    assert signed_in(world.citizen).get("/my/policies/").status_code == 403


def test_officials_pages(admin, matched):
    policy, yes, _no = matched
    client = signed_in(admin)
    for url in (f"{WB}/policies/", f"{WB}/policies/{policy.pk}/", f"{WB}/policies/{policy.pk}/preview/",
                f"{WB}/profiles/", f"{WB}/profiles/{yes.policy_profile.pk}/", f"{WB}/matches/", f"{WB}/runs/",
                f"{WB}/policies/add/"):
        assert client.get(url).status_code == 200, url
    match = PolicyMatch.objects.get(policy=policy, enterprise=yes)
    assert client.get(f"{WB}/matches/{match.pk}/").status_code == 200
    assert signed_in(make_enterprise().account).get(f"{WB}/policies/").status_code == 403


def test_the_rule_editor_refuses_bad_rules_and_previews(admin):
    client = signed_in(admin)
    data = {"title": "新政策", "department": "360600004", "summary": "说明", "benefit": "奖励", "kind": "apply",
            "valid_from": "2026-01-01", "rules": json.dumps({"all": [{"field": "colour", "op": "eq", "value": 1}]})}
    response = client.post(f"{WB}/policies/add/", data)
    assert response.status_code == 422 and not Policy.objects.exists()
    response = client.post(f"{WB}/policies/add/", {**data, "rules": "{not json"})
    assert response.status_code == 422
    response = client.post(f"{WB}/policies/add/", {**data, "rules": json.dumps(
        {"field": "tags", "op": "has_tag", "value": "高新技术企业"})})
    assert response.status_code == 302
    policy = Policy.objects.get()
    assert policy.status == PolicyStatus.DRAFT
    make_profile(make_enterprise(), tags=["高新技术企业"])
    preview = client.post(f"{WB}/policies/{policy.pk}/preview/", {"rules": json.dumps(policy.rules)})
    assert preview.status_code == 200 and 'data-eligible="1"' in preview.content.decode()
    assert client.post(f"{WB}/policies/{policy.pk}/preview/", {"rules": "[]"}).status_code == 422
    assert not PolicyMatch.objects.exists()
    assert client.post(f"{WB}/policies/{policy.pk}/publish/").status_code == 302
    assert client.post(f"{WB}/policies/{policy.pk}/match/").status_code == 302
    assert PolicyMatch.objects.filter(policy=policy, eligible=True).count() == 1
    assert client.post(f"{WB}/runs/run/").status_code == 302


# --- import ---------------------------------------------------------------------------------------------
def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def _header():
    return [zh("Unified social credit code"), zh("Industry code"), zh("Enterprise size"), zh("Registration date"),
            zh("Region code"), zh("Employees"), zh("Annual revenue (10,000 yuan)"), zh("Qualifications"),
            zh("Tax credit rating"), zh("Data source"), zh("Data as of")]


def test_import_checks_every_row_before_writing_any(admin):
    a, b = make_enterprise(), make_enterprise()
    good = [a.credit_code, "C3251", "", "2015-06-18", "360603000000", "320", "28000", "高新技术企业", "A", "税务数据",
            "2026-01-01"]
    rows = [_header(), good,
            [b.credit_code, "C99", "", "2015-06-18", "360603000000", "8", "90", "", "A", "税务数据", "2026-01-01"],
            ["91360600XXXXXXXXXX", "C3251", "", "2015-06-18", "360603000000", "8", "90", "", "A", "x", "2026-01-01"]]
    result = EnterpriseProfileImporter(admin).run("profiles.csv", _csv(rows), dry_run=False)
    assert not result.committed
    assert [(e.row, e.column) for e in result.errors] == [(3, zh("Industry code")),
                                                          (4, zh("Unified social credit code"))]
    assert not EnterpriseProfile.objects.exists()
    rows[2][1], rows = "C3831", rows[:3]
    result = EnterpriseProfileImporter(admin).run("profiles.csv", _csv(rows), dry_run=False)
    assert result.committed and result.created == 2
    assert EnterpriseProfile.objects.get(enterprise=a).size == "medium"
    # an exported list imports again, updating by credit code
    exported = signed_in(admin).get(f"{WB}/profiles/", {"export": "csv"}).content
    result = EnterpriseProfileImporter(admin).run("profiles.csv", exported, dry_run=False)
    assert result.committed and result.updated == 2, result.errors


def test_import_through_the_page(admin):
    a = make_enterprise()
    rows = [_header(), [a.credit_code, "C3251", "", "2015-06-18", "360603000000", "320", "28000", "", "A", "税务数据",
                        "2026-01-01"]]
    client = signed_in(admin)
    upload = SimpleUploadedFile("profiles.csv", _csv(rows), content_type="text/csv")
    response = client.post(f"{WB}/profiles/import/", {"file": upload})
    assert response.status_code == 200 and response.context["result"].ok
    assert client.post(f"{WB}/profiles/import/", {"confirm": response.context["token"]}).status_code == 302
    assert EnterpriseProfile.objects.filter(enterprise=a).exists()


def test_the_benefit_case_pages_show_the_policy(admin, matched):
    policy, yes, _no = matched
    case = Case.objects.get(enterprise=yes)
    applicant = signed_in(yes.account).get(f"/my/cases/{case.reference}/")
    assert applicant.status_code == 200 and "case-policy-panel" in applicant.content.decode()
    assert policy.title in applicant.content.decode()
