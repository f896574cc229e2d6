"""The bundle pages: public list and guide, the applicant's flow (one page per question page, materials
once, check, submit → confirmation with the cases), the case-page panels, and the workbench definition
page refusing conflicting question keys."""

from django.urls import reverse

from dgov.bundles import services
from dgov.bundles.models import ApplicationState, Bundle, BundleApplication
from dgov.bundles.tests.conftest import ready_application
from dgov.cases.testing import make_implementation, make_officials, pdf_upload
from dgov.core.testing import signed_in


def test_the_list_and_the_guide_are_public(client, bundle, members):
    page = client.get(reverse("bundles:index"))
    assert page.status_code == 200 and f'data-bundle="{bundle.code}"' in page.text
    guide = client.get(reverse("bundles:guide", args=[bundle.code]))
    assert guide.status_code == 200
    assert all(f'data-implementation="{m.code}"' in guide.text for m in members)
    assert client.get(reverse("bundles:guide", args=["nope"])).status_code == 404
    assert client.get(reverse("bundles:apply_start", args=[bundle.code])).status_code == 302  # log in first


def test_the_applicant_applies_page_by_page(world, bundle):
    client = signed_in(world.citizen)
    response = client.post(reverse("bundles:apply_start", args=[bundle.code]))
    application = BundleApplication.objects.get(applicant=world.citizen)
    assert response.status_code == 302 and response["Location"].endswith("/q/name/")
    assert client.post(response["Location"], {"name": ""}).status_code == 422
    for page, data in (("name", {"name": "李娜"}), ("reason", {"reason": "落户"}), ("extra", {"extra": "无"}),
                       ("applicant", {"name": "李娜", "years": "3"})):
        url = reverse("bundles:apply_page", args=[application.pk, page])
        assert client.post(url, data).status_code == 302, page
    materials = reverse("bundles:apply_materials", args=[application.pk])
    assert client.get(materials).status_code == 200
    for name in ("申请书", "证明"):
        response = client.post(materials, {"action": "upload", "name": name, **_file_for(client, materials, name)})
        assert response.status_code == 302, response.content[:300]
    assert application.materials.count() == 2
    check = reverse("bundles:apply_check", args=[application.pk])
    assert client.post(check, {}).status_code == 422  # the declaration
    response = client.post(check, {"declaration": "on"})
    application.refresh_from_db()
    assert response.status_code == 302 and application.state == ApplicationState.IN_PROGRESS
    done = client.get(response["Location"])
    assert done.status_code == 200 and "bundle-confirmation" in done.text
    assert all(f'data-reference="{c.reference}"' in done.text for c in services.cases_of(application))
    assert application.reference in client.get(reverse("bundles:my_applications")).text


def _file_for(client, url, name):
    """The upload field of the combined material `name` (prefixed by its index in the combined set)."""
    application = BundleApplication.objects.get(applicant__isnull=False, state="draft")
    names = [g.name for g in services.combined_materials(services.members(application.bundle))]
    return {f"m{names.index(name)}-file": pdf_upload()}


def test_the_case_pages_show_the_bundle(world, bundle):
    officials = make_officials()
    application = services.submit(actor=world.citizen, application=ready_application(world.citizen, bundle))
    a, b, c = services.cases_of(application)
    mine = signed_in(world.citizen).get(reverse("cases:my_case", args=[a.reference]))
    assert mine.status_code == 200 and f'data-bundle="{bundle.code}"' in mine.text
    assert reverse("bundles:my_application", args=[application.reference]) in mine.text
    official = signed_in(officials.all_roles).get(reverse("cases:case_detail", args=[a.reference]))
    assert official.status_code == 200
    assert f'data-reference="{c.reference}"' in official.text and f'data-reference="{b.reference}"' not in official.text


def test_another_applicants_application_is_not_found(world, bundle):
    from dgov.accounts.testing import make_citizen

    application = services.submit(actor=world.citizen, application=ready_application(world.citizen, bundle))
    other = signed_in(make_citizen("other"))
    assert other.get(reverse("bundles:my_application", args=[application.reference])).status_code == 404


def test_the_workbench_refuses_conflicting_keys(world, members):
    clash = make_implementation(form={"version": 1, "pages": [{"key": "n", "fields": [
        {"key": "reason", "label": "事由", "type": "date", "required": True}]}]})
    client = signed_in(world.admin)
    data = {"code": "clash", "name": "冲突", "audience": "person", "description": "",
            "implementation_codes": f"{members[0].code}\n{clash.code}"}
    response = client.post(reverse("bundles:bundle_add"), data)
    assert response.status_code == 422 and not Bundle.objects.filter(code="clash").exists()
    response = client.post(reverse("bundles:bundle_add"), {
        **data, "implementation_codes": f"{members[0].code}\n{members[1].code}"})
    assert response.status_code == 302
    bundle = Bundle.objects.get(code="clash")
    assert client.post(reverse("bundles:bundle_detail", args=["clash"]), {"action": "publish"}).status_code == 302
    bundle.refresh_from_db()
    assert bundle.status == "published" and bundle.members.count() == 2
    assert signed_in(world.citizen).get(reverse("bundles:bundle_list")).status_code in (302, 403)


def test_the_workbench_pages(world, bundle):
    client = signed_in(world.admin)
    listed = client.get(reverse("bundles:bundle_list"))
    assert listed.status_code == 200 and bundle.name in listed.text
    detail = client.get(reverse("bundles:bundle_detail", args=[bundle.code]))
    assert detail.status_code == 200 and "bundle-publish" not in detail.text  # published already
    edit = client.get(reverse("bundles:bundle_edit", args=[bundle.code]))
    assert edit.status_code == 200 and all(m.implementation.code in edit.text for m in bundle.members.all())
    assert signed_in(world.official).get(reverse("bundles:bundle_list")).status_code == 403
