"""Writes of one-thing bundles (一件事一次办): the definitions (item administrators) and the applications
(citizens and enterprises), each validated, scope-checked, audited and atomic.

The combined form and materials are computed from the members, never typed twice:

- `combined_form(implementations)` → (form, errors): the members' forms (`formdef.effective_form`) in
  member order, each question key asked once; a key defined differently by two members (type, choices,
  bounds, length, pattern) is an error, which `bundle_save` refuses.
- `combined_materials(implementations)` → the members' materials, one entry for those with the same name
  or the same e-licence type. Paper originals (checked at the counter) are not asked online.

An application is a draft (`start`, `save_answers`, `add_upload`, `use_licence`, `remove_material`) until
`submit` fans it out, in one transaction, into one case per member through `dgov.cases.services`: each
case gets the answers its own form asks and the materials its own item needs, and is submitted; if any
member refuses, nothing is written. The application's state is then derived from its cases
(`refresh`, run on every case transition): when all are decided, the applicant gets one combined result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.bundles.models import (
    DECIDED_STATES,
    ApplicationState,
    Audience,
    Bundle,
    BundleApplication,
    BundleCase,
    BundleMaterial,
    BundleMember,
    BundleStatus,
    MaterialKind,
)
from dgov.core import audit
from dgov.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from dgov.core.permissions import require_in_scope
from dgov.crypto.keys import purpose_key
from dgov.crypto.primitives import sm3, sm4_gcm_decrypt, sm4_gcm_encrypt
from dgov.services import formdef

MATERIAL_KEY = "bundle-material"
#: the properties of a question that decide which answers are valid: two members defining one key
#: differently in any of them cannot share the answer
SEMANTIC_PROPS = ("type", "min", "max", "max_length", "pattern")
#: service objects each audience may combine
AUDIENCE_OBJECTS = {Audience.PERSON: ("person", "both"), Audience.ENTERPRISE: ("enterprise", "both")}
MIN_MEMBERS, MAX_MEMBERS = 2, 12
#: case outcomes that count as approved
APPROVED = "approved"


# --- the combined form and materials ----------------------------------------------------------------
def _choice_values(spec: dict) -> list | None:
    choices = spec.get("choices")
    return sorted(str(c.get("value")) for c in choices if isinstance(c, dict)) if isinstance(choices, list) else None


def _conflict(a: dict, b: dict) -> bool:
    return (any(a.get(p) != b.get(p) for p in SEMANTIC_PROPS)
            or _choice_values(a) != _choice_values(b))


def combined_form(implementations) -> tuple[dict, list[str]]:
    """The one form of the members (in order): each member's pages with the questions already asked left
    out (a page left empty is dropped; a page key used before gets a suffix). A question asked by several
    members is required when any of them requires it. Returns (form, the conflicts as messages)."""
    pages: list[dict] = []
    seen: dict[str, tuple[dict, object]] = {}
    page_keys: set[str] = set()
    errors: list[str] = []
    for impl in implementations:
        for pg in formdef.pages(formdef.effective_form(impl)):
            kept = []
            for spec in pg.get("fields") or []:
                key = spec.get("key")
                if key in seen:
                    first, owner = seen[key]
                    if _conflict(first, spec):
                        errors.append(_("The question “%(key)s” is defined differently by “%(first)s” and "
                                        "“%(second)s”: make the definitions the same or use different keys.")
                                      % {"key": key, "first": owner.name, "second": impl.name})
                    elif spec.get("required") and not first.get("required"):
                        first["required"] = True
                    continue
                spec = dict(spec)
                seen[key] = (spec, impl)
                kept.append(spec)
            if not kept:
                continue
            key, n = pg.get("key") or "page", 2
            while key in page_keys:
                key = f"{(pg.get('key') or 'page')[:36]}_{n}"
                n += 1
            page_keys.add(key)
            pages.append({**{k: v for k, v in pg.items() if k in ("title", "help")}, "key": key, "fields": kept})
    return {"version": formdef.VERSION, "pages": pages}, errors


def member_keys(implementation) -> list[str]:
    """The question keys of one member's own form."""
    return [f["key"] for f in formdef.fields(formdef.effective_form(implementation))]


@dataclass
class CombinedMaterial:
    """One material of the combined set: its name (the first member material's), whether it is required,
    the e-licence type that can replace it (when every member material it stands for accepts that type),
    and the member materials it stands for."""

    name: str
    required: bool = False
    notes: str = ""
    license_type: object = None
    online: list = field(default_factory=list)  # member materials provided online (not paper originals)
    members: list = field(default_factory=list)  # every member material, originals included

    @property
    def asked_online(self) -> bool:
        return bool(self.online)

    @staticmethod
    def _distinct(materials) -> list:
        seen, out = set(), []
        for m in materials:
            if m.implementation_id not in seen:
                seen.add(m.implementation_id)
                out.append(m.implementation)
        return out

    @property
    def implementations(self) -> list:
        """The members that need this material (online or as a paper original)."""
        return self._distinct(self.members)

    @property
    def online_implementations(self) -> list:
        """The members whose cases receive what is provided online."""
        return self._distinct(self.online)


def combined_materials(implementations) -> list[CombinedMaterial]:
    """The members' materials, those with the same name or the same e-licence type as one."""
    groups: list[CombinedMaterial] = []
    for impl in implementations:
        for material in impl.materials.select_related("license_type", "implementation").order_by("order", "pk"):
            group = next((g for g in groups if g.name == material.name or (
                material.license_type_id and any(m.license_type_id == material.license_type_id
                                                 for m in g.members))), None)
            if group is None:
                group = CombinedMaterial(name=material.name, notes=material.notes)
                groups.append(group)
            group.members.append(material)
            if material.form != "original":
                group.online.append(material)
                group.required = group.required or material.required
    for group in groups:
        types = {m.license_type_id for m in group.online}
        group.license_type = group.online[0].license_type if group.online and types != {None} and len(types) == 1 \
            else None
    return groups


def members(bundle: Bundle) -> list:
    """The bundle's implementations in order."""
    return [m.implementation for m in BundleMember.objects.filter(bundle=bundle)
            .select_related("implementation__department", "implementation__region", "implementation__item")
            .order_by("order", "pk")]


def longest_limit(implementations) -> tuple[int, str]:
    """The longest member time limit (promised, else statutory): (days, unit) — natural days count as
    longer than the same number of working days is not assumed; the unit of the longest is kept."""
    best = (0, "working")
    for impl in implementations:
        days, unit = ((impl.promised_limit, impl.promised_unit) if impl.promised_limit
                      else (impl.statutory_limit, impl.statutory_unit))
        if days > best[0]:
            best = (days, unit)
    return best


# --- definitions ------------------------------------------------------------------------------------
def _member_errors(audience: str, implementations) -> list[str]:
    errors = []
    if len(implementations) < MIN_MEMBERS:
        errors.append(_("A bundle combines at least %(count)d items.") % {"count": MIN_MEMBERS})
    if len(implementations) > MAX_MEMBERS:
        errors.append(_("A bundle combines at most %(count)d items.") % {"count": MAX_MEMBERS})
    if len({i.pk for i in implementations}) != len(implementations):
        errors.append(_("An item is in the bundle twice."))
    for impl in implementations:
        if impl.status != "published" or impl.item.status != "published":
            errors.append(_("“%(name)s” (%(code)s) is not published.") % {"name": impl.name, "code": impl.code})
        if not impl.online_apply:
            errors.append(_("“%(name)s” (%(code)s) cannot be applied for online.")
                          % {"name": impl.name, "code": impl.code})
        if impl.service_object not in AUDIENCE_OBJECTS.get(audience, ()):
            errors.append(_("“%(name)s” (%(code)s) is not for the bundle's audience.")
                          % {"name": impl.name, "code": impl.code})
    return errors


def validate_members(audience: str, implementations) -> list[str]:
    """Everything wrong with combining `implementations` for `audience`; [] when they combine."""
    errors = _member_errors(audience, implementations)
    if not errors:
        form, conflicts = combined_form(implementations)
        errors += conflicts or formdef.validate_definition(form)
    return errors


def bundle_save(*, actor, bundle: Bundle | None = None, data: dict, implementations: list) -> Bundle:
    """Create or change a bundle (`data`: code, name, description, audience) with its members in order.
    422 naming every problem of the members under `implementations` (conflicting question keys among them)."""
    from dgov.core.services import save_object

    with transaction.atomic():
        obj = Bundle() if bundle is None else Bundle.objects.select_for_update().get(pk=bundle.pk)
        for name in ("code", "name", "description", "audience", "is_demo"):
            if name in data:
                setattr(obj, name, data[name])
        require_in_scope(actor, "add" if obj._state.adding else "change", obj)
        errors = validate_members(obj.audience, implementations)
        if errors:
            raise ValidationError(_("The items cannot be combined."), code="invalid_members",
                                  details={"implementations": errors})
        before = [m.implementation.code for m in obj.members.select_related("implementation")] if obj.pk else []
        obj = save_object(actor=actor, instance=obj)
        BundleMember.objects.filter(bundle=obj).delete()
        BundleMember.objects.bulk_create([BundleMember(bundle=obj, implementation=impl, order=n)
                                          for n, impl in enumerate(implementations)])
        after = [i.code for i in implementations]
        if before != after:
            audit.record("bundles.bundle.members", obj, changes={"implementations": [before, after]}, actor=actor)
    return obj


def set_status(*, actor, bundle: Bundle, status: str) -> Bundle:
    """Publish a bundle (its members must still combine) or take it back to draft."""
    if status not in BundleStatus.values:
        raise ValidationError(details={"status": [_("Unknown status.")]})
    with transaction.atomic():
        bundle = Bundle.objects.select_for_update().get(pk=bundle.pk)
        require_in_scope(actor, "publish", bundle)
        if status == BundleStatus.PUBLISHED:
            errors = validate_members(bundle.audience, members(bundle))
            if errors:
                raise ValidationError(_("The bundle cannot be published."), code="invalid_members",
                                      details={"implementations": errors})
        before = bundle.status
        bundle.status = status
        bundle.save(update_fields=["status", "updated_at"])
        audit.record("bundles.bundle.publish" if status == BundleStatus.PUBLISHED else "bundles.bundle.retire",
                     bundle, changes={"status": [before, status]}, actor=actor)
    return bundle


# --- the applicant's draft --------------------------------------------------------------------------
def answers_of(application: BundleApplication) -> dict:
    try:
        value = json.loads(application.answers) if application.answers else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def form_of(application: BundleApplication) -> dict:
    return combined_form(members(application.bundle))[0]


def _identity(actor, bundle: Bundle) -> dict:
    from dgov.accounts.models import UserKind

    kind = getattr(actor, "kind", None)
    if kind not in (UserKind.CITIZEN, UserKind.ENTERPRISE):
        raise PermissionDenied(_("Only citizens and enterprises apply for services."))
    if bundle.audience == Audience.ENTERPRISE:
        enterprise = getattr(actor, "enterprise", None) if kind == UserKind.ENTERPRISE else None
        if enterprise is None:
            raise PermissionDenied(_("This bundle is for legal persons: apply with the enterprise's account."))
        return {"enterprise": enterprise}
    if kind != UserKind.CITIZEN:
        raise PermissionDenied(_("This bundle is for natural persons: apply with a personal account."))
    return {"enterprise": None}


def start(*, actor, bundle: Bundle) -> BundleApplication:
    """A draft application of `actor` for a published bundle, its answers prefilled from the identity."""
    if bundle.status != BundleStatus.PUBLISHED:
        raise NotFound()
    identity = _identity(actor, bundle)
    impls = members(bundle)
    errors = _member_errors(bundle.audience, impls)
    if errors:
        raise Conflict(_("This bundle cannot be applied for now: %(problems)s") % {"problems": "；".join(errors)})
    with transaction.atomic():
        form, _conflicts = combined_form(impls)
        application = BundleApplication.objects.create(
            bundle=bundle, applicant=actor, answers=json.dumps(formdef.prefill(form, actor), ensure_ascii=False),
            is_demo=bundle.is_demo and getattr(actor, "is_demo", False), **identity)
        audit.record("bundles.bundleapplication.create", application, changes={"bundle": bundle.code}, actor=actor)
    return application


def _own(actor, application: BundleApplication, *, draft: bool = True) -> BundleApplication:
    try:
        stored = (BundleApplication.objects.select_for_update(of=("self",)).select_related("bundle")
                  .get(pk=application.pk))
    except BundleApplication.DoesNotExist:
        raise NotFound() from None
    if stored.applicant_id != getattr(actor, "pk", None):
        raise NotFound()
    if draft and stored.state != ApplicationState.DRAFT:
        raise Conflict(_("This application was already sent."))
    return stored


def save_answers(*, actor, application: BundleApplication, answers: dict, page: str | None = None
                 ) -> BundleApplication:
    """Merge `answers` into the draft; with `page`, that page of the combined form is validated."""
    if not isinstance(answers, dict):
        raise ValidationError(details={"answers": [_("The answers must be an object.")]})
    with transaction.atomic():
        application = _own(actor, application)
        merged = {**answers_of(application), **answers}
        if page is not None:
            errors = formdef.validate_answers(form_of(application), merged, partial_page=page)
            if errors:
                raise ValidationError(details=errors)
        application.answers = json.dumps(merged, ensure_ascii=False)
        application.save(update_fields=["answers", "updated_at"])
        audit.record("bundles.bundleapplication.answers", application,
                     changes={"page": page, "fields": sorted(answers)}, actor=actor)
    return application


def material_named(application: BundleApplication, name: str) -> CombinedMaterial:
    found = next((g for g in combined_materials(members(application.bundle))
                  if g.name == name and g.asked_online), None)
    if found is None:
        raise ValidationError(details={"material": [_("This material is not one of the bundle's.")]})
    return found


def _aad(application: BundleApplication) -> bytes:
    return f"dgov:bundles.bundlematerial:{application.pk}".encode()


def add_upload(*, actor, application: BundleApplication, name: str, file) -> BundleMaterial:
    """A file for the combined material `name`: PDF, JPEG or PNG by content, within the cases' size limit,
    stored SM4-GCM encrypted with its SM3 digest; it replaces what was provided for that material."""
    from dgov.cases.services import read_upload

    data, content_type, filename = read_upload(file)
    with transaction.atomic():
        application = _own(actor, application)
        group = material_named(application, name)
        application.materials.filter(name=group.name).delete()
        item = BundleMaterial.objects.create(
            application=application, name=group.name, kind=MaterialKind.UPLOAD, filename=filename,
            content_type=content_type, size=len(data), sm3=sm3(data).hex(),
            content=sm4_gcm_encrypt(purpose_key(MATERIAL_KEY), data, _aad(application)))
        audit.record("bundles.bundlematerial.create", item, changes={
            "application": application.pk, "name": group.name, "kind": item.kind, "content_type": content_type,
            "size": item.size, "sm3": item.sm3}, actor=actor)
    return item


def use_licence(*, actor, application: BundleApplication, name: str, identifier: str) -> BundleMaterial:
    """免证办 for the combined material `name`: an e-licence the applicant holds, of the material's type
    and valid; each member case gets it (and each department its grant) on submission."""
    from dgov.licenses import selectors as license_selectors
    from dgov.licenses.verification import current_status

    with transaction.atomic():
        application = _own(actor, application)
        group = material_named(application, name)
        if group.license_type is None:
            raise ValidationError(details={"material": [_("This material cannot be replaced by an e-licence.")]})
        try:
            lic, grant = license_selectors.license_for(actor, identifier)
        except (NotFound, PermissionDenied, ValidationError):
            raise ValidationError(details={"identifier": [_("You hold no licence with this identifier.")]}) from None
        if grant is not None or not license_selectors.is_holder(actor, lic):
            raise ValidationError(details={"identifier": [_("You hold no licence with this identifier.")]})
        if lic.license_type_id != group.license_type.pk:
            raise ValidationError(details={"identifier": [
                _("This is a %(type)s; the material needs a %(wanted)s.")
                % {"type": lic.license_type.name, "wanted": group.license_type.name}]})
        if current_status(lic) != "valid":
            raise ValidationError(details={"identifier": [_("Only a valid licence can replace a material.")]})
        application.materials.filter(name=group.name).delete()
        item = BundleMaterial.objects.create(
            application=application, name=group.name, kind=MaterialKind.LICENCE, filename=f"{lic.identifier}.pdf",
            content_type="application/pdf", sm3=lic.file_sm3, license_identifier=lic.identifier)
        audit.record("bundles.bundlematerial.create", item, changes={
            "application": application.pk, "name": group.name, "kind": item.kind, "license": lic.identifier},
            actor=actor)
    return item


def remove_material(*, actor, material: BundleMaterial) -> None:
    with transaction.atomic():
        application = _own(actor, material.application)
        item = application.materials.filter(pk=material.pk).first()
        if item is None:
            raise NotFound()
        audit.record("bundles.bundlematerial.delete", item, changes={"application": application.pk,
                                                                      "name": item.name}, actor=actor)
        item.delete()


def read_material(*, actor, material: BundleMaterial) -> bytes:
    """The applicant's own upload, decrypted (audited)."""
    application = material.application
    if application.applicant_id != getattr(actor, "pk", None) or material.kind != MaterialKind.UPLOAD:
        raise NotFound()
    data = sm4_gcm_decrypt(purpose_key(MATERIAL_KEY), bytes(material.content), _aad(application))
    audit.record_read(material, ["content"], actor=actor)
    return data


def missing_materials(application: BundleApplication, groups: list[CombinedMaterial] | None = None) -> list:
    """The required combined materials not provided yet."""
    provided = set(application.materials.values_list("name", flat=True))
    groups = combined_materials(members(application.bundle)) if groups is None else groups
    return [g for g in groups if g.asked_online and g.required and g.name not in provided]


def check_complete(application: BundleApplication, form: dict | None = None,
                   groups: list[CombinedMaterial] | None = None) -> None:
    """422 naming every unanswered question (by key) and missing material (under `materials`)."""
    form = form_of(application) if form is None else form
    errors = formdef.validate_answers(form, answers_of(application))
    details = {key: [str(m) for m in messages] for key, messages in (errors or {}).items()}
    missing = missing_materials(application, groups)
    if missing:
        details["materials"] = [_("Provide “%(name)s”.") % {"name": g.name} for g in missing]
    if details:
        raise ValidationError(_("The application is not complete."), details=details)


# --- submission: the fan-out ------------------------------------------------------------------------
class _Upload:
    """A stored upload handed to `cases.services.add_upload` as a file."""

    def __init__(self, name: str, data: bytes):
        self.name, self._data, self.size = name, data, len(data)

    def read(self, limit: int = -1) -> bytes:
        return self._data if limit < 0 else self._data[:limit]


def _fan_out(actor, application: BundleApplication, impls, groups) -> list:
    from dgov.cases import services as case_services

    answers = answers_of(application)
    provided = {m.name: m for m in application.materials.all()}
    files = {name: sm4_gcm_decrypt(purpose_key(MATERIAL_KEY), bytes(m.content), _aad(application))
             for name, m in provided.items() if m.kind == MaterialKind.UPLOAD}
    by_material = {m.pk: g for g in groups for m in g.online}
    cases = []
    for order, impl in enumerate(impls):
        case = case_services.start(actor=actor, implementation=impl)
        own = {key: answers[key] for key in member_keys(impl) if key in answers}
        case = case_services.save_answers(actor=actor, case=case, answers=own)
        for material in impl.materials.select_related("license_type").order_by("order", "pk"):
            group = by_material.get(material.pk)
            given = provided.get(group.name) if group else None
            if given is None:
                continue
            if given.kind == MaterialKind.LICENCE:
                case_services.use_licence(actor=actor, case=case, material=material,
                                          identifier=given.license_identifier)
            else:
                case_services.add_upload(actor=actor, case=case, material=material,
                                         file=_Upload(given.filename, files[given.name]))
        try:
            case = case_services.submit(actor=actor, case=case, tell_applicant=False)  # told once: bundle_submitted
        except ValidationError as exc:
            raise ValidationError(
                _("“%(name)s” refused the application: %(problems)s")
                % {"name": impl.name, "problems": "；".join(exc.sentences())},
                code="member_refused", details={**(exc.details if isinstance(exc.details, dict) else {}),
                                                "implementation": [impl.code]}) from None
        BundleCase.objects.create(application=application, case=case, order=order)
        cases.append(case)
    return cases


def submit(*, actor, application: BundleApplication) -> BundleApplication:
    """Send the application: complete answers and the required materials; one case per member is started,
    given its answers and materials, and submitted, all in one transaction (any refusal undoes all);
    the application's reference is its first case's with YB for YT."""
    from dgov.cases import notify

    with audit.deferred():  # N cases in one transaction: the audit chain's lock only at its end
        application = _own(actor, application)
        bundle = application.bundle
        impls = members(bundle)
        if bundle.status != BundleStatus.PUBLISHED:
            raise Conflict(_("This bundle can no longer be applied for."))
        problems = _member_errors(bundle.audience, impls)
        if problems:
            raise Conflict(_("This bundle cannot be applied for now: %(problems)s") % {"problems": "；".join(problems)})
        form, _conflicts = combined_form(impls)
        groups = combined_materials(impls)
        check_complete(application, form, groups)
        cases = _fan_out(actor, application, impls, groups)
        application.reference = "YB" + cases[0].reference[2:]
        application.state = ApplicationState.IN_PROGRESS
        application.submitted_at = timezone.now()
        application.save(update_fields=["reference", "state", "submitted_at", "updated_at"])
        audit.record("bundles.bundleapplication.submit", application, changes={
            "reference": application.reference, "cases": [c.reference for c in cases]}, actor=actor)
        notify.to_applicant("bundle_submitted", cases[0], bundle=bundle.name, bundle_reference=application.reference,
                            cases="；".join(f"{c.title}（{c.department.name}，{c.reference}）" for c in cases))
        refresh(application)  # 即办件 may be decided at once by a receiver; normally still in progress
    return application


# --- the combined result ----------------------------------------------------------------------------
def derived_state(cases) -> str:
    """in_progress while any case is undecided; then approved (all), refused (none) or partly refused."""
    if not cases:
        return ApplicationState.DRAFT
    if any(not c.outcome for c in cases):
        return ApplicationState.IN_PROGRESS
    approved = sum(c.outcome == APPROVED for c in cases)
    if approved == len(cases):
        return ApplicationState.APPROVED
    return ApplicationState.REFUSED if approved == 0 else ApplicationState.PARTLY_REFUSED


def cases_of(application: BundleApplication) -> list:
    return [link.case for link in application.links.select_related("case__department", "case__implementation")
            .order_by("order", "pk")]


def refresh(application: BundleApplication) -> BundleApplication:
    """Derive the application's state from its cases (its row locked); the first time all are decided,
    the applicant gets one combined result message."""
    from dgov.cases import notify

    application = BundleApplication.objects.select_for_update(of=("self",)).select_related("bundle").get(
        pk=application.pk)
    cases = cases_of(application)
    state = derived_state(cases)
    if state == application.state:
        return application
    before = application.state
    application.state = state
    fields = ["state", "updated_at"]
    if state in DECIDED_STATES and application.completed_at is None:
        application.completed_at = timezone.now()
        fields.append("completed_at")
        outcomes = "；".join(f"{c.title}：{c.get_outcome_display()}"
                            + (f"（{c.result_license}）" if c.result_license else "") for c in cases)
        notify.to_applicant("bundle_result", cases[-1], bundle=application.bundle.name,
                            bundle_reference=application.reference, result=str(application.get_state_display()),
                            outcomes=outcomes)
    application.save(update_fields=fields)
    audit.record("bundles.bundleapplication.state", application, changes={"state": [before, state]}, actor=None)
    return application


def on_case_transitioned(sender, case, action, **kwargs) -> None:
    """`case_transitioned` receiver: a case of a bundle moved on, so the bundle's state may have."""
    link = BundleCase.objects.filter(case_id=case.pk).select_related("application").first()
    if link is not None and link.application.state != ApplicationState.DRAFT:
        refresh(link.application)
