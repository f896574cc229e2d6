"""The pages of enterprise policies (惠企政策):

- public (no login): `/policies/` the published policies in force, `/policies/<id>/` one with its rules in
  words;
- the enterprise (`/my/policies/`): the policies it is eligible for, each condition with whether it held
  and why, the benefit case (免申即享) or where to apply; and the 申报 policies it could apply for;
- officials under 工作台 (`policies.*` permissions, scope: the policy's department): policies (list, add,
  edit with the rules as JSON, detail with the rules in words, preview of the enterprises that match,
  publish, expire, run matching), enterprise profiles (list, edit, xlsx/csv import), matches and runs.
"""

import json

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from dgov.cases.applicant_views import applicant_required
from dgov.core.errors import Conflict, DgovError, NotFound
from dgov.core.permissions import get_scoped, has_permission
from dgov.core.services import delete_object
from dgov.core.views import CrudView, CrudViews, ObjectDetailView, audit_refused_write
from dgov.policies import rules, selectors, services
from dgov.policies.filtersets import EnterpriseProfileFilterSet, PolicyFilterSet, PolicyMatchFilterSet
from dgov.policies.forms import EnterpriseProfileForm, EnterpriseProfileImporter, PolicyForm, RulesPreviewForm
from dgov.policies.models import EnterpriseProfile, MatchRun, Policy, PolicyMatch, PolicyStatus
from dgov.policies.tables import EnterpriseProfileTable, MatchRunTable, PolicyMatchTable, PolicyTable

NAMESPACE = "policies"
PREFIX = "workbench/policies"


def _indent(depth: int) -> str:
    """A Bootstrap padding class for a row's depth (no inline styles: the CSP forbids them)."""
    return f"ps-{min(depth * 2, 5)}"


def _single_condition_under_not(node: dict) -> dict | None:
    if node.get("op") == "not":
        child = node["children"][0] if "children" in node else node.get("not")
        if isinstance(child, dict) and "field" in child:
            return child
    return None


def explanation_rows(node: dict, depth: int = 0) -> list[dict]:
    """The explanation tree flattened for a template: groups and conditions with their depth and words; a
    `not` over one condition is one row ("not: …")."""
    negated = _single_condition_under_not(node)
    if negated is not None:
        return [{"depth": depth, "indent": _indent(depth), "group": False, "held": node["held"],
                 "text": _("not: %(condition)s") % {"condition": rules.describe(negated)},
                 "actual": rules.describe_actual(negated)}]
    if "children" in node:
        rows = [{"depth": depth, "indent": _indent(depth), "group": True, "held": node["held"],
                 "text": rules.group_label(node["op"])}]
        for child in node["children"]:
            rows += explanation_rows(child, depth + 1)
        return rows
    return [{"depth": depth, "indent": _indent(depth), "group": False, "held": node["held"],
             "text": rules.describe(node), "actual": rules.describe_actual(node)}]


def rule_rows(rule, depth: int = 0) -> list[dict]:
    """A rule tree in words (no enterprise): the public page and the officials' detail."""
    if not isinstance(rule, dict) or not rule:
        return []
    if "not" in rule and isinstance(rule["not"], dict) and "field" in rule["not"]:
        return [{"depth": depth, "indent": _indent(depth), "group": False,
                 "text": _("not: %(condition)s") % {"condition": rules.describe(rule["not"])}}]
    for key in rules.GROUPS:
        if key in rule:
            children = [rule[key]] if key == "not" else rule[key]
            rows = [{"depth": depth, "indent": _indent(depth), "group": True, "text": rules.group_label(key)}]
            for child in children:
                rows += rule_rows(child, depth + 1)
            return rows
    return [{"depth": depth, "indent": _indent(depth), "group": False, "text": rules.describe(rule)}]


# --- officials: generic pages ----------------------------------------------------------------------
def _delete_policy(*, actor, instance):
    if instance.status != PolicyStatus.DRAFT:
        raise Conflict(_("Only a draft can be deleted; let a published policy expire."), code="conflict")
    delete_object(actor=actor, instance=instance)


class PolicyDetailView(ObjectDetailView):
    def get(self, request, key):
        policy = self.get_object("view", key)
        user = request.user
        matches = selectors.visible_matches(user).filter(policy=policy).order_by("-eligible", "enterprise__name")
        ctx = self.context(
            object=policy, rows=[(c.header, c.text(policy)) for c in PolicyTable.columns] + [
                (_("Summary"), policy.summary), (_("Benefit"), policy.benefit),
                (_("Benefit service item"), str(policy.implementation or "")),
                (_("Where to apply"), policy.apply_url)],
            can_change=has_permission(user, Policy, "change"),
            can_delete=policy.status == PolicyStatus.DRAFT and has_permission(user, Policy, "delete"),
            can_match=policy.status == PolicyStatus.PUBLISHED and has_permission(user, Policy, "match"),
            rule_rows=rule_rows(policy.rules), rules_json=json.dumps(policy.rules, ensure_ascii=False, indent=2),
            matches=matches[:200], eligible_count=matches.filter(eligible=True).count(),
            match_rows=lambda m: explanation_rows(m.explanation))
        return render(request, "policies/policy_detail.html", ctx)


class PolicyViews(CrudViews):
    model = Policy
    table = PolicyTable
    filterset = PolicyFilterSet
    form = PolicyForm
    save = staticmethod(services.policy_save)
    delete = staticmethod(_delete_policy)
    queryset = staticmethod(lambda: Policy.objects.select_related("department", "implementation"))
    views = {"detail": PolicyDetailView}
    nav_section = "workbench"


class EnterpriseProfileViews(CrudViews):
    model = EnterpriseProfile
    table = EnterpriseProfileTable
    filterset = EnterpriseProfileFilterSet
    form = EnterpriseProfileForm
    importer = EnterpriseProfileImporter
    save = staticmethod(services.profile_save)
    queryset = staticmethod(lambda: EnterpriseProfile.objects.select_related("enterprise", "region"))
    nav_section = "workbench"


class MatchDetailView(ObjectDetailView):
    def get(self, request, key):
        match = self.get_object("view", key)
        return render(request, "policies/match_detail.html", self.context(
            object=match, rows=[(c.header, c.text(match)) for c in PolicyMatchTable.columns],
            explanation=explanation_rows(match.explanation)))


class PolicyMatchViews(CrudViews):
    model = PolicyMatch
    table = PolicyMatchTable
    filterset = PolicyMatchFilterSet
    queryset = staticmethod(lambda: PolicyMatch.objects.select_related("policy__department", "enterprise", "case"))
    views = {"detail": MatchDetailView}
    nav_section = "workbench"


class MatchRunViews(CrudViews):
    model = MatchRun
    table = MatchRunTable
    queryset = staticmethod(lambda: MatchRun.objects.select_related("policy", "actor"))
    list_template = "policies/matchrun_list.html"
    nav_section = "workbench"


# --- officials: actions on a policy ---------------------------------------------------------------
class PolicyActionView(CrudView):
    """POST publish / expire / match on one policy, back to its page with the outcome."""

    crud = PolicyViews
    action = ""

    def post(self, request, key):
        try:
            policy = get_scoped(request.user, "view", PolicyViews.base_queryset(), pk=key)
            if self.action == "publish":
                services.publish(actor=request.user, policy=policy)
                messages.success(request, _("Published."))
            elif self.action == "expire":
                services.expire(actor=request.user, policy=policy)
                messages.success(request, _("The policy has expired."))
            else:
                run = services.match(actor=request.user, policy=policy)
                messages.success(request, _(
                    "Matching done: %(evaluated)d enterprises evaluated, %(eligible)d eligible, %(cases)d benefit "
                    "cases opened, %(notified)d told.") % {"evaluated": run.evaluated, "eligible": run.eligible,
                                                          "cases": run.cases, "notified": run.notified})
        except NotFound:
            raise
        except DgovError as exc:
            audit_refused_write(request, exc)
            if exc.status in (403,):
                raise
            messages.error(request, "；".join(exc.sentences()))
        return redirect(PolicyViews.name("detail"), key=key)


class MatchAllView(CrudView):
    crud = MatchRunViews

    def post(self, request):
        try:
            run = services.match_all(actor=request.user)
        except DgovError as exc:
            audit_refused_write(request, exc)
            raise
        messages.success(request, _("Matching done: %(policies)d policies, %(evaluated)d evaluations, %(eligible)d "
                                    "eligible, %(cases)d benefit cases opened, %(notified)d told.") % {
            "policies": run.policies, "evaluated": run.evaluated, "eligible": run.eligible, "cases": run.cases,
            "notified": run.notified})
        return redirect(MatchRunViews.name("list"))


class PolicyPreviewView(CrudView):
    """Which enterprises the policy's rules (or rules being edited, posted here) match, before publishing."""

    crud = PolicyViews

    def _render(self, request, policy, form, status=200):
        results = []
        if form.is_bound and form.is_valid():
            rule = form.cleaned_data["rules"]
        elif form.is_bound:
            rule = None
        else:
            rule = policy.rules
        if rule is not None:
            results = [(profile, explanation_rows(explanation), explanation["held"])
                       for profile, explanation in services.preview(policy, rule=rule)]
        return render(request, "policies/policy_preview.html", self.context(
            object=policy, form=form, results=results, eligible=sum(1 for r in results if r[2])), status=status)

    def get(self, request, key):
        policy = self.get_object("view", key)
        return self._render(request, policy, RulesPreviewForm(initial={"rules": policy.rules}))

    def post(self, request, key):
        policy = self.get_object("view", key)
        form = RulesPreviewForm(request.POST)
        return self._render(request, policy, form, status=200 if form.is_valid() else 422)


# --- public ---------------------------------------------------------------------------------------
def public_list(request):
    return render(request, "policies/public_list.html", {"policies": selectors.public_policies()[:200]})


def public_detail(request, pk: int):
    try:
        policy = selectors.public_policy(pk)
    except NotFound:
        from django.http import Http404

        raise Http404 from None
    return render(request, "policies/public_detail.html", {"policy": policy, "rule_rows": rule_rows(policy.rules)})


# --- the enterprise -------------------------------------------------------------------------------
@applicant_required
def my_policies(request):
    enterprise = selectors.enterprise_of(request.user)
    if enterprise is None:
        return render(request, "policies/my_policies.html", {"not_enterprise": True}, status=403)
    matches = [(m, explanation_rows(m.explanation)) for m in selectors.matches_of(enterprise)]
    return render(request, "policies/my_policies.html", {
        "enterprise": enterprise, "matches": matches, "could_apply": selectors.could_apply(enterprise)[:50],
        "profile": selectors.profile_of(enterprise)})


def urls() -> list:
    def action(name):
        return type(f"Policy{name.title()}View", (PolicyActionView,), {"action": name}).as_view()

    return [
        *PolicyViews.urls(f"{PREFIX}/policies", NAMESPACE),
        path(f"{PREFIX}/policies/<int:key>/publish/", action("publish"), name="policy_publish"),
        path(f"{PREFIX}/policies/<int:key>/expire/", action("expire"), name="policy_expire"),
        path(f"{PREFIX}/policies/<int:key>/match/", action("match"), name="policy_match"),
        path(f"{PREFIX}/policies/<int:key>/preview/", PolicyPreviewView.as_view(), name="policy_preview"),
        *EnterpriseProfileViews.urls(f"{PREFIX}/profiles", NAMESPACE),
        *PolicyMatchViews.urls(f"{PREFIX}/matches", NAMESPACE),
        path(f"{PREFIX}/runs/run/", MatchAllView.as_view(), name="match_all"),
        *MatchRunViews.urls(f"{PREFIX}/runs", NAMESPACE),
        path("policies/", public_list, name="public_list"),
        path("policies/<int:pk>/", public_detail, name="public_detail"),
        path("my/policies/", my_policies, name="my_policies"),
    ]
