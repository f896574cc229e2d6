"""Writes of cases (办件): the applicant's draft, answers, materials (uploads and e-licences, 免证办),
submission and resubmission, and every transition of the processing, each scope-checked, audited,
recorded as a `CaseEvent` and told to the applicant through the message templates (`notify.py`).

States and who moves them (the permission is checked on the case's department/region scope):

| action | from | to | permission | reason |
|---|---|---|---|---|
| submit | draft | submitted | the applicant | — |
| accept | submitted | accepted (即办件: approved and closed) | accept_case | — |
| not_accept | submitted | not_accepted | accept_case | required |
| request_correction | submitted | correction | accept_case | `items` required (the complete list) |
| resubmit | correction | submitted (a new intake period) | the applicant | — |
| review | accepted, in_review | in_review (next step) | review_case | — |
| suspend | accepted, in_review | suspended (clock paused) | review_case | required, with `procedure` |
| resume | suspended | accepted / in_review (due_on extended) | review_case | — |
| approve | accepted, in_review | approved (result licence issued) | decide_case | — |
| refuse | accepted, in_review | refused | decide_case | required |
| deliver | approved, refused | delivered | deliver_case | — |
| close | delivered, not_accepted | closed | deliver_case | — |
| withdraw | submitted … suspended | withdrawn | the applicant | — |

The clock rules are in `clock.py`. 即办件 close at acceptance unless their result is a licence (which a
decider issues on approval, the same day).
"""

import datetime as dt
import json

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dgov.accounts.models import UserKind
from dgov.cases import clock, notify
from dgov.cases.models import (
    Case,
    CaseEvent,
    CaseMaterial,
    Channel,
    Correction,
    MaterialKind,
    Outcome,
    ReferenceCounter,
    State,
)
from dgov.cases.signals import case_transitioned, case_transitioning
from dgov.core import audit
from dgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from dgov.core.permissions import require_in_scope, resolver
from dgov.crypto.keys import purpose_key
from dgov.crypto.primitives import sm3, sm4_gcm_decrypt, sm4_gcm_encrypt

REASON_MAX = 2000
DEFAULT_UPLOAD_MAX = 10 * 1024 * 1024
MATERIAL_KEY = "case-material"
#: the special procedures that stop the clock (行政许可法 §45)
PROCEDURES = {"hearing": gettext_lazy("a hearing"), "testing": gettext_lazy("testing"),
              "inspection": gettext_lazy("inspection"), "quarantine": gettext_lazy("quarantine"),
              "appraisal": gettext_lazy("an expert appraisal"), "expert_review": gettext_lazy("an expert review")}
#: file types accepted for uploads, by their first bytes (never by the name)
MAGIC = ((b"%PDF-", "application/pdf", "pdf"), (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
         (b"\xff\xd8\xff", "image/jpeg", "jpg"))

DECIDABLE = (State.ACCEPTED, State.IN_REVIEW)
#: action → (states it starts from, the permission's action on Case; None: the applicant's own)
ACTIONS = {
    "accept": ((State.SUBMITTED,), "accept"),
    "not_accept": ((State.SUBMITTED,), "accept"),
    "request_correction": ((State.SUBMITTED,), "accept"),
    "review": (DECIDABLE, "review"),
    "suspend": (DECIDABLE, "review"),
    "resume": ((State.SUSPENDED,), "review"),
    "approve": (DECIDABLE, "decide"),
    "refuse": (DECIDABLE, "decide"),
    "deliver": ((State.APPROVED, State.REFUSED), "deliver"),
    "close": ((State.DELIVERED, State.NOT_ACCEPTED), "deliver"),
    "withdraw": ((State.SUBMITTED, State.CORRECTION, State.ACCEPTED, State.IN_REVIEW, State.SUSPENDED), None),
}
#: the actions whose reason the law requires (written reasons: §38, §32, §45)
REASON_REQUIRED = {"not_accept", "refuse", "suspend"}
#: the applicant's template for each action
TEMPLATES = {"accept": "accepted", "not_accept": "not_accepted", "request_correction": "correction",
             "review": "in_review", "suspend": "suspended", "resume": "resumed", "approve": "approved",
             "refuse": "refused", "deliver": "delivered", "close": "closed", "withdraw": "withdrawn"}
EDITABLE = (State.DRAFT, State.CORRECTION)
#: how far ahead `run_tick` looks for due days (20% of a limit of up to a year of working days)
TICK_HORIZON_DAYS = 120


# --- helpers --------------------------------------------------------------------------------------
def upload_max_bytes() -> int:
    return int(getattr(settings, "DGOV_CASE_UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX))


def answers_of(case: Case) -> dict:
    """The case's answers (decrypted JSON)."""
    try:
        value = json.loads(case.answers) if case.answers else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def form_of(case: Case) -> dict:
    from dgov.services import formdef

    return formdef.effective_form(case.implementation)


def is_applicant(user, case: Case) -> bool:
    return bool(getattr(user, "pk", None)) and case.applicant_id == user.pk


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _event(case: Case, action: str, actor, from_state: str, *, reason: str = "", public: bool = True,
           data: dict | None = None) -> CaseEvent:
    user = _user(actor)
    return CaseEvent.objects.create(
        case=case, action=action, from_state=from_state, to_state=case.state, actor=user,
        department=getattr(user, "department", None) if user and getattr(user, "kind", "") == UserKind.OFFICIAL
        else None, reason=reason, public=public, data=data or {})


def _record(case: Case, action: str, actor, before: str, **changes) -> None:
    audit.record(f"cases.case.{action}", case, changes={"state": [before, case.state], **changes}, actor=actor)


def _locked(case: Case) -> Case:
    try:
        return (Case.objects.select_for_update(of=("self",))
                .select_related("implementation", "department", "region", "applicant").get(pk=case.pk))
    except Case.DoesNotExist:
        raise NotFound() from None


def _own(actor, case: Case) -> Case:
    """The applicant's case, locked: 404 for anyone else (a case is nobody else's business)."""
    stored = _locked(case)
    if not is_applicant(actor, stored):
        raise NotFound()
    return stored


def _editable(case: Case) -> None:
    if case.state not in EDITABLE:
        raise Conflict(_("This case can no longer be changed: it is “%(state)s”.")
                       % {"state": case.get_state_display()}, code="conflict")


def _reason(reason: str, required: bool, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError(details={field: [_("Give the reason: the applicant is told it in writing.")]})
    if len(reason) > REASON_MAX:
        raise ValidationError(details={field: [_("Ensure this text has at most %(max)d characters.")
                                               % {"max": REASON_MAX}]})
    return reason


# --- reference numbers ------------------------------------------------------------------------------
def next_reference(day: dt.date) -> str:
    """`YT` + yyyymmdd + a 6-digit sequence of the day, inside the caller's transaction: the UPDATE holds
    the day's counter row (PostgreSQL row lock; SQLite's write lock) until the caller commits, so two
    submissions never get the same number; the first of a day creates the row, and a creator that loses
    the race updates the winner's row instead."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_reference must run inside the transaction that uses the number")
    if not ReferenceCounter.objects.filter(day=day).update(value=F("value") + 1):
        try:
            with transaction.atomic():
                ReferenceCounter.objects.create(day=day, value=1)
            value = 1
        except IntegrityError:
            ReferenceCounter.objects.filter(day=day).update(value=F("value") + 1)
            value = ReferenceCounter.objects.get(day=day).value
    else:
        value = ReferenceCounter.objects.get(day=day).value
    return f"YT{day:%Y%m%d}{value:06d}"


# --- the applicant's draft ------------------------------------------------------------------------
def _applicant_identity(actor, implementation) -> dict:
    kind = getattr(actor, "kind", None)
    if kind == UserKind.ENTERPRISE:
        if implementation.service_object == "person":
            raise PermissionDenied(_("This item is for natural persons: apply with a personal account."))
        enterprise = getattr(actor, "enterprise", None)
        if enterprise is None:
            raise PermissionDenied(_("This account has no enterprise on record."))
        return {"enterprise": enterprise, "applicant_name": enterprise.name, "applicant_code": enterprise.credit_code}
    if kind == UserKind.CITIZEN:
        if implementation.service_object == "enterprise":
            raise PermissionDenied(_("This item is for legal persons: apply with the enterprise's account."))
        person = getattr(actor, "person", None)
        return {"enterprise": None, "applicant_name": actor.real_name or actor.username,
                "applicant_code": person.id_number if person else ""}
    raise PermissionDenied(_("Only citizens and enterprises apply for services."))


def start(*, actor, implementation) -> Case:
    """A draft case of `actor` (a citizen, or an enterprise's account applying as the enterprise) for a
    published implementation that can be applied for online."""
    if implementation.status != "published" or implementation.item.status != "published":
        raise NotFound()
    if not implementation.online_apply:
        raise Conflict(_("This item cannot be applied for online: see its guide for where to apply."))
    identity = _applicant_identity(actor, implementation)
    with transaction.atomic():
        case = Case(implementation=implementation, implementation_version=implementation.version,
                    title=implementation.name or implementation.item.name, department=implementation.department,
                    region=implementation.region, applicant=actor, case_kind=implementation.case_kind,
                    contact_phone=actor.phone or "", state=State.DRAFT, **identity)
        if case.applicant_code:
            from dgov.cases.models import APPLICANT_INDEX
            from dgov.crypto.fields import blind_index

            case.applicant_code_index = blind_index(case.applicant_code, APPLICANT_INDEX)
        try:
            from dgov.services import formdef

            case.answers = json.dumps(formdef.prefill(formdef.effective_form(implementation), actor),
                                      ensure_ascii=False)
        except (ImportError, AttributeError):  # pragma: no cover - the form language is being written
            pass
        case.save()
        _event(case, "start", actor, "", public=True)
        audit.record("cases.case.create", case, changes={"implementation": implementation.code,
                                                         "state": [None, case.state]}, actor=actor)
    return case


def save_answers(*, actor, case: Case, answers: dict, page: str | None = None) -> Case:
    """Merge `answers` into the draft's (or a case awaiting correction's); with `page`, that page's
    answers are validated (a ValidationError maps field keys to Chinese messages)."""
    from dgov.services import formdef

    if not isinstance(answers, dict):
        raise ValidationError(details={"answers": [_("The answers must be an object.")]})
    with transaction.atomic():
        case = _own(actor, case)
        _editable(case)
        merged = {**answers_of(case), **answers}
        if page is not None:
            errors = formdef.validate_answers(form_of(case), merged, partial_page=page)
            if errors:
                raise ValidationError(details=errors)
        case.answers = json.dumps(merged, ensure_ascii=False)
        case.save(update_fields=["answers", "updated_at"])
        audit.record("cases.case.answers", case, changes={"page": page, "fields": sorted(answers)}, actor=actor)
    return case


def _material_of(case: Case, material):
    if material is None:
        return None
    if material.implementation_id != case.implementation_id:
        raise ValidationError(details={"material": [_("This material is not one of the item's.")]})
    return material


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a PDF, PNG or JPEG by its first bytes; None otherwise."""
    for magic, content_type, extension in MAGIC:
        if head.startswith(magic):
            return content_type, extension
    return None


def _aad(case: Case) -> bytes:
    return f"dgov:cases.casematerial:{case.pk}".encode()


def read_upload(file) -> tuple[bytes, str, str]:
    """An applicant's file, checked: (its bytes, its content type, a safe file name). At most
    `upload_max_bytes()`, not empty, and a PDF, JPEG or PNG by its first bytes (never by its name);
    a ValidationError on `file` otherwise. Shared by the cases and the one-thing bundles."""
    limit = upload_max_bytes()
    too_large = ValidationError(details={"file": [_("The file is larger than %(mb)s MB.")
                                                  % {"mb": f"{limit / 1024 / 1024:g}"}]})
    if (getattr(file, "size", None) or 0) > limit:
        raise too_large
    data = file.read(limit + 1) if hasattr(file, "read") else bytes(file)
    if len(data) > limit:
        raise too_large
    if not data:
        raise ValidationError(details={"file": [_("The file is empty.")]})
    kind = sniff(data[:16])
    if kind is None:
        raise ValidationError(details={"file": [_("Upload a PDF, JPG or PNG file.")]})
    content_type, extension = kind
    name = (getattr(file, "name", "") or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:150] or f"file.{extension}"
    return data, content_type, name


def add_upload(*, actor, case: Case, material, file) -> CaseMaterial:
    """Attach an uploaded file for `material` (None: another document): PDF, JPEG or PNG by content,
    at most `DGOV_CASE_UPLOAD_MAX_BYTES` (10 MB); stored SM4-GCM encrypted with its SM3 digest."""
    data, content_type, name = read_upload(file)
    with transaction.atomic():
        case = _own(actor, case)
        _editable(case)
        material = _material_of(case, material)
        item = CaseMaterial.objects.create(
            case=case, material=material, name=material.name if material else _("Other document"),
            kind=MaterialKind.UPLOAD, filename=name, content_type=content_type, size=len(data),
            sm3=sm3(data).hex(), content=sm4_gcm_encrypt(purpose_key(MATERIAL_KEY), data, _aad(case)))
        audit.record("cases.casematerial.create", item, changes={
            "case": case.pk, "material": material.pk if material else None, "kind": item.kind,
            "content_type": content_type, "size": item.size, "sm3": item.sm3}, actor=actor)
    return item


def remove_material(*, actor, case_material: CaseMaterial) -> None:
    """Take a material off the applicant's case: deleted from a draft; on a case awaiting correction,
    what was submitted is kept but marked replaced."""
    with transaction.atomic():
        case = _own(actor, case_material.case)
        _editable(case)
        item = (CaseMaterial.objects.select_for_update(of=("self",)).filter(pk=case_material.pk, case=case)
                .order_by("pk").first())
        if item is None or item.superseded:
            raise NotFound()
        audit.record("cases.casematerial.delete", item, changes={"case": case.pk, "kind": item.kind}, actor=actor)
        if case.state == State.DRAFT:
            item.delete()
        else:
            CaseMaterial.objects.filter(pk=item.pk).update(superseded=True)


def discard_draft(*, actor, case: Case) -> None:
    """Delete the applicant's draft (never submitted: no reference, nothing sent to a department) with its
    answers and uploads; audited. 409 for a case that was submitted."""
    with transaction.atomic():
        case = _own(actor, case)
        if case.state != State.DRAFT:
            raise Conflict(_("Only an application that was not sent can be deleted."), code="conflict")
        audit.record("cases.case.delete", case, changes={"implementation": case.implementation.code,
                                                         "state": [case.state, None]}, actor=actor)
        case.delete()


def _grant_days() -> int:
    return min(int(getattr(settings, "DGOV_LICENSE_GRANT_MAX_DAYS", 90)), 90)


def _grant(actor, case: Case, item: CaseMaterial):
    """The holder's grant to the implementing department for this case (免证办)."""
    from dgov.licenses import services as license_services
    from dgov.licenses.models import License

    lic = License.objects.get(identifier=item.license_identifier)
    grant = license_services.grant_create(
        actor=actor, license=lic, department=case.department,
        expires_at=timezone.now() + dt.timedelta(days=_grant_days()), case_reference=case.reference,
        purpose=str(_("Licence-free handling of case %(reference)s") % {"reference": case.reference})[:200])
    CaseMaterial.objects.filter(pk=item.pk).update(license_grant=grant)
    item.license_grant = grant
    return grant


def use_licence(*, actor, case: Case, material, identifier: str) -> CaseMaterial:
    """免证办: the applicant names an e-licence they hold instead of uploading `material`. The licence must
    be of the material's licence type, held by the applicant and valid. Submitting the case gives the
    implementing department a grant for this case; the department then pulls the licence through it
    (`read_material`), which the holder sees in the wallet."""
    from dgov.licenses import selectors as license_selectors
    from dgov.licenses.verification import current_status

    if material is None or not material.license_type_id:
        raise ValidationError(details={"material": [_("This material cannot be replaced by an e-licence.")]})
    with transaction.atomic():
        case = _own(actor, case)
        _editable(case)
        material = _material_of(case, material)
        try:
            lic, grant = license_selectors.license_for(actor, identifier)
        except (NotFound, PermissionDenied):
            raise ValidationError(details={"identifier": [_("You hold no licence with this identifier.")]}) from None
        if grant is not None or not license_selectors.is_holder(actor, lic):
            raise ValidationError(details={"identifier": [_("You hold no licence with this identifier.")]})
        if lic.license_type_id != material.license_type_id:
            raise ValidationError(details={"identifier": [
                _("This is a %(type)s; the material needs a %(wanted)s.")
                % {"type": lic.license_type.name, "wanted": material.license_type.name}]})
        if current_status(lic) != "valid":
            raise ValidationError(details={"identifier": [_("Only a valid licence can replace a material.")]})
        item = CaseMaterial.objects.create(
            case=case, material=material, name=material.name, kind=MaterialKind.LICENCE,
            filename=f"{lic.identifier}.pdf", content_type="application/pdf", size=0, sm3=lic.file_sm3,
            license_identifier=lic.identifier)
        audit.record("cases.casematerial.create", item, changes={
            "case": case.pk, "material": material.pk, "kind": item.kind, "license": lic.identifier}, actor=actor)
        if case.reference:  # awaiting correction: the department may pull at once
            _grant(actor, case, item)
    return item


def read_material(*, actor, case_material: CaseMaterial) -> bytes:
    """The material's file: decrypted (an upload) or pulled through the holder's grant (an e-licence);
    for the applicant and for officials with the case in their scope. Every read is audited; an
    official's pull of a licence is recorded as a use the holder sees."""
    from dgov.licenses import selectors as license_selectors
    from dgov.licenses import services as license_services

    case = case_material.case
    if not is_applicant(actor, case) and not Case.objects.restrict(actor, "view").filter(pk=case.pk).exists():
        raise NotFound()
    if case_material.kind == MaterialKind.UPLOAD:
        data = sm4_gcm_decrypt(purpose_key(MATERIAL_KEY), bytes(case_material.content), _aad(case))
        audit.record_read(case_material, ["content"], actor=actor)
        return data
    if case_material.kind != MaterialKind.LICENCE:
        raise NotFound()
    if is_applicant(actor, case):
        lic, _grant_used = license_selectors.license_for(actor, case_material.license_identifier, with_file=True)
        audit.record_read(case_material, ["license"], actor=actor)
        return bytes(lic.pdf)
    from dgov.licenses.models import License

    lic = License.objects.filter(identifier=case_material.license_identifier).first()
    grant = license_selectors.active_grant(actor, lic, case.reference) if lic is not None else None
    if grant is None:
        raise NotFound(_("The applicant's grant for this licence is missing, withdrawn or has expired."))
    license_services.record_use(actor=actor, license=lic, grant=grant, action="pull", case_reference=case.reference)
    audit.record_read(case_material, ["license"], actor=actor)
    return bytes(lic.pdf)


def _current_materials(case: Case):
    return case.materials.filter(superseded=False)


def missing_materials(case: Case) -> list:
    """The required materials the case lacks (paper originals, checked at the counter, aside)."""
    present = set(_current_materials(case).exclude(material=None).values_list("material_id", flat=True))
    return [m for m in case.implementation.materials.all()
            if m.required and m.form != "original" and m.pk not in present]


def _check_complete(case: Case) -> None:
    from dgov.services import formdef

    errors = formdef.validate_answers(form_of(case), answers_of(case))
    details = {key: [str(m) for m in messages] for key, messages in (errors or {}).items()}
    missing = missing_materials(case)
    if missing:
        details["materials"] = [_("Provide “%(name)s”.") % {"name": m.name} for m in missing]
    if details:
        raise ValidationError(_("The application is not complete."), details=details)


def _start_intake(case: Case, now: dt.datetime) -> None:
    case.received_on = clock.receipt_day(now)
    case.intake_due_on = clock.intake_due(case.received_on)
    case.warning_sent = ""


def submit(*, actor, case: Case, tell_applicant: bool = True) -> Case:
    """Submit the draft: complete answers and the required materials; the reference is given, the limits
    copied from the implementation and the intake clock started; e-licence materials get their grant.
    `tell_applicant=False` when the caller sends its own message instead (a one-thing bundle tells the
    applicant once for all its cases)."""
    with transaction.atomic():
        case = _own(actor, case)
        if case.state != State.DRAFT:
            raise Conflict(_("This case was already submitted."))
        impl = case.implementation
        if impl.status != "published" or not impl.online_apply:
            raise Conflict(_("This item can no longer be applied for online."))
        _check_complete(case)
        now = timezone.now()
        case.reference = next_reference(timezone.localdate(now))
        if impl.promised_limit:
            case.limit_days, case.limit_unit = impl.promised_limit, impl.promised_unit
        else:
            case.limit_days, case.limit_unit = impl.statutory_limit, impl.statutory_unit
        case.case_kind = impl.case_kind
        case.implementation_version = impl.version
        case.submitted_at = now
        _start_intake(case, now)
        case.state = State.SUBMITTED
        case.save()
        for item in _current_materials(case).filter(kind=MaterialKind.LICENCE, license_grant=None):
            _grant(actor, case, item)
        _event(case, "submit", actor, State.DRAFT, data={"received_on": case.received_on.isoformat(),
                                                          "intake_due_on": case.intake_due_on.isoformat()})
        _record(case, "submit", actor, State.DRAFT, reference=case.reference,
                received_on=case.received_on.isoformat(), limit=f"{case.limit_days} {case.limit_unit}")
        case_transitioned.send(sender=Case, case=case, action="submit", actor=actor, before=State.DRAFT, data={})
        if tell_applicant:
            notify.to_applicant("submitted", case)
    return case


def resubmit(*, actor, case: Case) -> Case:
    """After a 补正 notice: the case goes back to intake with a new intake period from today's receipt."""
    with transaction.atomic():
        case = _own(actor, case)
        if case.state != State.CORRECTION:
            raise Conflict(_("This case is not awaiting correction."))
        _check_complete(case)
        now = timezone.now()
        _start_intake(case, now)
        case.paused_on = None
        case.state = State.SUBMITTED
        case.save()
        Correction.objects.filter(case=case, answered_at=None).update(answered_at=now)
        for item in _current_materials(case).filter(kind=MaterialKind.LICENCE, license_grant=None):
            _grant(actor, case, item)
        _event(case, "resubmit", actor, State.CORRECTION, data={"received_on": case.received_on.isoformat(),
                                                                 "intake_due_on": case.intake_due_on.isoformat()})
        _record(case, "resubmit", actor, State.CORRECTION, received_on=case.received_on.isoformat())
        case_transitioned.send(sender=Case, case=case, action="resubmit", actor=actor, before=State.CORRECTION,
                               data={})
        notify.to_applicant("resubmitted", case)
    return case


def open_proactive(*, actor, implementation, enterprise=None, person=None, answers: dict | None = None,
                   reason: str = "") -> Case:
    """A case the government opens without an application (免申即享): for `enterprise` (an
    `accounts.Enterprise`; its account is the applicant) or `person` (a citizen's `User`), on a published
    implementation, with `answers` filled from the data the platform already holds. It is received and
    accepted today (no intake: nobody has to check an application that was not made) and its decision
    clock starts; the applicant is told and sees it in 我的办件. `reason` says why (the policy matched)."""
    if (enterprise is None) == (person is None):
        raise ValidationError(details={"applicant": [_("Name either an enterprise or a person.")]})
    if implementation.status != "published" or implementation.item.status != "published":
        raise ValidationError(details={"implementation": [_("The item is not published.")]})
    if enterprise is not None:
        user = enterprise.account
        identity = {"enterprise": enterprise, "applicant_name": enterprise.name,
                    "applicant_code": enterprise.credit_code}
    else:
        user = person
        natural = getattr(person, "person", None)
        identity = {"enterprise": None, "applicant_name": person.real_name or person.username,
                    "applicant_code": natural.id_number if natural else ""}
    reason = _reason(reason, False)
    with transaction.atomic():
        now, day = timezone.now(), timezone.localdate()
        case = Case(implementation=implementation, implementation_version=implementation.version,
                    title=implementation.name or implementation.item.name, department=implementation.department,
                    region=implementation.region, applicant=user, case_kind=implementation.case_kind,
                    contact_phone=getattr(user, "phone", "") or "", channel=Channel.PROACTIVE, **identity)
        if case.applicant_code:
            from dgov.cases.models import APPLICANT_INDEX
            from dgov.crypto.fields import blind_index

            case.applicant_code_index = blind_index(case.applicant_code, APPLICANT_INDEX)
        case.answers = json.dumps(answers or {}, ensure_ascii=False)
        case.reference = next_reference(day)
        if implementation.promised_limit:
            case.limit_days, case.limit_unit = implementation.promised_limit, implementation.promised_unit
        else:
            case.limit_days, case.limit_unit = implementation.statutory_limit, implementation.statutory_unit
        case.submitted_at = now
        case.received_on = clock.receipt_day(now)
        _accept(case, day)
        case.save()
        _event(case, "open_proactive", actor, "", reason=reason)
        _record(case, "open_proactive", actor, "", reference=case.reference, applicant=case.applicant_name)
        case_transitioned.send(sender=Case, case=case, action="open_proactive", actor=actor, before="", data={})
        notify.to_applicant("proactive", case, reason=reason)
    return case


# --- processing -----------------------------------------------------------------------------------
#: process steps that are not review steps: the application and its acceptance (before), the decision and
#: what follows it (the actions `accept`, `approve`/`refuse`, `deliver`, `close`)
INTAKE_STEPS = {"申请", "申报", "提交", "收件", "受理", "申请受理", "预审"}
OUTPUT_STEP_WORDS = ("决定", "发证", "颁证", "发照", "领证", "制证", "缮证", "制卡", "送达", "办结", "出件")


def review_steps(case: Case) -> list[str]:
    """The names of the implementation's review steps between acceptance and decision (审核, 审查, 现场
    核查 …), at least one (审查): `review` moves through them."""
    steps = [str(s.get("name", "")).strip() for s in (case.implementation.process_steps or []) if isinstance(s, dict)]
    steps = [s for s in steps if s and s not in INTAKE_STEPS and not any(word in s for word in OUTPUT_STEP_WORDS)]
    return steps or ["审查"]


def _may(user, case: Case, action: str) -> bool:
    states, perm = ACTIONS[action]
    if case.state not in states:
        return False
    if perm is None:
        return is_applicant(user, case)
    if not resolver().allows(user, perm, case):
        return False
    if action == "review":
        return case.step < len(review_steps(case))
    return True


def allowed_actions(user, case: Case) -> list[str]:
    """The actions `user` may take on `case` now (its state, their permissions and scope)."""
    return [action for action in ACTIONS if _may(user, case, action)]


def _check_allowed(actor, case: Case, action: str) -> None:
    states, perm = ACTIONS[action]
    if perm is None:
        if not is_applicant(actor, case):
            raise NotFound()
    else:
        require_in_scope(actor, perm, case)
    if case.state not in states or not _may(actor, case, action):
        raise ValidationError(
            _("“%(action)s” is not possible while the case is “%(state)s”.")
            % {"action": action, "state": case.get_state_display()}, code="not_allowed",
            details={"action": [_("Not allowed in this state.")], "allowed": allowed_actions(actor, case)})


def _accept(case: Case, day: dt.date, *, deemed: bool = False) -> None:
    # Accepted before the receipt day (on a day off, or after hours): the clock starts from receipt.
    case.accepted_on = max(day, case.received_on) if case.received_on else day
    case.deemed_accepted = deemed
    case.state = State.ACCEPTED
    case.warning_sent = ""  # the intake clock's warnings are done with: the decision clock starts
    case.due_on = clock.case_deadline(case)


def _finish(case: Case, outcome: str, now: dt.datetime, *, decided: bool = True, closed: bool = False) -> None:
    case.outcome = outcome
    if decided:
        case.decided_at = now
    if closed:
        case.closed_at = now


def _correction_items(case: Case, items) -> list[dict]:
    if not isinstance(items, list) or not items:
        raise ValidationError(details={"items": [_("List everything that is missing or wrong, in one notice.")]})
    materials = {m.pk: m for m in case.implementation.materials.all()}
    out, errors = [], []
    for n, entry in enumerate(items, 1):
        if not isinstance(entry, dict):
            errors.append(_("Item %(n)d: not understood.") % {"n": n})
            continue
        material_id = entry.get("material")
        material = None
        if material_id not in (None, ""):
            try:
                material = materials.get(int(material_id))
            except (TypeError, ValueError):
                material = None
            if material is None:
                errors.append(_("Item %(n)d: not one of the item's materials.") % {"n": n})
                continue
        name = str(entry.get("name") or (material.name if material else "")).strip()[:200]
        reason = str(entry.get("reason") or "").strip()[:500]
        if not name or not reason:
            errors.append(_("Item %(n)d: name what is missing or wrong and why.") % {"n": n})
            continue
        out.append({"material": material.pk if material else None, "name": name, "reason": reason})
    if errors:
        raise ValidationError(details={"items": errors})
    return out


def _issue_result(actor, case: Case, fields: dict | None) -> str:
    """The result licence, issued by the implementing department under its e-seal (its identifier)."""
    from dgov.licenses import metadata
    from dgov.licenses import services as license_services

    impl = case.implementation
    license_type = impl.result_license_type
    answers = answers_of(case)
    keys = {f["key"] for f in metadata.ordered(license_type)}
    values = {k: answers[k] for k in keys if k in answers and answers[k] not in (None, "")}
    values.update(fields or {})
    try:
        lic = license_services.issue(
            actor=actor, license_type=license_type, issuer=case.department,
            holder_kind="enterprise" if case.enterprise_id else "person", holder_code=case.applicant_code,
            holder_name=case.applicant_name, fields=values, case_reference=case.reference)
    except ValidationError as exc:
        problems = exc.sentences()
        raise ValidationError(
            _("The result licence cannot be issued, so the case cannot be approved: %(problems)s")
            % {"problems": "；".join(problems)}, code="license_not_issued",
            details={"result_license": problems}) from None
    return lic.identifier


def _withdraw_grants(actor, case: Case) -> int:
    """The applicant withdrew: the grants they gave the department for this case end with it."""
    from dgov.licenses import services as license_services

    count = 0
    for item in case.materials.filter(kind=MaterialKind.LICENCE).exclude(license_grant=None).select_related(
            "license_grant__license", "license_grant__department"):
        if item.license_grant.revoked_at is None:
            license_services.grant_revoke(actor=actor, grant=item.license_grant)
            count += 1
    return count


def transition(*, actor, case: Case, action: str, reason: str = "", **data) -> Case:
    """Take `action` on `case` (see the module's table). 422 `not_allowed` (with `details.allowed`) for an
    action not possible in the case's state; 403/404 outside the actor's permissions and scope."""
    if action not in ACTIONS:
        raise ValidationError(details={"action": [_("Unknown action.")]})
    with transaction.atomic():
        case = _locked(case)
        _check_allowed(actor, case, action)
        before = case.state
        reason = _reason(reason, action in REASON_REQUIRED)
        case_transitioning.send(sender=Case, case=case, action=action, actor=actor, data=data)
        now, day = timezone.now(), timezone.localdate()
        event_data: dict = {}
        extra: dict = {"reason": reason}
        applicant_template = TEMPLATES[action]
        if action == "accept":
            _accept(case, day)
            impl = case.implementation
            if case.case_kind == "instant" and not impl.result_license_type_id:
                case.state = State.CLOSED
                _finish(case, Outcome.APPROVED, now, closed=True)
                event_data["instant"] = True
                applicant_template = "closed"
        elif action == "not_accept":
            case.state = State.NOT_ACCEPTED
            _finish(case, Outcome.NOT_ACCEPTED, now)
        elif action == "request_correction":
            items = _correction_items(case, data.get("items"))
            Correction.objects.create(case=case, items=items, note=reason, issued_by=_user(actor))
            case.state = State.CORRECTION
            case.paused_on = day
            event_data["items"] = items
            extra["items"] = "；".join(f"{i['name']}（{i['reason']}）" for i in items)
        elif action == "review":
            steps = review_steps(case)
            case.step += 1
            case.state = State.IN_REVIEW
            event_data["step"] = steps[case.step - 1]
            extra["step"] = event_data["step"]
        elif action == "suspend":
            procedure = data.get("procedure") or "expert_review"
            if procedure not in PROCEDURES:
                raise ValidationError(details={"procedure": [_("Choose a special procedure.")]})
            case.state = State.SUSPENDED
            case.paused_on = day
            event_data["procedure"] = procedure
            extra["reason"] = f"{PROCEDURES[procedure]}（{reason}）"
        elif action == "resume":
            paused = clock.days_paused(case.paused_on or day, day, case.limit_unit)
            case.paused_days += paused
            case.paused_on = None
            case.state = State.IN_REVIEW if case.step else State.ACCEPTED
            case.due_on = clock.case_deadline(case)
            case.warning_sent = ""
            event_data.update(paused_days=paused, due_on=case.due_on.isoformat() if case.due_on else None)
        elif action == "approve":
            if case.implementation.result_license_type_id:
                case.result_license = _issue_result(actor, case, data.get("fields"))
                event_data["result_license"] = case.result_license
                extra["result"] = _("Your e-licence %(identifier)s is in your licence wallet.") % {
                    "identifier": case.result_license}
            case.state = State.APPROVED
            _finish(case, Outcome.APPROVED, now)
        elif action == "refuse":
            case.state = State.REFUSED
            _finish(case, Outcome.REFUSED, now)
        elif action == "deliver":
            case.state = State.DELIVERED
        elif action == "close":
            case.state = State.CLOSED
            case.closed_at = now
        elif action == "withdraw":
            case.state = State.WITHDRAWN
            case.paused_on = None
            _finish(case, Outcome.WITHDRAWN, now, decided=False, closed=True)
            event_data["grants_withdrawn"] = _withdraw_grants(actor, case)
        case.save()
        _event(case, action, actor, before, reason=reason, data=event_data)
        _record(case, action, actor, before, **({"reason": reason} if reason else {}),
                **{k: v for k, v in event_data.items() if k in ("step", "procedure", "result_license", "instant",
                                                                 "paused_days")})
        case_transitioned.send(sender=Case, case=case, action=action, actor=actor, before=before, data=event_data)
        notify.to_applicant(applicant_template, case, **extra)
    return case


# --- the daily clock run --------------------------------------------------------------------------
def _holders(case: Case, perms: tuple[str, ...]):
    """The active officials holding one of `perms` (codenames on Case) with `case` in their scope."""
    from dgov.accounts.models import User

    candidates = (User.objects.filter(is_active=True, kind=UserKind.OFFICIAL,
                                      role_assignments__role__permissions__codename__in=perms,
                                      role_assignments__role__permissions__content_type__app_label="cases")
                  .distinct().order_by("pk"))
    return [u for u in candidates if any(resolver().allows(u, p.removesuffix("_case"), case) for p in perms)]


def deem_accepted(case: Case, day: dt.date) -> bool:
    """No acceptance decision or 补正 notice by the end of the intake period: the case counts as accepted
    from its receipt day (行政许可法 §32)."""
    with transaction.atomic():
        case = _locked(case)
        if case.state != State.SUBMITTED or not case.intake_due_on or case.intake_due_on >= day:
            return False
        before = case.state
        _accept(case, case.received_on, deemed=True)
        case.save()
        _event(case, "deemed_accept", None, before, data={"intake_due_on": case.intake_due_on.isoformat()})
        _record(case, "deemed_accept", None, before, accepted_on=case.accepted_on.isoformat())
        notify.to_applicant("deemed_accepted", case)
    return True


def warn(case: Case, level: str, day: dt.date) -> int | None:
    """Tell the department's officials that the case is due soon (yellow) or today (red), once per level;
    None when this level was already sent."""
    with transaction.atomic():
        case = _locked(case)
        if case.warning_sent == level or (case.warning_sent == clock.RED and level == clock.YELLOW):
            return None
        case.warning_sent = level
        case.save(update_fields=["warning_sent", "updated_at"])
        _event(case, f"warn_{level}", None, case.state, public=False, data={"day": day.isoformat()})
        labels = {clock.YELLOW: _("yellow warning"), clock.RED: _("due today")}
        due, _limit, _unit = clock.running_deadline(case)
        users = _holders(case, ("accept_case", "review_case", "decide_case"))
        sent = notify.to_officials("warning", case, users, level=labels[level], due_on=due.isoformat())
        audit.record("cases.case.warn", case, changes={"level": level, "messages": sent})
    return sent


def escalate(case: Case, day: dt.date) -> int | None:
    """An overdue case: tell the supervisors (or else the deciders) in its scope, once; not shown to the
    applicant. None when it was already escalated."""
    with transaction.atomic():
        case = _locked(case)
        if case.escalated_on is not None:
            return None
        case.escalated_on = day
        case.save(update_fields=["escalated_on", "updated_at"])
        _event(case, "escalate", None, case.state, public=False, data={"day": day.isoformat()})
        users = _holders(case, ("supervise_case",)) or _holders(case, ("decide_case",))
        due, _limit, _unit = clock.running_deadline(case)
        sent = notify.to_officials("escalated", case, users, due_on=due.isoformat() if due else "")
        audit.record("cases.case.escalate", case, changes={"escalated_on": day.isoformat(), "messages": sent})
    return sent


def run_tick(*, today: dt.date) -> dict:
    """Deemed acceptances, then warnings (once per level) and escalation (once) on the running clocks."""
    result = {"deemed_accepted": 0, "warnings": 0, "escalated": 0, "messages": 0}
    for case in Case.objects.filter(state=State.SUBMITTED, intake_due_on__lt=today).order_by("pk"):
        result["deemed_accepted"] += deem_accepted(case, today)
    from dgov.cases.selectors import with_deadline

    # a warning starts at most 20% of the limit before the due day: cases due later need no look
    running = (with_deadline(Case.objects.filter(state__in=(State.SUBMITTED, State.ACCEPTED, State.IN_REVIEW)))
               .filter(deadline__lte=today + dt.timedelta(days=TICK_HORIZON_DAYS))
               .select_related("department", "region", "implementation", "applicant").order_by("pk"))
    for case in running:
        level = clock.status(case, today)
        if level == clock.OVERDUE:
            sent = escalate(case, today)
            key = "escalated"
        elif level in (clock.YELLOW, clock.RED):
            sent = warn(case, level, today)
            key = "warnings"
        else:
            continue
        if sent is not None:
            result[key] += 1
            result["messages"] += sent
    return result
