"""The pages of conditional data: apply (signed in), my applications, the department's decision."""

from django.test import Client
from django.urls import reverse

from dgov.accounts.testing import make_user
from dgov.core.testing import signed_in, zh, zh_html
from dgov.opendata.models import AccessApplication, ApplicationStatus
from dgov.opendata.testing import make_published

FORM = {"organisation": "江西某大学", "purpose": "研究救助政策覆盖情况", "scenario": "高校课题研究",
        "requested_days": "30", "agreed": "on"}


def test_anonymous_visitors_are_asked_to_log_in(conditional):
    text = Client().get(f"/open/datasets/{conditional.name}/").content.decode()
    apply_url = f"/open/datasets/{conditional.name}/apply/"
    assert f'{reverse("accounts:login")}?next={apply_url}' in text and 'id="od-preview"' not in text
    response = Client().get(apply_url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_apply_then_the_department_approves_and_the_rows_show(conditional, citizen, editor):
    client = signed_in(citizen)
    page = client.get(f"/open/datasets/{conditional.name}/apply/")
    assert page.status_code == 200 and "用途限定" in page.content.decode()  # the agreement is shown
    refused = client.post(f"/open/datasets/{conditional.name}/apply/", {**FORM, "agreed": ""})
    assert refused.status_code == 422 and zh_html("This field is required.") in refused.content.decode()
    assert client.post(f"/open/datasets/{conditional.name}/apply/", FORM).status_code == 302
    application = AccessApplication.objects.get(applicant=citizen)
    assert application.status == ApplicationStatus.SUBMITTED
    assert zh("submitted") in client.get("/open/applications/").content.decode()

    official = signed_in(editor)
    listing = official.get("/data/open/applications/").content.decode()
    assert "困难群众救助名单" in listing
    bad = official.post(f"/data/open/applications/{application.pk}/", {"decision": "reject", "reason": ""})
    assert bad.status_code == 422
    done = official.post(f"/data/open/applications/{application.pk}/", {"decision": "approve", "days": "7"})
    assert done.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED

    text = client.get(f"/open/datasets/{conditional.name}/").content.decode()
    assert 'id="od-granted"' in text and 'id="od-preview"' in text and "余江区第1养老院" in text


def test_citizens_and_other_departments_cannot_decide(conditional, citizen, outsider):
    client = signed_in(citizen)
    client.post(f"/open/datasets/{conditional.name}/apply/", FORM)
    application = AccessApplication.objects.get(applicant=citizen)
    assert client.get(f"/data/open/applications/{application.pk}/").status_code == 403
    assert signed_in(outsider).get(f"/data/open/applications/{application.pk}/").status_code == 404


def test_withdraw_from_my_applications(conditional, citizen):
    client = signed_in(citizen)
    client.post(f"/open/datasets/{conditional.name}/apply/", FORM)
    application = AccessApplication.objects.get(applicant=citizen)
    other = signed_in(make_user("od_other_citizen", kind="citizen"))
    assert other.post("/open/applications/", {"withdraw": application.pk}).status_code == 404
    assert client.post("/open/applications/", {"withdraw": application.pk}).status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN


def test_an_unconditional_dataset_has_no_application_page(db):
    dataset = make_published(rows=2)
    assert signed_in(make_user("od_c3", kind="citizen")).get(f"/open/datasets/{dataset.name}/apply/").status_code \
        == 404
