"""Templated messages of cases (GOV.UK Notify style): `MessageTemplate` rows, loaded as reference data
from `data/message-templates.csv`, with ((placeholders)) filled from the case. Applicants get every
message in-app and, when the template says so, by SMS to their phone; officials (warnings, escalation)
in-app. Everything goes through `dgov.notifications.services.notify` (the outbox)."""

import csv
import re
from pathlib import Path

from django.db import transaction

from dgov.cases.models import Case, MessageTemplate
from dgov.notifications.models import Channel
from dgov.notifications.services import notify

DATA_FILE = Path(__file__).parent / "data" / "message-templates.csv"
PLACEHOLDER = re.compile(r"\(\(([a-z_]+)\)\)")
#: the placeholders every case message may use (`case_values` fills them from the case; the actions add the rest)
PLACEHOLDERS = {"reference", "item", "department", "applicant", "intake_due_on", "accepted_on", "due_on", "reason",
                "items", "step", "result", "state", "level"}
#: the extra placeholders of other apps' templates, by template code prefix ("payment_" → {"order", …})
_EXTRA: dict[str, set[str]] = {}


def register_placeholders(prefix: str, *names: str) -> None:
    """Other apps' templates (codes starting with `prefix`) may also use `names`: the values they pass."""
    _EXTRA.setdefault(prefix, set()).update(names)


def placeholders_for(code: str) -> set[str]:
    """The placeholders the template `code` may use."""
    extra = set().union(*(names for prefix, names in _EXTRA.items() if code.startswith(prefix)))
    return PLACEHOLDERS | extra


def load_templates(*, update: bool = False) -> dict:
    """Create the templates of the data file; with `update`, reset existing ones to the file's wording."""
    created = updated = 0
    with DATA_FILE.open(encoding="utf-8") as fh, transaction.atomic():
        for row in csv.DictReader(fh):
            values = {"name": row["name"], "subject": row["subject"], "body": row["body"],
                      "sms": row["sms"].strip() == "1"}
            template = MessageTemplate.objects.filter(code=row["code"]).first()
            if template is None:
                MessageTemplate.objects.create(code=row["code"], **values)
                created += 1
            elif update and any(getattr(template, k) != v for k, v in values.items()):
                MessageTemplate.objects.filter(pk=template.pk).update(**values)
                updated += 1
    return {"created": created, "updated": updated, "total": MessageTemplate.objects.count()}


def fill(text: str, values: dict) -> str:
    """`text` with each ((name)) replaced by its value (an unknown name by nothing)."""
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), "") or ""), text)


def case_values(case: Case, **extra) -> dict:
    def day(value):
        return value.isoformat() if value else ""

    values = {"reference": case.reference or "", "item": case.title, "department": case.department.name,
              "applicant": case.applicant_name, "intake_due_on": day(case.intake_due_on),
              "accepted_on": day(case.accepted_on), "due_on": day(case.due_on)}
    values.update({k: v for k, v in extra.items() if v is not None})
    return values


def render(code: str, case: Case, **extra) -> tuple[MessageTemplate, str, str] | None:
    template = MessageTemplate.objects.filter(code=code, active=True).first()
    if template is None:
        return None
    values = case_values(case, **extra)
    return template, fill(template.subject, values), fill(template.body, values)


def to_applicant(code: str, case: Case, **extra) -> int:
    """Send the template `code` about `case` to its applicant: in-app, and by SMS when the template
    says so and the applicant has a phone. Returns the number of messages queued."""
    rendered = render(code, case, **extra)
    if rendered is None or case.applicant_id is None:
        return 0
    template, subject, body = rendered
    user = case.applicant
    notify(user=user, channel=Channel.IN_APP, recipient=user.username, subject=subject, body=body)
    sent = 1
    phone = case.contact_phone or user.phone
    if template.sms and phone:
        notify(user=user, channel=Channel.SMS, recipient=phone, subject=subject, body=body)
        sent += 1
    return sent


def to_officials(code: str, case: Case, users, **extra) -> int:
    """Send the template `code` about `case` to officials, in-app."""
    rendered = render(code, case, **extra)
    if rendered is None:
        return 0
    _template, subject, body = rendered
    sent = 0
    for user in users:
        notify(user=user, channel=Channel.IN_APP, recipient=user.username, subject=subject, body=body)
        sent += 1
    return sent
