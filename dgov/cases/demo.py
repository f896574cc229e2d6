"""Demo cases (`dgov init --demo`), marked `is_demo`: the demo citizen (`citizen`, 李娜) applies for a few
of the demo implementations (dgov/services/demo.py) of one region, and the cases stand in the states an
inbox shows — awaiting acceptance, awaiting correction, accepted, in review, under a special procedure,
approved and closed, a 即办件 closed at acceptance — plus a draft in the citizen's "my cases", and two
whose clocks were set back (one due soon, one overdue) so that the warnings show.

The demo official `official` (张伟) gets the case roles (窗口受理人员, 审查人员, 决定人员, 办件督办人员) for
the region of those implementations (the one with the most of them), so the cases fill their inbox, and
for 鹰潭市自然资源局 (its 不动产 registration items: the citizen's e-licence walk-through).

Idempotent: each demo case is known by its key (in its first event's data); what exists is kept.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from dgov.calendars.selectors import add_working_days
from dgov.cases import clock
from dgov.cases.models import Case, CaseEvent
from dgov.core.errors import DgovError

OFFICIAL = "official"
CITIZEN = "citizen"
ROLES = ("case_intake", "case_reviewer", "case_decider", "case_supervisor")
#: city departments whose cases the demo official also handles: 鹰潭市自然资源局 (不动产登记, the e-licence
#: walk-through)
WINDOW_DEPARTMENTS = ("360600011",)
#: key → the steps the demo case goes through after submission (None: stays a draft)
SCRIPTS = [
    ("draft", None),
    ("submitted", []),
    ("correction", [("request_correction", {"reason": "请补充材料。", "items": "first"})]),
    ("accepted", [("accept", {})]),
    ("in_review", [("accept", {}), ("review", {})]),
    ("suspended", [("accept", {}), ("suspend", {"reason": "需组织专家评审。", "procedure": "expert_review"})]),
    ("closed", [("accept", {}), ("review", {}), ("approve", {}), ("deliver", {}), ("close", {})]),
    ("due_soon", [("accept", {})]),
    ("overdue", [("accept", {})]),
    ("instant", [("accept", {})]),  # a 即办件 (where the region has one): closed at acceptance
]
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


class _Upload:
    def __init__(self, name: str):
        self.name, self.size, self._data = name, len(PDF), PDF

    def read(self, n=-1):
        return self._data


def sample_answer(field: dict):
    """A plausible demo answer to one question of a form."""
    ftype = field.get("type")
    if ftype in ("choice", "multichoice"):
        first = (field.get("choices") or [{"value": ""}])[0]["value"]
        return [first] if ftype == "multichoice" else first
    if ftype == "yesno":
        return True
    if ftype == "number":
        return field.get("min", 1)
    if ftype == "date":
        return str(field.get("min") or "2026-01-05")
    if ftype == "phone":
        return "13900000000"
    if ftype == "email":
        return "lina@example.com"
    if ftype == "region":
        return "360602001000"
    if ftype == "id_number":  # someone else's than the applicant's (prefilled): a made-up valid number
        from dgov.core.validators import id_number_check_char

        first17 = "36060219850101002"
        return first17 + id_number_check_char(first17)
    return "演示申请（示例数据）"


def _answers(actor, implementation) -> dict:
    from dgov.services import formdef

    form = formdef.effective_form(implementation)
    answers = formdef.prefill(form, actor)
    for field in formdef.fields(form):
        if field.get("key") not in answers:
            value = sample_answer(field)
            if value is not None:
                answers[field["key"]] = value
    return answers


def demo_implementations() -> tuple[object, list, list]:
    """(region, promised implementations, instant ones) the demo citizen can apply for online, in the
    region that has the most promised ones (demo items first); (None, [], []) when there are none."""
    from dgov.services.models import Implementation

    qs = (Implementation.objects.filter(status="published", item__status="published", online_apply=True,
                                        service_object__in=("person", "both"), result_license_type=None)
          .select_related("department", "region", "item").order_by("code"))
    demo = qs.filter(is_demo=True)
    qs = demo if demo.exists() else qs
    by_region: dict = {}
    for impl in qs:
        by_region.setdefault(impl.region, {"promised": [], "instant": []})[
            "instant" if impl.case_kind == "instant" else "promised"].append(impl)
    candidates = [(region, found) for region, found in by_region.items() if found["promised"]]
    if not candidates:
        return None, [], []
    region, found = max(candidates, key=lambda pair: (len(pair[1]["promised"]), len(pair[1]["instant"])))
    return region, found["promised"], found["instant"]


def _grant_roles(official, region) -> int:
    """The case roles for the demo official over the region of the demo cases, and over the city
    department of `WINDOW_DEPARTMENTS` (the city's service centre handles its items at its windows)."""
    from dgov.accounts.demo import grant_demo_role
    from dgov.orgs.models import Department

    departments = list(Department.objects.filter(code__in=WINDOW_DEPARTMENTS))
    return sum(grant_demo_role(official, code, region=region) + sum(
        grant_demo_role(official, code, department=d) for d in departments) for code in ROLES)


def _exists(key: str) -> bool:
    return CaseEvent.objects.filter(case__is_demo=True, action="start", data__demo=key).exists()


def make_demo_case(key: str, steps, citizen, official, implementation) -> Case:
    from dgov.cases import services

    case = services.start(actor=citizen, implementation=implementation)
    Case.objects.filter(pk=case.pk).update(is_demo=True)
    CaseEvent.objects.filter(case=case, action="start").update(data={"demo": key})
    services.save_answers(actor=citizen, case=case, answers=_answers(citizen, implementation))
    for material in implementation.materials.filter(required=True).exclude(form="original"):
        services.add_upload(actor=citizen, case=case, material=material, file=_Upload(f"{material.name[:40]}.pdf"))
    if steps is None:
        return case
    case = services.submit(actor=citizen, case=case)
    for action, data in steps:
        data = dict(data)
        if data.get("items") == "first":
            first = implementation.materials.order_by("order", "pk").first()
            data["items"] = [{"material": first.pk if first else None, "name": first.name if first else "申请书",
                              "reason": "扫描件不清晰，请重新上传清晰的原件扫描件。"}]
        reason = data.pop("reason", "")
        case = services.transition(actor=official, case=case, action=action, reason=reason, **data)
    if key in ("due_soon", "overdue"):
        _set_back(case, key)
    return case


def _set_back(case: Case, key: str) -> None:
    """Move the clock back so that the case is due on the next day (yellow) or was due two working days
    ago (overdue): the due day first, the acceptance and receipt days counted back from it."""
    today = timezone.localdate()
    natural = case.limit_unit == clock.NATURAL
    if key == "due_soon":
        due = today + dt.timedelta(days=1) if natural else add_working_days(today, 1)
    else:
        due = add_working_days(today, -2)
    limit = case.limit_days or 0
    accepted = due - dt.timedelta(days=limit) if natural else add_working_days(due, -limit)
    received = add_working_days(accepted, -1)
    submitted = timezone.make_aware(dt.datetime.combine(received, dt.time(9, 30)))
    Case.objects.filter(pk=case.pk).update(accepted_on=accepted, received_on=received, due_on=due,
                                           intake_due_on=clock.intake_due(received), submitted_at=submitted)


def load_demo() -> dict:
    from dgov.accounts.models import User

    citizen = User.objects.select_related("person").filter(username=CITIZEN).first()
    official = User.objects.filter(username=OFFICIAL).first()
    if citizen is None or official is None:
        return {"created": 0, "total": Case.objects.filter(is_demo=True).count(), "note": "no demo accounts"}
    region, promised, instant = demo_implementations()
    if region is None:
        return {"created": 0, "total": Case.objects.filter(is_demo=True).count(),
                "note": "no published implementation to apply for"}
    created, skipped = 0, []
    with transaction.atomic():
        _grant_roles(official, region)
        for n, (key, steps) in enumerate(SCRIPTS):
            if _exists(key):
                continue
            pool = instant if key == "instant" and instant else promised
            try:
                with transaction.atomic():
                    make_demo_case(key, steps, citizen, official, pool[n % len(pool)])
                created += 1
            except DgovError as exc:  # an item the demo cannot fill in: leave that case out, say why
                skipped.append(f"{key}: {exc.sentences()[0]}")
    return {"created": created, "total": Case.objects.filter(is_demo=True).count(),
            "region": region.name, "skipped": skipped}
