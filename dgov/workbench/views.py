from django.http import Http404
from django.shortcuts import render
from django.views import View

from dgov.accounts.selectors import requires_second_factor, role_grants
from dgov.core import nav
from dgov.core.models import AuditEntry
from dgov.core.views import OfficialRequiredMixin


class HomeView(OfficialRequiredMixin, View):
    """The official's workbench (工作台): my roles and data scope, the modules I can open, my
    account's security, and my recent actions."""

    def get(self, request):
        user = request.user
        sections = [{"key": key, "label": nav.SECTIONS[key].label, "items": nav.visible_items(user, key)}
                    for key in ("data", "cityops", "system")]
        return render(request, "workbench/home.html", {
            "nav_active": "workbench",
            "grants": role_grants(user),
            "sections": sections,
            "second_factor": requires_second_factor(user),
            "recent": AuditEntry.objects.filter(actor_id=user.pk).order_by("-seq")[:8],
        })


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
