"""The message templates: loaded as reference data (kept as edited unless updated), placeholders
filled from the case, in-app always and SMS when the template says so, officials in-app only."""

import csv

import pytest

from dgov.cases import notify
from dgov.cases.models import MessageTemplate
from dgov.cases.testing import make_implementation, make_officials, submitted_case
from dgov.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_every_template_of_the_file_is_loaded_by_init():
    with notify.DATA_FILE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 15 and all(set(r) == {"code", "name", "subject", "body", "sms"} for r in rows)
    assert set(MessageTemplate.objects.values_list("code", flat=True)) == {r["code"] for r in rows}
    for row in rows:  # every placeholder is one the case or the app sending the template provides
        for name in notify.PLACEHOLDER.findall(row["subject"] + row["body"]):
            assert name in notify.placeholders_for(row["code"]), (row["code"], name)
    assert "order" in notify.placeholders_for("payment_due") and "order" not in notify.placeholders_for("accepted")


def test_loading_keeps_edits_unless_updated():
    MessageTemplate.objects.filter(code="accepted").update(body="已受理 ((reference))")
    assert notify.load_templates() == {"created": 0, "updated": 0, "total": MessageTemplate.objects.count()}
    assert MessageTemplate.objects.get(code="accepted").body == "已受理 ((reference))"
    assert notify.load_templates(update=True)["updated"] == 1
    assert "承诺在" in MessageTemplate.objects.get(code="accepted").body


def test_fill_replaces_known_placeholders_and_drops_unknown_ones():
    assert notify.fill("((reference))：((item))((nope))", {"reference": "YT1", "item": "结婚登记"}) == "YT1：结婚登记"


def test_applicants_get_in_app_and_sms_when_the_template_says_so(world):
    case = submitted_case(world.citizen, make_implementation())
    OutboxMessage.objects.all().delete()
    assert MessageTemplate.objects.get(code="closed").sms is False
    assert notify.to_applicant("closed", case) == 1
    assert notify.to_applicant("refused", case, reason="不符合法定条件") == 2
    sms = OutboxMessage.objects.get(channel="sms")
    assert sms.user == world.citizen and sms.recipient == world.citizen.phone
    assert "不符合法定条件" in sms.body and case.reference in sms.subject and case.title in sms.body
    MessageTemplate.objects.filter(code="refused").update(active=False)
    assert notify.to_applicant("refused", case) == 0


def test_officials_get_in_app_messages(world):
    officials = make_officials()
    case = submitted_case(world.citizen, make_implementation())
    sent = notify.to_officials("warning", case, [officials.intake, officials.decider], level="今日到期",
                               due_on="2026-10-13")
    assert sent == 2
    message = OutboxMessage.objects.filter(user=officials.intake).get()
    assert message.channel == "in_app" and "今日到期" in message.body and case.applicant_name in message.body
