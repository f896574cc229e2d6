"""Data lineage (数据血缘, issue 6 point 6), computed from the platform's own records; nothing is stored.

The graph of a catalog entry runs left to right through these kinds of node (`LAYERS`):

    source table (a load job's source database and table) or uploaded files, or a peer node's feed
      → data-store table (`aggregation.Dataset.table_name`)
      → catalog entry (`Dataset.entry`)
      → data service (the gateway's service, code = the entry's resource code), file packages,
        peer nodes the dataset is published to (federation)
      → consumer applications (sharing grants, with their gateway calls from the exchange log)
      → the applications' departments.

Edges carry the columns the platform moves itself, as [source, target] pairs: a load job's
`column_map` (source column → dataset column), dataset column → catalog data item
(`DatasetColumn.item_name`), and the items a grant or a file package hands on.

Harvested tables (`metadata.MetaTable`) are joined in where they match (the data store's table by
name; a source table by source database, schema and name): the node then links to the harvested
table's page and carries the score of its latest finished quality run.

Scope: every node comes from a `restrict(user, "view")` query of its own model, so a user sees only
what they may see; the catalog entry itself must be visible (`catalog.selectors.visible_entries`).
"""

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from dgov.aggregation.models import Dataset, SourceDatabase, SourceMapping
from dgov.catalog import selectors as catalog_selectors
from dgov.catalog.models import CatalogEntry, SharingType
from dgov.catalog.models import Status as EntryStatus
from dgov.core.errors import NotFound
from dgov.core.permissions import require_permission
from dgov.exchange.models import ExchangeLogEntry
from dgov.federation.models import Publication, Subscription
from dgov.fileexchange.models import FilePackage
from dgov.governance.models import ResourceFeedback
from dgov.metadata.models import DATASTORE, MetaTable
from dgov.quality.models import QualityRun
from dgov.sharing.models import Grant, GrantStatus

#: the kinds of node in the order of the graph's columns (left → right)
LAYERS = {
    "peer_feed": 0, "source_table": 0, "file_upload": 0,
    "datastore_table": 1,
    "catalog_entry": 2,
    "data_service": 3, "file_package": 3, "peer_node": 3,
    "application": 4,
    "department": 5,
}


def kind_labels() -> dict[str, str]:
    return {"peer_feed": _("Peer node's feed"), "source_table": _("Source table"), "file_upload": _("Uploaded files"),
            "datastore_table": _("Data-store table"), "catalog_entry": _("Catalog entry"),
            "data_service": _("Data service"), "file_package": _("File package"), "peer_node": _("Peer node"),
            "application": _("Consumer application"), "department": _("Department")}


@dataclass
class Graph:
    nodes: dict = field(default_factory=dict)  # id → node dict
    edges: dict = field(default_factory=dict)  # (from, to) → edge dict

    def node(self, node_id: str, kind: str, label: str, url: str = "", **extra) -> str:
        if node_id not in self.nodes:
            self.nodes[node_id] = {"id": node_id, "kind": kind, "label": label, "url": url, **extra}
        return node_id

    def edge(self, src: str, dst: str, columns=(), **extra) -> None:
        edge = self.edges.setdefault((src, dst), {"from": src, "to": dst, "columns": []})
        for pair in columns:
            if list(pair) not in edge["columns"]:
                edge["columns"].append(list(pair))
        edge.update(extra)

    def as_dict(self) -> dict:
        nodes = sorted(self.nodes.values(), key=lambda n: (LAYERS[n["kind"]], n["label"], n["id"]))
        return {"nodes": nodes, "edges": list(self.edges.values())}


def latest_scores(table_ids) -> dict[int, float]:
    """The score of the latest finished (succeeded) quality run of each harvested table."""
    scores: dict[int, float] = {}
    runs = (QualityRun.objects.filter(table_id__in=list(table_ids), status=QualityRun.Status.SUCCEEDED,
                                      score__isnull=False)
            .order_by("table_id", "-started_at", "-pk").values_list("table_id", "score"))
    for table_id, score in runs:
        scores.setdefault(table_id, float(score))
    return scores


def _split(source_table: str) -> tuple[str, str]:
    schema, _dot, name = source_table.rpartition(".")
    return schema, name


class _Builder:
    def __init__(self, user):
        self.user = user
        self.graph = Graph()
        self.tables = MetaTable.objects.restrict(user, "view").filter(dropped_at__isnull=True)
        self.datasets = Dataset.objects.restrict(user, "view")
        self.mappings = SourceMapping.objects.restrict(user, "view").select_related("source")
        self.sources = set(SourceDatabase.objects.restrict(user, "view").values_list("pk", flat=True))
        self.grants = Grant.objects.restrict(user, "view").select_related("application", "application__department")
        self.packages = FilePackage.objects.restrict(user, "view").select_related("application",
                                                                                   "application__department")
        self.publications = Publication.objects.restrict(user, "view").select_related("peer")
        self.subscriptions = Subscription.objects.restrict(user, "view").select_related("peer")
        self.meta_nodes: dict[int, str] = {}  # MetaTable id → node id

    # --- harvested tables ------------------------------------------------------------------------
    def _attach_meta(self, node_id: str, table: MetaTable | None) -> None:
        if table is None:
            return
        node = self.graph.nodes[node_id]
        node["table"] = table.pk
        node["url"] = reverse("metadata:metatable_detail", kwargs={"pk": table.pk})
        self.meta_nodes[table.pk] = node_id

    def _datastore_meta(self, dataset: Dataset) -> MetaTable | None:
        return (self.tables.filter(location=DATASTORE).filter(Q(dataset=dataset) | Q(name=dataset.table_name))
                .order_by("pk").first())

    def _source_meta(self, mapping: SourceMapping) -> MetaTable | None:
        schema, name = _split(mapping.source_table)
        tables = self.tables.filter(location=f"source-{mapping.source_id}", name=name)
        if schema:
            tables = tables.filter(schema=schema)
        return tables.order_by("schema", "pk").first()

    # --- the graph of one entry --------------------------------------------------------------------
    def entry(self, entry: CatalogEntry) -> str:
        entry_id = self.graph.node(f"entry:{entry.code}", "catalog_entry", f"{entry.code} {entry.name}",
                                   reverse("catalog:catalogentry_detail", kwargs={"key": entry.code}))
        dataset = self.datasets.filter(entry=entry).prefetch_related("columns").first()
        columns = list(dataset.columns.all()) if dataset is not None else []
        if dataset is not None:
            ds_id = self.graph.node(f"dataset:{dataset.pk}", "datastore_table", dataset.table_name,
                                    reverse("aggregation:dataset_detail", kwargs={"key": dataset.pk}))
            self._attach_meta(ds_id, self._datastore_meta(dataset))
            self.graph.edge(ds_id, entry_id, [(c.name, c.item_name) for c in columns])
            self._loads(dataset, ds_id)
            for sub in self.subscriptions.filter(dataset=dataset):
                feed = self.graph.node(f"feed:{sub.peer.code}:{sub.feed}", "peer_feed",
                                       f"{sub.peer.name} {sub.feed}",
                                       reverse("federation:subscription_detail", kwargs={"key": sub.pk}))
                self.graph.edge(feed, ds_id, [(c.name, c.name) for c in columns])
            for pub in self.publications.filter(dataset=dataset):
                peer = self.graph.node(f"peer:{pub.peer.code}", "peer_node", pub.peer.name,
                                       reverse("federation:peer_detail", kwargs={"key": pub.peer.pk}))
                self.graph.edge(entry_id, peer, [(c.item_name, c.item_name) for c in columns])
        self._consumers(entry, entry_id, columns)
        return entry_id

    def _loads(self, dataset: Dataset, ds_id: str) -> None:
        for mapping in self.mappings.filter(dataset=dataset).order_by("pk"):
            url = reverse("aggregation:sourcemapping_detail", kwargs={"key": mapping.pk})
            if mapping.is_file:
                src = self.graph.node(f"upload:{mapping.pk}", "file_upload", mapping.name, url)
            elif mapping.source_id in self.sources:
                src = self.graph.node(f"source:{mapping.source_id}:{mapping.source_table}", "source_table",
                                      f"{mapping.source.name} / {mapping.source_table}", url)
                self._attach_meta(src, self._source_meta(mapping))
            else:  # the job is visible but not its source database: show the table without naming the source
                src = self.graph.node(f"source:{mapping.source_id}:{mapping.source_table}", "source_table",
                                      mapping.source_table, url)
            pairs = [(source_col, ds_col) for ds_col, source_col in mapping.column_map.items() if source_col]
            self.graph.edge(src, ds_id, pairs, job=mapping.name)

    def _consumers(self, entry: CatalogEntry, entry_id: str, columns) -> None:
        # the gateway serves a published, shared entry that has a dataset (whether or not the user may see it)
        served = (entry.status == EntryStatus.PUBLISHED and entry.sharing_type != SharingType.NONE
                  and Dataset.objects.filter(entry=entry).exists())
        grants = list(self.grants.filter(entry=entry).exclude(status=GrantStatus.REVOKED).order_by("pk"))
        if not (served or grants):
            return
        service = self.graph.node(f"service:{entry.code}", "data_service", entry.code,
                                  reverse("exchange:service", kwargs={"code": entry.code}))
        self.graph.edge(entry_id, service, [(c.item_name, c.item_name) for c in columns])
        calls = dict(ExchangeLogEntry.objects.filter(service_code=entry.code, application__isnull=False)
                     .values("application").annotate(n=Count("id")).values_list("application", "n"))
        for grant in grants:
            app = grant.application
            app_id = self.graph.node(f"app:{app.code}", "application", f"{app.name} ({app.code})",
                                     reverse("sharing:grant_detail", kwargs={"key": grant.pk}))
            self.graph.edge(service, app_id, [(i, i) for i in grant.items], calls=calls.get(app.pk, 0),
                            status=grant.status)
            self._department(app_id, app.department)
        for package in self.packages.filter(entry=entry).order_by("pk"):
            pkg = self.graph.node(f"package:{package.pk}", "file_package", f"{package.file_name}",
                                  reverse("fileexchange:filepackage_detail", kwargs={"key": package.pk}))
            self.graph.edge(entry_id, pkg, [(c, c) for c in package.columns])
            app = package.application
            app_id = self.graph.node(f"app:{app.code}", "application", f"{app.name} ({app.code})", "")
            self.graph.edge(pkg, app_id, [(c, c) for c in package.columns])
            self._department(app_id, app.department)

    def _department(self, app_id: str, department) -> None:
        dept = self.graph.node(f"dept:{department.code}", "department", department.name)
        self.graph.edge(app_id, dept)

    # --- scores ----------------------------------------------------------------------------------
    def finish(self) -> dict:
        scores = latest_scores(self.meta_nodes)
        for table_id, node_id in self.meta_nodes.items():
            if table_id in scores:
                self.graph.nodes[node_id]["score"] = scores[table_id]
        return self.graph.as_dict()


def _visible_entries(user):
    return catalog_selectors.visible_entries(user)


def for_entry(user, code: str) -> dict:
    """The lineage graph of the catalog entry `code` (404 if the user may not see it)."""
    require_permission(user, ResourceFeedback, "view")
    entry = _visible_entries(user).filter(code=code).first()
    if entry is None:
        raise NotFound()
    builder = _Builder(user)
    builder.entry(entry)
    return builder.finish()


def for_table(user, table_id: int) -> dict:
    """The lineage graph through the harvested table `table_id`: a data-store table's entry, or every
    entry a load job fills from a source table (404 if the user may not see the table)."""
    require_permission(user, ResourceFeedback, "view")
    table = MetaTable.objects.restrict(user, "view").filter(pk=table_id).first()
    if table is None:
        raise NotFound()
    builder = _Builder(user)
    entries = _visible_entries(user)
    if table.is_datastore:
        datasets = builder.datasets.filter(Q(pk=table.dataset_id) | Q(table_name=table.name))
        for dataset in datasets.select_related("entry"):
            if entries.filter(pk=dataset.entry_id).exists():
                builder.entry(dataset.entry)
    elif table.source_id:
        names = [table.name, f"{table.schema}.{table.name}"] if table.schema else [table.name]
        mappings = builder.mappings.filter(source_id=table.source_id, source_table__in=names)
        for mapping in mappings.select_related("dataset__entry"):
            if entries.filter(pk=mapping.dataset.entry_id).exists():
                builder.entry(mapping.dataset.entry)
    if table.pk not in builder.meta_nodes:  # not reached from any entry: the table alone
        kind = "datastore_table" if table.is_datastore else "source_table"
        node = builder.graph.node(f"table:{table.pk}", kind, table.qualified_name)
        builder._attach_meta(node, table)
    return builder.finish()


def column_rows(graph: dict) -> list[dict]:
    """The column-level edges as table rows: from node, from column, to node, to column."""
    labels = {n["id"]: n["label"] for n in graph["nodes"]}
    return [{"from": labels[e["from"]], "from_column": src, "to": labels[e["to"]], "to_column": dst}
            for e in graph["edges"] for src, dst in e["columns"]]


# --- drawing ---------------------------------------------------------------------------------------
NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 200, 52, 70, 18, 10


def layout(graph: dict) -> dict:
    """Positions for an inline SVG: one column per layer (left → right), nodes stacked in each; edges
    as cubic curves from the right side of a node to the left side of the next."""
    labels = kind_labels()
    columns: dict[int, list[dict]] = {}
    for node in graph["nodes"]:
        columns.setdefault(LAYERS[node["kind"]], []).append(node)
    used = sorted(columns)
    placed, boxes = {}, []
    for col, layer in enumerate(used):
        for row, node in enumerate(columns[layer]):
            x, y = PAD + col * (NODE_W + GAP_X), PAD + row * (NODE_H + GAP_Y)
            placed[node["id"]] = (x, y)
            label = node["label"]
            boxes.append({**node, "x": x, "y": y, "w": NODE_W, "h": NODE_H, "kind_label": labels[node["kind"]],
                          "short": label if len(label) <= 16 else label[:15] + "…",
                          "tx": x + 8, "ty1": y + 20, "ty2": y + 40, "series": LAYERS[node["kind"]] % 5 + 1})
    paths = []
    for edge in graph["edges"]:
        (x1, y1), (x2, y2) = placed[edge["from"]], placed[edge["to"]]
        sx, sy, ex, ey = x1 + NODE_W, y1 + NODE_H / 2, x2, y2 + NODE_H / 2
        mid = (sx + ex) / 2
        paths.append({"d": f"M{sx},{sy:.1f} C{mid},{sy:.1f} {mid},{ey:.1f} {ex},{ey:.1f}",
                      "columns": len(edge["columns"])})
    rows = max((len(v) for v in columns.values()), default=0)
    return {"width": PAD * 2 + max(len(used), 1) * (NODE_W + GAP_X) - GAP_X,
            "height": PAD * 2 + max(rows, 1) * (NODE_H + GAP_Y) - GAP_Y, "boxes": boxes, "paths": paths}
