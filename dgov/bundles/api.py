"""The API of dgov.bundles, mounted at /api/v1/services/bundles: the published bundles (public, with the
combined form and materials), and the applicant's applications (create — optionally submitting, which
fans out into one case per member — and list their own)."""

from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import paginate

from dgov.bundles import selectors, services
from dgov.bundles.schemas import BundleApplicationIn, BundleApplicationOut, BundleListOut, BundleOut
from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Pagination, actor_of, errors
from dgov.core.errors import NotFound, PermissionDenied, ValidationError

router = Router(tags=["bundles"])
APPLICATIONS = "/applications"


def _list_out(bundle) -> dict:
    return {"code": bundle.code, "name": bundle.name, "description": bundle.description,
            "audience": bundle.audience, "members": bundle.members.count()}


def bundle_out(bundle) -> dict:
    impls = services.members(bundle)
    form, _conflicts = services.combined_form(impls)
    days, unit = services.longest_limit(impls)

    def limit(impl):
        return (impl.promised_limit, impl.promised_unit) if impl.promised_limit else (
            impl.statutory_limit, impl.statutory_unit)

    return {**_list_out(bundle), "form": form, "limit_days": days, "limit_unit": unit,
            "implementations": [{"implementation": i.code, "name": i.name, "department": i.department.name,
                                 "region": i.region.name, "case_kind": i.case_kind, "limit_days": limit(i)[0],
                                 "limit_unit": limit(i)[1]} for i in impls],
            "materials": [{"name": g.name, "required": g.required, "online": g.asked_online,
                           "license_type": g.license_type.name if g.license_type else None,
                           "implementations": [i.code for i in g.implementations]}
                          for g in services.combined_materials(impls)]}


def application_out(application) -> dict:
    return {"id": application.pk, "bundle": application.bundle.code, "bundle_name": application.bundle.name,
            "reference": application.reference, "state": application.state,
            "submitted_at": application.submitted_at, "completed_at": application.completed_at,
            "cases": [{"reference": c.reference, "implementation": c.implementation.code, "title": c.title,
                       "department": c.department.name, "state": c.state, "outcome": c.outcome,
                       "result_license": c.result_license} for c in services.cases_of(application)]}


def _applicant(request):
    from dgov.accounts.models import UserKind

    actor = actor_of(request)
    if getattr(actor, "kind", None) not in (UserKind.CITIZEN, UserKind.ENTERPRISE):
        raise PermissionDenied(_("Only citizens and enterprises apply for services."))
    return actor


@router.get("", auth=None, response={200: list[BundleListOut], **errors(400, 422)}, operation_id="list_bundles")
@paginate(Pagination)
def list_bundles(request):
    """The published one-thing bundles (public)."""
    return [_list_out(b) for b in selectors.published_bundles().prefetch_related("members")]


@router.get(APPLICATIONS, response={200: list[BundleApplicationOut], **READ_ERRORS},
            operation_id="list_bundle_applications")
@paginate(Pagination)
def list_applications(request):
    """Your own bundle applications (citizens and enterprises), newest first, each with its cases."""
    return [application_out(a) for a in selectors.my_applications(_applicant(request))[:500]]


@router.post(APPLICATIONS, response={201: BundleApplicationOut, **WRITE_ERRORS},
             operation_id="create_bundle_application")
def create_application(request, payload: BundleApplicationIn):
    """Apply for a bundle with the combined form's answers; `submit=true` submits at once (422 naming
    what is missing, materials included), which fans it out into one case per member. Materials are
    provided on the web pages."""
    actor = _applicant(request)
    try:
        bundle = selectors.bundle_by_code(payload.bundle.strip())
    except NotFound:
        raise ValidationError(details={"bundle": [_("No published bundle has this code.")]}) from None
    with transaction.atomic():
        application = services.start(actor=actor, bundle=bundle)
        if payload.answers:
            application = services.save_answers(actor=actor, application=application, answers=payload.answers)
        if payload.submit:
            application = services.submit(actor=actor, application=application)
    return Status(201, application_out(application))


@router.get("/{code}", auth=None, response={200: BundleOut, **errors(400, 404, 422)}, operation_id="get_bundle")
def get_bundle(request, code: str):
    """One published bundle: its members, combined form, combined materials and the longest time limit."""
    return bundle_out(selectors.bundle_by_code(code))
