"""notify(): messages stored encrypted, recipients masked, sends audited; the outbox pages."""

import json

import pytest
from django.db import connection
from django.test import Client

from dgov.core.models import AuditEntry
from dgov.notifications import services
from dgov.notifications.models import Channel, OutboxMessage

pytestmark = pytest.mark.django_db

PHONE, CODE = "13912345678", "864209"


def _raw(message):
    with connection.cursor() as cursor:
        cursor.execute("SELECT recipient, body, recipient_masked, subject FROM notifications_outboxmessage "
                       "WHERE id = %s", [message.pk])
        return cursor.fetchone()


def _send(user=None, channel=Channel.SMS, recipient=PHONE, body=f"您的验证码是 {CODE}，5分钟内有效。"):
    return services.notify(user=user, channel=channel, recipient=recipient, subject="验证码", body=body)


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- notify -----------------------------------------------------------------------------------

def test_message_is_stored_encrypted(world):
    message = _send(world.citizen)
    recipient, body, masked, subject = _raw(message)
    assert recipient.startswith("dgov:v1:") and body.startswith("dgov:v1:")
    assert PHONE not in recipient and CODE not in body and PHONE not in body
    assert masked == "139****5678" and subject == "验证码"
    stored = OutboxMessage.objects.get(pk=message.pk)
    assert (stored.recipient, stored.body) == (PHONE, f"您的验证码是 {CODE}，5分钟内有效。")


def test_the_plaintext_is_nowhere_in_the_message_table(world):
    _send(world.citizen)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM notifications_outboxmessage")
        dump = json.dumps([[str(v) for v in row] for row in cursor.fetchall()], ensure_ascii=False)
    assert PHONE not in dump and CODE not in dump


@pytest.mark.parametrize(("channel", "recipient", "masked"), [
    (Channel.SMS, "13912345678", "139****5678"),
    (Channel.EMAIL, "zhang.wei@example.gov.cn", "z***@example.gov.cn"),
    (Channel.SMS, "+8613912345678", "+8***"),
    (Channel.IN_APP, "t_citizen", "t_***"),
])
def test_recipient_is_masked(world, channel, recipient, masked):
    message = _send(world.citizen, channel=channel, recipient=recipient)
    assert message.recipient_masked == masked
    assert recipient not in _raw(message)[2] or recipient == masked


def test_sending_is_audited_without_the_content(world):
    message = _send(world.citizen)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.object_id) == ("notifications.outboxmessage.create", str(message.pk))
    assert entry.changes == {"channel": [None, "sms"], "status": [None, "sent"]}
    record = json.dumps({"changes": entry.changes, "repr": entry.object_repr}, ensure_ascii=False)
    assert PHONE not in record and CODE not in record
    assert "139****5678" in entry.object_repr


def test_the_outbox_backend_marks_the_message_sent(world):
    message = _send(world.citizen)
    assert message.status == OutboxMessage.Status.SENT and message.sent_at is not None
    assert message.user == world.citizen and message.read_at is None


def test_a_failing_gateway_keeps_the_message(world, monkeypatch):
    class Broken:
        def deliver(self, message):
            raise ConnectionError("gateway sms.example unreachable")

    monkeypatch.setattr(services, "backend", lambda: Broken())
    message = _send(world.citizen)
    stored = OutboxMessage.objects.get(pk=message.pk)
    assert stored.status == OutboxMessage.Status.FAILED and stored.sent_at is None
    assert "unreachable" in stored.error and stored.body.startswith("您的验证码")
    assert AuditEntry.objects.order_by("-seq").first().changes["status"] == [None, "failed"]


def test_mark_read_only_by_the_recipient(world):
    message = _send(world.citizen)
    services.mark_read(user=world.admin, message=message)
    assert OutboxMessage.objects.get(pk=message.pk).read_at is None
    services.mark_read(user=world.citizen, message=message)
    assert OutboxMessage.objects.get(pk=message.pk).read_at is not None


def test_long_subjects_are_cut(world):
    message = services.notify(user=None, channel=Channel.EMAIL, recipient="a@b.cn", subject="长" * 300, body="x")
    assert len(OutboxMessage.objects.get(pk=message.pk).subject) == 200


# --- the outbox pages -----------------------------------------------------------------------------

def test_city_admin_reads_the_outbox_list_masked(world):
    _send(world.citizen)
    html = login(world.admin).get("/system/outbox/").content.decode()
    assert "139****5678" in html and "验证码" in html
    assert PHONE not in html and CODE not in html  # the list shows no content


def test_outbox_list_filters(world):
    _send(world.citizen)
    _send(world.citizen, channel=Channel.EMAIL, recipient="li.na@example.cn")
    client = login(world.admin)
    html = client.get("/system/outbox/?channel=email").content.decode()
    assert "l***@example.cn" in html and "139****5678" not in html


@pytest.mark.parametrize("who", ["yujiang_admin", "guixi_admin", "official", "auditor", "citizen"])
def test_outbox_is_refused_to_others(world, who):
    message = _send(world.citizen)
    client = login(getattr(world, who))
    assert client.get("/system/outbox/").status_code == 403
    assert client.get(f"/system/outbox/{message.pk}/").status_code == 403


def test_outbox_detail_shows_the_message_and_audits_the_read(world):
    message = _send(world.citizen)
    response = login(world.admin).get(f"/system/outbox/{message.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert CODE in html and "139****5678" in html
    assert 'class="mb-0" class=' not in html
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor_username, entry.object_id) == (
        "personal_data.read", "t_admin", str(message.pk))
    assert entry.changes == {"fields": ["body"]}


def test_outbox_has_no_edit_pages(world):
    message = _send(world.citizen)
    client = login(world.admin)
    assert client.get(f"/system/outbox/{message.pk}/edit/").status_code == 404
    assert client.get("/system/outbox/add/").status_code == 404


def test_outbox_export_holds_no_content(world):
    _send(world.citizen)
    response = login(world.admin).get("/system/outbox/?export=csv")
    text = response.content.decode("utf-8")
    assert "139****5678" in text and PHONE not in text and CODE not in text
    assert AuditEntry.objects.order_by("-seq").first().action == "notifications.outboxmessage.export"


def test_outbox_list_queries_do_not_grow(world, django_assert_max_num_queries):
    for n in range(30):
        _send(world.citizen, recipient=f"139000000{n:02d}")
    client = login(world.admin)
    client.get("/system/outbox/")
    with django_assert_max_num_queries(15):
        assert client.get("/system/outbox/").status_code == 200
