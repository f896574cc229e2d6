"""Test helpers for the catalog and the apps that read it (exchange, open data): officials with the
catalog roles, and entries made through the services in any state of their life cycle."""

import itertools

from dgov.accounts.testing import make_user
from dgov.catalog import services
from dgov.catalog.models import CatalogEntry, Classification, NegativeListItem, Status
from dgov.orgs.models import Department

YUJIANG_CIVIL_AFFAIRS = "360603909"  # 余江区民政局
GUIXI_CIVIL_AFFAIRS = "360681909"  # 贵溪市民政局
_seq = itertools.count(1)

#: the transitions that bring a new draft into each state
PATH_TO = {
    Status.DRAFT: [],
    Status.SUBMITTED: ["submit"],
    Status.REVIEWED: ["submit", "approve"],
    Status.PUBLISHED: ["submit", "approve", "publish"],
    Status.WITHDRAWN: ["submit", "approve", "publish", "withdraw"],
}


def make_editor(department_code: str = YUJIANG_CIVIL_AFFAIRS, username: str | None = None):
    """A department's data administrator (catalog_editor, scope: the department)."""
    return make_user(username, department_code=department_code,
                     roles=[("catalog_editor", "department", department_code), ("staff", "all", None)])


def make_reviewer(username: str | None = None):
    """A reviewer of the big-data centre (catalog_reviewer, scope all)."""
    return make_user(username, department_code="360600036",
                     roles=[("catalog_reviewer", "all", None), ("staff", "all", None)])


def make_superuser(username: str | None = None):
    return make_user(username or f"catalog_root{next(_seq)}", department_code="360600036", is_superuser=True)


def item(name: str, **fields) -> dict:
    return {"name": name, "data_type": "string", "length": 50, **fields}


def make_entry(*, actor=None, name: str | None = None, summary: str = "测试用的数据资源。",
               department_code: str = YUJIANG_CIVIL_AFFAIRS, classification_code: str = "307",
               status: str = Status.DRAFT, items: list[dict] | None = None, code: str = "",
               **fields) -> CatalogEntry:
    """An entry created through `entry_save` (as `actor`, default a superuser) and moved to `status`
    through `transition`."""
    actor = actor or make_superuser()
    values = {"format": "database", "sharing_type": "unconditional", "sharing_method": "api",
              "open_type": "none", "update_cycle": "monthly", **fields}
    entry = CatalogEntry(code=code, name=name or f"测试资源{next(_seq)}", summary=summary,
                         department=Department.objects.get(code=department_code),
                         classification=Classification.objects.get(code=classification_code), **values)
    services.entry_save(actor=actor, entry=entry, items=items if items is not None else [item("名称")])
    return move(entry, status)


def move(entry: CatalogEntry, status: str, actor=None) -> CatalogEntry:
    """Bring a draft to `status` along the life cycle (as a superuser unless `actor` is given)."""
    actor = actor or make_superuser()
    for action in PATH_TO[status]:
        entry = services.transition(actor=actor, entry=entry, action=action,
                                    reason="测试" if services.TRANSITIONS[action][3] else "")
    return entry


def negative_list(resource_code: str, item_name: str = "", *, actor=None,
                  legal_basis: str = "《中华人民共和国个人信息保护法》第二十八条") -> NegativeListItem:
    return services.negative_item_save(actor=actor or make_superuser(), item=NegativeListItem(
        resource_code=resource_code, item_name=item_name, legal_basis=legal_basis))


def make_provincial(code: str, name: str, **fields):
    """A provincial catalog entry (as an import of the provincial catalog would create it)."""
    from dgov.catalog.models import ProvincialEntry

    values = {"provider": "江西省民政厅", "classification_code": "307", "summary": "测试用的省级资源。",
              "sharing_type": "conditional", "update_cycle": "daily", **fields}
    return ProvincialEntry.objects.create(code=code, name=name, **values)
