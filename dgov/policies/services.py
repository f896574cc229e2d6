"""The writes of enterprise policies: profiles, policies, and matching.

Matching (`match(policy)`, `match_all()`, `match_enterprise(enterprise)`): every published policy in its
validity period is evaluated against every enterprise profile; one `PolicyMatch` per pair holds the
latest verdict and its explanation, rewritten only when the explanation changed (re-running writes
nothing). The first time a pair is eligible, the enterprise is told, once: for a 免申即享 policy with a
benefit implementation the benefit case is opened through `dgov.cases.services.open_proactive` (whose
message is the one the enterprise gets); otherwise a `policy_eligible` (申报) or `policy_granted`
(免申即享 without a case) message. A pair that is not eligible gets nothing. A profile change
re-evaluates the enterprise against every published policy.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dgov.core import audit
from dgov.core.errors import DgovError, ValidationError
from dgov.core.permissions import require_in_scope, require_permission
from dgov.core.services import save_object
from dgov.policies import industry, rules
from dgov.policies.models import (
    EnterpriseProfile,
    MatchRun,
    Policy,
    PolicyKind,
    PolicyMatch,
    PolicyStatus,
    SizeBasis,
)

YINGTAN = "360600000000"


def _add(errors: dict, name: str, message) -> None:
    errors.setdefault(name, []).append(str(message))


# --- profiles --------------------------------------------------------------------------------------
def profile_errors(profile: EnterpriseProfile) -> dict:
    """Field problems of a profile beyond the model's own checks; fills `size` where it is computed."""
    errors: dict = {}
    if profile.enterprise_id:
        profile.credit_code = profile.enterprise.credit_code
    for message in industry.industry_errors(profile.industry or ""):
        _add(errors, "industry", message)
    if profile.region_id and not (profile.region.path or "").startswith(_yingtan_path()):
        _add(errors, "region", _("Choose a region of Yingtan."))
    tags = profile.tags if isinstance(profile.tags, list) else None
    if tags is None or any(t not in rules.TAGS for t in tags):
        _add(errors, "tags", _("Use the known qualifications: %(tags)s.") % {"tags": "、".join(rules.TAGS)})
    elif len(set(tags)) != len(tags):
        _add(errors, "tags", _("A qualification appears twice."))
    if profile.credit_rating and profile.credit_rating not in rules.CREDIT_RATINGS:
        _add(errors, "credit_rating", _("Not a tax credit rating (A, B, M, C, D)."))
    today = timezone.localdate()
    if profile.registered_on and profile.registered_on > today:
        _add(errors, "registered_on", _("The registration date cannot be in the future."))
    if profile.as_of and profile.as_of > today:
        _add(errors, "as_of", _("The date of the data cannot be in the future."))
    if "industry" not in errors:
        size = industry.computed_size(profile.industry, profile.employees, profile.annual_revenue)
        if size is not None:
            profile.size, profile.size_basis = size, SizeBasis.COMPUTED
        else:
            profile.size_basis = SizeBasis.ENTERED
            if not profile.size:
                _add(errors, "size", _("The size cannot be computed for this industry: enter it."))
    return errors


def _yingtan_path() -> str:
    from dgov.orgs.models import Region

    region = Region.objects.filter(code=YINGTAN).only("path").first()
    return region.path if region else ""


def profile_save(*, actor, instance: EnterpriseProfile) -> EnterpriseProfile:
    """Create or change a profile (scope: the enterprise's region), then re-evaluate the enterprise against
    every published policy."""
    with transaction.atomic():
        if isinstance(instance.tags, str):
            instance.tags = [t for t in (s.strip() for s in instance.tags.replace("、", ",").split(",")) if t]
        errors = profile_errors(instance)
        if errors:
            raise ValidationError(details=errors)
        profile = save_object(actor=actor, instance=instance)
        match_enterprise(profile.enterprise, actor=actor)
    return profile


# --- policies --------------------------------------------------------------------------------------
def policy_errors(policy: Policy) -> dict:
    errors: dict = {}
    problems = rules.validate(policy.rules) if policy.rules != {} else []
    for problem in problems:
        _add(errors, "rules", problem)
    if policy.valid_from and policy.valid_until and policy.valid_until < policy.valid_from:
        _add(errors, "valid_until", _("The end of validity is before its start."))
    impl = policy.implementation
    if impl is not None:
        if policy.kind != PolicyKind.AUTOMATIC:
            _add(errors, "implementation", _("Only a policy without application opens benefit cases."))
        elif impl.service_object not in ("enterprise", "both"):
            _add(errors, "implementation", _("The service item is not for enterprises."))
    return errors


def policy_save(*, actor, instance: Policy) -> Policy:
    """Create or change a policy (scope: its department). The rules are checked; a published policy's rules
    may change (the next matching run re-evaluates)."""
    with transaction.atomic():
        if instance.rules in (None, ""):
            instance.rules = {}
        errors = policy_errors(instance)
        if errors:
            raise ValidationError(details=errors)
        return save_object(actor=actor, instance=instance)


def _locked_policy(policy: Policy) -> Policy:
    return Policy.objects.select_for_update(of=("self",)).select_related("department", "implementation__item").get(
        pk=policy.pk)


def publish(*, actor, policy: Policy) -> Policy:
    """draft → published; a 免申即享 benefit's service item must itself be published."""
    with transaction.atomic():
        policy = _locked_policy(policy)
        require_in_scope(actor, "change", policy)
        if policy.status != PolicyStatus.DRAFT:
            raise ValidationError(_("Only a draft can be published."), code="not_allowed",
                                  details={"status": [_("Only a draft can be published.")]})
        errors = policy_errors(policy)
        if not policy.rules:
            _add(errors, "rules", _("Give the eligibility rules before publishing."))
        impl = policy.implementation
        if impl is not None and (impl.status != "published" or impl.item.status != "published"):
            _add(errors, "implementation", _("The service item is not published."))
        if policy.valid_until and policy.valid_until < timezone.localdate():
            _add(errors, "valid_until", _("The policy has already ended."))
        if errors:
            raise ValidationError(details=errors)
        policy.status, policy.published_at = PolicyStatus.PUBLISHED, timezone.now()
        policy.save(update_fields=["status", "published_at", "updated_at"])
        audit.record("policies.policy.publish", policy, changes={"status": [PolicyStatus.DRAFT, policy.status]},
                     actor=actor)
    return policy


def expire(*, actor, policy: Policy) -> Policy:
    """published → expired: no longer matched (what it gave stays)."""
    with transaction.atomic():
        policy = _locked_policy(policy)
        require_in_scope(actor, "change", policy)
        if policy.status != PolicyStatus.PUBLISHED:
            raise ValidationError(_("Only a published policy can expire."), code="not_allowed",
                                  details={"status": [_("Only a published policy can expire.")]})
        policy.status = PolicyStatus.EXPIRED
        policy.save(update_fields=["status", "updated_at"])
        audit.record("policies.policy.expire", policy, changes={"status": [PolicyStatus.PUBLISHED, policy.status]},
                     actor=actor)
    return policy


def expire_ended(*, today: dt.date) -> int:
    """Published policies whose validity ended before `today` become expired (the daily run)."""
    count = 0
    for policy in Policy.objects.filter(status=PolicyStatus.PUBLISHED, valid_until__lt=today).order_by("pk"):
        with transaction.atomic():
            Policy.objects.filter(pk=policy.pk).update(status=PolicyStatus.EXPIRED, updated_at=timezone.now())
            audit.record("policies.policy.expire", policy, changes={"status": [PolicyStatus.PUBLISHED,
                                                                                PolicyStatus.EXPIRED],
                                                                     "valid_until": policy.valid_until})
        count += 1
    return count


# --- matching --------------------------------------------------------------------------------------
def _profiles():
    return EnterpriseProfile.objects.select_related("enterprise__account", "region").order_by("pk")


def preview(policy: Policy, *, rule=None, today: dt.date | None = None) -> list[tuple[EnterpriseProfile, dict]]:
    """Every profile with the explanation of `rule` (default: the policy's) for it, eligible first; nothing
    is written (the officials' preview before publishing)."""
    rule = policy.rules if rule is None else rule
    today = today or timezone.localdate()
    paths = rules.region_paths_of(rule)
    results = [(p, rules.evaluate(rule, p.facts(), today=today, region_paths=paths)) for p in _profiles()]
    return sorted(results, key=lambda pair: (not pair[1]["held"], pair[0].enterprise.name))


def _fingerprint(explanation: dict) -> str:
    text = json.dumps(explanation, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class _Counts:
    policies: int = 0
    evaluated: int = 0
    eligible: int = 0
    changed: int = 0
    notified: int = 0
    cases: int = 0
    failed: list = field(default_factory=list)


def _in_force(policy: Policy, today: dt.date) -> bool:
    return (policy.status == PolicyStatus.PUBLISHED and policy.valid_from <= today
            and (policy.valid_until is None or policy.valid_until >= today))


def _message_values(policy: Policy, enterprise) -> dict:
    return {"policy": policy.title, "document_number": policy.document_number or "—",
            "department": policy.department.name, "benefit": policy.benefit, "enterprise": enterprise.name,
            "valid_until": policy.valid_until.isoformat() if policy.valid_until else "",
            "apply_url": policy.apply_url}


def _tell(code: str, policy: Policy, enterprise) -> int:
    """A policy message to the enterprise's account (in-app; SMS too when the template says so)."""
    from dgov.cases.models import MessageTemplate
    from dgov.cases.notify import fill
    from dgov.notifications.models import Channel
    from dgov.notifications.services import notify

    template = MessageTemplate.objects.filter(code=code, active=True).first()
    if template is None:
        return 0
    values = _message_values(policy, enterprise)
    subject, body = fill(template.subject, values), fill(template.body, values)
    user = enterprise.account
    notify(user=user, channel=Channel.IN_APP, recipient=user.username, subject=subject, body=body)
    sent = 1
    if template.sms and user.phone:
        notify(user=user, channel=Channel.SMS, recipient=user.phone, subject=subject, body=body)
        sent += 1
    return sent


def _case_answers(policy: Policy, profile: EnterpriseProfile) -> dict:
    return {"policy": policy.title, "policy_document_number": policy.document_number,
            "policy_department": policy.department.name, "benefit": policy.benefit,
            "benefit_amount": str(policy.benefit_amount) if policy.benefit_amount is not None else "",
            "enterprise_name": profile.enterprise.name, "credit_code": profile.enterprise.credit_code,
            "industry": profile.industry, "size": profile.size, "employees": profile.employees,
            "data_source": profile.source, "data_as_of": profile.as_of.isoformat()}


def _give(actor, policy: Policy, profile: EnterpriseProfile, match: PolicyMatch, counts: _Counts) -> None:
    """The first eligible verdict of a pair: the benefit case (免申即享 with an implementation) or a message."""
    from dgov.cases import services as case_services

    enterprise = profile.enterprise
    if policy.kind == PolicyKind.AUTOMATIC and policy.implementation_id:
        with translation.override(settings.LANGUAGE_CODE):
            reason = _("The enterprise meets the conditions of the policy “%(policy)s” (%(number)s), matched on the "
                       "data the government holds.") % {"policy": policy.title,
                                                         "number": policy.document_number or "—"}
        try:
            with transaction.atomic():
                match.case = case_services.open_proactive(
                    actor=actor, implementation=policy.implementation, enterprise=enterprise,
                    answers=_case_answers(policy, profile), reason=reason)
        except DgovError as exc:
            # the benefit's item cannot take cases now (retired …): left for the next run, which tries again
            counts.failed.append(f"{policy.pk}/{enterprise.pk}: {exc.message}")
            return
        counts.cases += 1
    else:
        _tell("policy_granted" if policy.kind == PolicyKind.AUTOMATIC else "policy_eligible", policy, enterprise)
    match.notified_at = timezone.now()
    counts.notified += 1


def _evaluate_pair(actor, policy: Policy, profile: EnterpriseProfile, today: dt.date, paths: dict,
                   counts: _Counts) -> None:
    explanation = rules.evaluate(policy.rules, profile.facts(), today=today, region_paths=paths)
    fingerprint = _fingerprint(explanation)
    eligible = explanation["held"]
    counts.evaluated += 1
    counts.eligible += int(eligible)
    match = PolicyMatch.objects.select_for_update().filter(policy=policy, enterprise=profile.enterprise).first()
    if match is None:
        match = PolicyMatch(policy=policy, enterprise=profile.enterprise)
    elif match.fingerprint == fingerprint and (not eligible or match.notified_at):
        return  # nothing new: re-running writes nothing
    changed = match.pk is None or match.fingerprint != fingerprint
    if changed:
        before = match.eligible if match.pk else None
        match.eligible, match.explanation, match.fingerprint = eligible, explanation, fingerprint
        match.matched_at = timezone.now()
        counts.changed += 1
    if eligible and match.notified_at is None:
        _give(actor, policy, profile, match, counts)
    match.save()
    if changed:
        audit.record("policies.policymatch.evaluate", match, changes={"eligible": [before, eligible],
                                                                      "policy": policy.pk}, actor=actor)


def _run(actor, policies, profiles, *, policy: Policy | None = None, today: dt.date | None = None,
         record: bool = True) -> MatchRun:
    today = today or timezone.localdate()
    counts = _Counts()
    with transaction.atomic():
        profiles = list(profiles)
        for item in policies:
            if not _in_force(item, today):
                continue
            counts.policies += 1
            # one run at a time per policy: a concurrent run waits here, then sees this one's matches
            Policy.objects.select_for_update().filter(pk=item.pk).values_list("pk", flat=True).first()
            paths = rules.region_paths_of(item.rules)
            for profile in profiles:
                _evaluate_pair(actor, item, profile, today, paths, counts)
        user = actor if getattr(actor, "pk", None) else None
        run = MatchRun(policy=policy, actor=user, policies=counts.policies, evaluated=counts.evaluated,
                                      eligible=counts.eligible, changed=counts.changed, notified=counts.notified,
                                      cases=counts.cases)
        if not record:
            run.failed = counts.failed
            return run
        run.save()
        audit.record("policies.matchrun.create", run, changes={
            "policies": counts.policies, "evaluated": counts.evaluated, "eligible": counts.eligible,
            "changed": counts.changed, "notified": counts.notified, "cases": counts.cases,
            **({"failed": counts.failed[:20]} if counts.failed else {})}, actor=actor)
    run.failed = counts.failed
    return run


def _published():
    return Policy.objects.filter(status=PolicyStatus.PUBLISHED).select_related(
        "department", "implementation__item").order_by("pk")


def match(*, actor, policy: Policy, today: dt.date | None = None) -> MatchRun:
    """Evaluate one published policy against every profile (the officials' button; scope: the policy)."""
    require_in_scope(actor, "match", policy)
    if policy.status != PolicyStatus.PUBLISHED:
        raise ValidationError(_("Only a published policy is matched."), code="not_allowed",
                              details={"status": [_("Only a published policy is matched.")]})
    return _run(actor, _published().filter(pk=policy.pk), _profiles(), policy=policy, today=today)


def match_all(*, actor=None, today: dt.date | None = None) -> MatchRun:
    """Every published policy (within `actor`'s scope for matching; all of them for the system, actor None)
    against every profile."""
    policies = _published()
    if getattr(actor, "pk", None):
        require_permission(actor, Policy, "match")
        policies = policies.restrict(actor, "match")
    return _run(actor, policies, _profiles(), today=today)


def match_enterprise(enterprise, *, actor=None, today: dt.date | None = None) -> MatchRun | None:
    """Re-evaluate one enterprise (its profile changed) against every published policy; the counts come back
    as an unsaved `MatchRun` (each changed pair is audited on its own)."""
    profile = _profiles().filter(enterprise=enterprise).first()
    if profile is None:
        return None
    return _run(actor, _published(), [profile], today=today, record=False)
