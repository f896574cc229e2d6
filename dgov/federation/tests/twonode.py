"""Helpers the two-node test runs INSIDE each node (`dgov manage shell -c ...`), with that node's
settings, database and data store. Each prints one JSON line for the test to read."""

import json

from dgov.aggregation import datastore
from dgov.aggregation import services as aggregation_services
from dgov.aggregation.models import Dataset
from dgov.catalog import services
from dgov.catalog.models import CatalogEntry, Classification
from dgov.catalog.testing import PATH_TO, item, make_superuser
from dgov.orgs.models import Department

ITEMS = [item("姓名", personal_data="personal"), item("公民身份号码", personal_data="sensitive"),
         item("联系电话", personal_data="personal"), item("登记日期", data_type="date", length=None),
         item("月保障金额", data_type="decimal", length=None)]
COLUMNS = [{"name": "xm", "item_name": "姓名"}, {"name": "sfzh", "item_name": "公民身份号码", "is_key": True},
           {"name": "lxdh", "item_name": "联系电话"}, {"name": "djrq", "item_name": "登记日期"},
           {"name": "ybzje", "item_name": "月保障金额"}]


def _row(n: int, generation: int = 0) -> dict:
    return {"xm": f"测试{n:05d}", "sfzh": f"3606{n:014d}", "lxdh": f"138{(n * 7919 + generation) % 10**8:08d}",
            "djrq": f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}", "ybzje": f"{(n % 900) + 100}.{generation % 100:02d}"}


def entries(*specs: dict) -> None:
    """Several `entry(**spec)` in one process (each `dgov` start costs seconds): prints their codes."""
    print(json.dumps({"codes": [_entry(**spec) for spec in specs]}))


def wire(*, publish: tuple = (), subscribe: tuple = ()) -> None:
    """Publish datasets to peers ((peer, resource code), …) and subscribe to peers' feeds ((peer,
    feed, local entry code), …) through the services the `dgov sync` commands call."""
    from dgov.federation import services as federation
    from dgov.federation.models import Peer

    for peer, code in publish:
        federation.publish(peer=Peer.objects.get(code=peer), entry_code=code, system=True)
    for peer, feed, local in subscribe:
        federation.subscribe(peer=Peer.objects.get(code=peer), feed=feed, entry_code=local, system=True)
    print(json.dumps({"ok": True}))


def change(code: str, *, load: tuple, delete: tuple) -> None:
    """Rewrite rows load[0]..load[1] (generation load[2]), then mark rows delete[0]..delete[1] deleted."""
    dataset = Dataset.objects.get(entry__code=code)
    written = datastore.upsert(dataset, (_row(n, load[2]) for n in range(load[0], load[1]))).written
    gone = {_row(n)["sfzh"] for n in range(*delete)}
    keep = [r["sfzh"] for r in datastore.select(dataset, columns=["sfzh"], limit=10**7) if r["sfzh"] not in gone]
    print(json.dumps({"written": written, "deleted": datastore.mark_deleted(dataset, keep)}))


def recorded() -> None:
    """The sync runs' directions and statuses, and the remote catalog entries' names."""
    from dgov.federation.models import RemoteEntry, SyncRun

    print(json.dumps({"runs": sorted(f"{d}:{s}" for d, s in SyncRun.objects.values_list("direction", "status")),
                      "remote_entries": sorted(RemoteEntry.objects.values_list("name", flat=True))},
                     ensure_ascii=False))


def _entry(name: str, *, with_dataset: bool, rows: int = 0, first: int = 0) -> str:
    """A published entry (and its dataset holding `rows` rows numbered from `first`): its resource code."""
    from dgov.accounts.models import User

    actor = User.objects.filter(username="fed_setup").first() or make_superuser("fed_setup")
    e = CatalogEntry.objects.filter(name=name).first()
    if e is None:
        # make_entry's own superusers are numbered per process: every shell would make the same one
        e = CatalogEntry(name=name, summary="联调测试用的数据资源。",
                         department=Department.objects.get(code="360600036"),
                         classification=Classification.objects.get(code="307"), format="database",
                         sharing_type="unconditional", sharing_method="api", open_type="none",
                         update_cycle="monthly")
        services.entry_save(actor=actor, entry=e, items=ITEMS)
        for action in PATH_TO["published"]:
            e = services.transition(actor=actor, entry=e, action=action)
    if with_dataset and not Dataset.objects.filter(entry=e).exists():
        dataset = aggregation_services.dataset_create(actor=actor, entry=e, columns=COLUMNS)
        datastore.upsert(dataset, (_row(n) for n in range(first, first + rows)))
    return e.code
