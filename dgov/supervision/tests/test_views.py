"""The supervision pages: the inbox, the task page with its forms, and the panel on the case page."""

from django.urls import reverse

from dgov.core.testing import signed_in
from dgov.supervision.models import TaskState


def test_the_inbox_and_the_task_page_acknowledge(officer, approved, guixi_approved):
    client = signed_in(officer)
    page = client.get(reverse("supervision:task_list")).content.decode()
    assert approved.reference in page and guixi_approved.reference not in page
    assert 'data-state="pushed"' in client.get(reverse("supervision:task_list"), {"overdue": "no"}).content.decode()
    assert approved.reference not in client.get(reverse("supervision:task_list"),
                                                {"state": "closed"}).content.decode()
    url = reverse("supervision:task_detail", kwargs={"pk": approved.supervision_task.pk})
    assert 'data-action="acknowledge"' in client.get(url).content.decode()
    response = client.post(url, {"action": "acknowledge", "acknowledge-note": "已认领"})
    assert response.status_code == 302
    response = client.post(url, {"action": "close", "close-note": ""})  # the note is required to close
    assert response.status_code == 422
    approved.supervision_task.refresh_from_db()
    assert approved.supervision_task.state == TaskState.ACKNOWLEDGED


def test_out_of_scope_and_without_the_permission(officer, guixi_approved, world):
    url = reverse("supervision:task_detail", kwargs={"pk": guixi_approved.supervision_task.pk})
    assert signed_in(officer).get(url).status_code == 404
    assert signed_in(officer).post(url, {"action": "acknowledge"}).status_code == 404
    assert signed_in(world.official).get(reverse("supervision:task_list")).status_code == 403


def test_the_case_page_shows_the_task(officials, approved):
    page = signed_in(officials.all_roles).get(
        reverse("cases:case_detail", kwargs={"key": approved.reference})).content.decode()
    assert 'class="card mb-3 supervision-panel"' in page and 'data-state="pushed"' in page
    assert reverse("supervision:task_detail", kwargs={"pk": approved.supervision_task.pk}) not in page
