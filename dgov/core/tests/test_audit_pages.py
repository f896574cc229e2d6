"""The audit pages for auditors: verifying the chain from the UI, and audited reads elsewhere."""

from dgov.core.models import AuditEntry
from dgov.notifications.models import OutboxMessage
from dgov.notifications.services import notify


def _login(client, user):
    client.force_login(user, backend="dgov.accounts.backends.LockoutModelBackend")


def test_auditor_verifies_the_chain_from_the_list_page(client, world):
    _login(client, world.auditor)
    page = client.get("/system/audit/").content.decode()
    assert 'action="/system/audit/verify/"' in page
    response = client.post("/system/audit/verify/", follow=True)
    assert response.status_code == 200
    assert AuditEntry.objects.filter(action="audit.verify", actor_id=world.auditor.pk).exists()


def test_reading_an_outbox_message_is_audited(client, world):
    message = notify(user=world.citizen, channel="sms", recipient="13900000000", subject="s", body="secret link")
    _login(client, world.admin)
    page = client.get(f"/system/outbox/{message.pk}/").content.decode()
    assert "secret link" in page
    read = AuditEntry.objects.filter(action="personal_data.read", object_type="notifications.outboxmessage",
                                     object_id=str(message.pk)).get()
    assert read.actor_id == world.admin.pk and read.changes == {"fields": ["body"]}
    assert OutboxMessage.objects.count() >= 1
