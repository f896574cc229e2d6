from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from dgov.accounts.selectors import requires_second_factor, role_grants
from dgov.cases import selectors as case_selectors
from dgov.cases.models import Case, State
from dgov.core import nav
from dgov.core.models import AuditEntry
from dgov.core.permissions import has_permission
from dgov.core.views import OfficialRequiredMixin


class HomeView(OfficialRequiredMixin, View):
    """The official's workbench (工作台): the case inbox's figures (for officials who handle cases), my
    roles and data scope, the modules I can open, my account's security, and my recent actions."""

    def get(self, request):
        user = request.user
        # the workbench's own modules (cases, ratings, supervision, bundles, policies …) under "government
        # services", then the other sections' modules
        labels = {"workbench": _("Government services")}
        sections = [{"key": key, "label": labels.get(key, nav.SECTIONS[key].label),
                     "items": nav.visible_items(user, key)} for key in ("workbench", "data", "cityops", "system")]
        sections = [s for s in sections if s["items"] or s["key"] != "workbench"]
        return render(request, "workbench/home.html", {
            "nav_active": "workbench",
            "grants": role_grants(user),
            "sections": sections,
            "second_factor": requires_second_factor(user),
            "recent": AuditEntry.objects.filter(actor_id=user.pk).order_by("-seq")[:8],
            "cases": case_summary(user),
        })


def case_summary(user) -> dict | None:
    """The inbox card: the cases waiting to be accepted, and those overdue or under a red or yellow
    warning; None for an official who handles no cases."""
    if not has_permission(user, Case, "view"):
        return None
    inbox = case_selectors.inbox
    return {"total": inbox(user).count(), "to_accept": inbox(user, state=State.SUBMITTED).count(),
            **{warning: inbox(user, warning=warning).count() for warning in ("overdue", "red", "yellow")}}


class SectionView(OfficialRequiredMixin, View):
    """A navigation section's landing page: the modules installed in it that the user may open."""

    def get(self, request, section):
        if section not in nav.SECTIONS or section in ("portal", "workbench"):
            raise Http404
        return render(request, "workbench/section.html", {
            "nav_active": section,
            "section": nav.SECTIONS[section],
            "items": nav.visible_items(request.user, section),
            "installed": bool(nav.SECTIONS[section].items),
        })
