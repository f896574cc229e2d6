"""The API of dgov.policies, mounted at /api/v1/services/policies.

Public: `GET ""` (published policies in force), `GET /{id}`. The enterprise: `GET /mine` (its eligible
matches with the explanations). Officials (`policies.*`, scope: the policy's department): `GET/POST /manage`,
`GET/PUT/DELETE /manage/{id}`, `POST /manage/{id}/publish|expire|match|preview`, `GET /matches`,
`GET/POST /runs` (list; match every published policy in scope).
"""

from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Mapped, Pagination, actor_of, by_natural_key, errors
from dgov.core.errors import PermissionDenied
from dgov.core.permissions import get_scoped, require_permission
from dgov.orgs.models import Department
from dgov.policies import selectors, services
from dgov.policies.models import MatchRun, Policy, PolicyMatch
from dgov.policies.schemas import (
    EnterprisePolicyIn,
    EnterprisePolicyOut,
    PolicyMatchOut,
    PolicyMatchQuery,
    PolicyPreviewIn,
    PolicyPreviewOut,
    PolicyPublicOut,
    PolicyQuery,
    PolicyRunOut,
)
from dgov.policies.views import _delete_policy, explanation_rows, rule_rows
from dgov.services.models import Implementation

router = Router(tags=["policies"])
POLICY = "/manage/{policy_id}"


def _rules_text(rule) -> list[str]:
    return ["  " * row["depth"] + row["text"] for row in rule_rows(rule)]


def _public(policy: Policy) -> dict:
    return {"id": policy.pk, "title": policy.title, "department": policy.department.name,
            "department_code": policy.department.code, "document_number": policy.document_number,
            "summary": policy.summary, "benefit": policy.benefit, "benefit_amount": policy.benefit_amount,
            "kind": policy.kind, "valid_from": policy.valid_from, "valid_until": policy.valid_until,
            "rules": policy.rules, "rules_text": _rules_text(policy.rules), "apply_url": policy.apply_url}


def _full(policy: Policy) -> dict:
    return {**_public(policy), "status": policy.status, "published_at": policy.published_at,
            "implementation": policy.implementation.code if policy.implementation_id else None,
            "is_demo": policy.is_demo}


def _explained(explanation: dict) -> list[dict]:
    return [{"text": str(r["text"]), "depth": r["depth"], "group": r["group"], "held": r["held"],
             "actual": str(r["actual"]) if r.get("actual") is not None else None}
            for r in explanation_rows(explanation)]


def _match(m: PolicyMatch) -> dict:
    return {"id": m.pk, "policy": m.policy_id, "policy_title": m.policy.title, "enterprise": m.enterprise.name,
            "credit_code": m.enterprise.credit_code, "eligible": m.eligible, "matched_at": m.matched_at,
            "notified_at": m.notified_at, "case": m.case.reference if m.case_id else None,
            "explanation": _explained(m.explanation)}


def _run(run: MatchRun) -> dict:
    return {"id": run.pk, "policy": run.policy_id, "policies": run.policies, "evaluated": run.evaluated,
            "eligible": run.eligible, "changed": run.changed, "notified": run.notified, "cases": run.cases,
            "started_at": run.started_at}


# --- public ------------------------------------------------------------------------------------------
@router.get("", auth=None, response={200: list[PolicyPublicOut], **errors(400, 422)}, operation_id="list_policies")
@paginate(Pagination)
def list_policies(request):
    """The published policies in force (anyone), newest first, with their rules as data and in words."""
    return Mapped(selectors.public_policies(), _public)


@router.get("/mine", response={200: list[PolicyMatchOut], **READ_ERRORS}, operation_id="my_policy_matches")
@paginate(Pagination)
def my_matches(request):
    """The enterprise's own eligible matches (its account only), each condition with whether it held and the
    enterprise's value, and the benefit case's reference where one was opened."""
    enterprise = selectors.enterprise_of(actor_of(request))
    if enterprise is None:
        raise PermissionDenied(_("Only an enterprise's own account sees its policy matches."))
    return Mapped(selectors.matches_of(enterprise).select_related("enterprise"), _match)


# --- officials ---------------------------------------------------------------------------------------
def _scoped(request, policy_id: int, action: str = "view") -> Policy:
    qs = Policy.objects.select_related("department", "implementation")
    return get_scoped(actor_of(request), action, qs, pk=policy_id)


def _instance(payload: EnterprisePolicyIn, policy: Policy | None = None) -> Policy:
    data = payload.dict()
    department = by_natural_key(Department, "department", _("No department has this code."),
                                code=data.pop("department"))
    code = data.pop("implementation")
    implementation = by_natural_key(Implementation, "implementation", _("No item has this implementation code."),
                                    code=code) if code else None
    policy = policy or Policy()
    for name, value in data.items():
        setattr(policy, name, value)
    policy.department, policy.implementation = department, implementation
    return policy


@router.get("/manage", response={200: list[EnterprisePolicyOut], **READ_ERRORS}, operation_id="manage_list_policies")
@paginate(Pagination)
def manage_list(request, query: PolicyQuery = Query(...)):
    """Every policy in the official's scope, drafts among them."""
    actor = actor_of(request)
    require_permission(actor, Policy, "view")
    qs = Policy.objects.restrict(actor, "view").select_related("department", "implementation").order_by("-pk")
    if query.status:
        qs = qs.filter(status=query.status)
    if query.kind:
        qs = qs.filter(kind=query.kind)
    return Mapped(qs, _full)


@router.post("/manage", response={201: EnterprisePolicyOut, **WRITE_ERRORS}, operation_id="create_policy")
def create_policy(request, payload: EnterprisePolicyIn):
    """A new policy (a draft); the rules are checked (422 with every problem, each naming where it is)."""
    actor = actor_of(request)
    require_permission(actor, Policy, "add")
    policy = services.policy_save(actor=actor, instance=_instance(payload))
    return Status(201, _full(policy))


@router.get(POLICY, response={200: EnterprisePolicyOut, **READ_ERRORS}, operation_id="manage_get_policy")
def manage_get(request, policy_id: int):
    return _full(_scoped(request, policy_id))


@router.put(POLICY, response={200: EnterprisePolicyOut, **WRITE_ERRORS}, operation_id="update_policy")
def update_policy(request, policy_id: int, payload: EnterprisePolicyIn):
    actor = actor_of(request)
    policy = _scoped(request, policy_id, "change")
    return _full(services.policy_save(actor=actor, instance=_instance(payload, policy)))


@router.delete(POLICY, response={204: None, **WRITE_ERRORS}, operation_id="delete_policy")
def delete_policy(request, policy_id: int):
    """Only a draft (409 otherwise: let a published policy expire)."""
    _delete_policy(actor=actor_of(request), instance=_scoped(request, policy_id, "delete"))
    return Status(204, None)


@router.post(f"{POLICY}/publish", response={200: EnterprisePolicyOut, **WRITE_ERRORS}, operation_id="publish_policy")
def publish_policy(request, policy_id: int):
    return _full(services.publish(actor=actor_of(request), policy=_scoped(request, policy_id, "change")))


@router.post(f"{POLICY}/expire", response={200: EnterprisePolicyOut, **WRITE_ERRORS}, operation_id="expire_policy")
def expire_policy(request, policy_id: int):
    return _full(services.expire(actor=actor_of(request), policy=_scoped(request, policy_id, "change")))


@router.post(f"{POLICY}/match", response={200: PolicyRunOut, **WRITE_ERRORS}, operation_id="match_policy")
def match_policy(request, policy_id: int):
    """Evaluate the published policy against every enterprise profile now (idempotent)."""
    run = services.match(actor=actor_of(request), policy=_scoped(request, policy_id, "match"))
    return _run(run)


@router.post(f"{POLICY}/preview", response={200: list[PolicyPreviewOut], **WRITE_ERRORS},
             operation_id="preview_policy")
def preview_policy(request, policy_id: int, payload: PolicyPreviewIn):
    """Which enterprises the policy's rules (or `rules` given here) match; nothing is written."""
    from dgov.core.errors import ValidationError
    from dgov.policies import rules

    policy = _scoped(request, policy_id)
    rule = payload.rules if payload.rules is not None else policy.rules
    problems = rules.validate(rule) if rule else []
    if problems:
        raise ValidationError(details={"rules": problems})
    return [{"enterprise": p.enterprise.name, "credit_code": p.credit_code, "eligible": e["held"],
             "explanation": _explained(e)} for p, e in services.preview(policy, rule=rule)]


@router.get("/matches", response={200: list[PolicyMatchOut], **READ_ERRORS}, operation_id="list_policy_matches")
@paginate(Pagination)
def list_matches(request, query: PolicyMatchQuery = Query(...)):
    """The matches of the policies in the official's scope (eligible or not, with the explanation)."""
    actor = actor_of(request)
    require_permission(actor, PolicyMatch, "view")
    qs = selectors.visible_matches(actor).order_by("-matched_at", "pk")
    if query.policy:
        qs = qs.filter(policy_id=query.policy)
    if query.eligible is not None:
        qs = qs.filter(eligible=query.eligible)
    return Mapped(qs, _match)


@router.get("/runs", response={200: list[PolicyRunOut], **READ_ERRORS}, operation_id="list_policy_runs")
@paginate(Pagination)
def list_runs(request):
    actor = actor_of(request)
    require_permission(actor, MatchRun, "view")
    return Mapped(MatchRun.objects.restrict(actor, "view").order_by("-started_at", "-pk"), _run)


@router.post("/runs", response={201: PolicyRunOut, **WRITE_ERRORS}, operation_id="run_policy_matching")
def run_matching(request):
    """Match every published policy in the official's scope against every profile now (idempotent)."""
    return Status(201, _run(services.match_all(actor=actor_of(request))))


# declared last: its path would otherwise take /manage, /matches and /runs
@router.get("/{policy_id}", auth=None, response={200: PolicyPublicOut, **errors(400, 404, 422)},
            operation_id="get_policy")
def get_policy(request, policy_id: int):
    """One published policy in force (anyone)."""
    return _public(selectors.public_policy(policy_id))
