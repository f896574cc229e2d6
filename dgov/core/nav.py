"""The navigation shell. Apps register their pages into the five sections from their
AppConfig.ready(); a section shows only the items the user may open.

    nav.register("system", _("Users"), "accounts:user_list", perm=(User, "view"))
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dgov.core.permissions import has_permission


@dataclass
class Item:
    label: str
    url_name: str
    perm: tuple | None = None  # (model, action); None: any signed-in official
    order: int = 100


@dataclass
class Section:
    key: str
    label: str
    url_name: str
    officials_only: bool = True
    items: list[Item] = field(default_factory=list)


SECTIONS: dict[str, Section] = {
    s.key: s for s in [
        Section("portal", _("Government services"), "portal:home", officials_only=False),
        Section("workbench", _("Workbench"), "workbench:home"),
        Section("data", _("Data platform"), "workbench:section"),
        Section("cityops", _("City operations"), "workbench:section"),
        Section("system", _("System administration"), "workbench:section"),
    ]
}


def register(section: str, label, url_name: str, *, perm: tuple | None = None, order: int = 100) -> None:
    items = SECTIONS[section].items
    if not any(i.url_name == url_name for i in items):
        items.append(Item(label, url_name, perm, order))
        items.sort(key=lambda i: (i.order, str(i.label)))


def visible_items(user, section: str) -> list[dict]:
    out = []
    for item in SECTIONS[section].items:
        if item.perm is None or has_permission(user, *item.perm):
            out.append({"label": item.label, "url": reverse(item.url_name)})
    return out


def section_url(section: Section) -> str:
    if section.url_name == "workbench:section":
        return reverse(section.url_name, kwargs={"section": section.key})
    return reverse(section.url_name)


def navigation(request):
    """Template context: the sections this user sees, with their items."""
    user = getattr(request, "user", None)
    is_official = bool(user and user.is_authenticated and getattr(user, "is_official", False))
    sections = []
    for section in SECTIONS.values():
        if section.officials_only and not is_official:
            continue
        sections.append({"key": section.key, "label": section.label, "url": section_url(section),
                         "items": visible_items(user, section.key) if is_official else []})
    return {"nav_sections": sections, "DGOV_SITE_NAME": settings.DGOV_SITE_NAME}
