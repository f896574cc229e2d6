"""Harvested metadata (元数据采集, issue 6 point 1): what the registered source databases
(`aggregation.SourceDatabase`) and the platform's data store hold — schemas, tables, columns, types,
comments, keys, row counts, sizes — read with the database's own catalog on a schedule or on demand.

Each `Harvest` reads one location (a source database, or the data store when `source` is empty) and
records what changed since the previous harvest as `MetaChange` rows (table added or dropped, column
added, dropped or altered); the owning department is told. A table or column that disappears is kept,
marked `dropped_at`, so its history, quality results and lineage stay readable.

Scope: the owning department — the source database's department, or for a data-store table the
department of its dataset's catalog entry (the big-data centre when none).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dgov.core.models import BaseModel
from dgov.core.permissions import RestrictedQuerySet, ScopeSpec

#: `MetaTable.location` of the platform's data store
DATASTORE = "datastore"


class Harvest(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", pgettext_lazy("harvest", "running")
        SUCCEEDED = "succeeded", pgettext_lazy("harvest", "succeeded")
        FAILED = "failed", pgettext_lazy("harvest", "failed")

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("on demand")
        SCHEDULED = "scheduled", _("scheduled")

    source = models.ForeignKey("aggregation.SourceDatabase", models.CASCADE, null=True, blank=True,
                               related_name="harvests", verbose_name=_("source database"))
    department = models.ForeignKey("orgs.Department", models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("department"))
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("started by"))
    started_at = models.DateTimeField(_("started"), db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    tables = models.PositiveIntegerField(_("tables"), default=0)
    columns = models.PositiveIntegerField(_("columns"), default=0)
    changes = models.PositiveIntegerField(_("changes"), default=0)
    error = models.CharField(_("error"), max_length=1000, blank=True)

    scope = ScopeSpec(region="department__region", department="department")
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("metadata harvest")
        verbose_name_plural = _("metadata harvests")
        ordering = ["-started_at", "-pk"]
        permissions = [("run_harvest", "Can harvest metadata")]

    def __str__(self):
        return f"{self.location_label} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def location_label(self) -> str:
        return str(self.source) if self.source_id else str(_("data store"))


class MetaTable(BaseModel):
    class Kind(models.TextChoices):
        TABLE = "table", pgettext_lazy("metadata", "table")
        VIEW = "view", pgettext_lazy("metadata", "view")

    source = models.ForeignKey("aggregation.SourceDatabase", models.CASCADE, null=True, blank=True,
                               related_name="meta_tables", verbose_name=_("source database"))
    #: "datastore", or "source-<id>": one key for the uniqueness of (location, schema, name)
    location = models.CharField(_("location"), max_length=40)
    dataset = models.ForeignKey("aggregation.Dataset", models.SET_NULL, null=True, blank=True,
                                related_name="meta_tables", verbose_name=_("dataset"))
    department = models.ForeignKey("orgs.Department", models.PROTECT, related_name="meta_tables",
                                   verbose_name=_("owning department"))
    schema = models.CharField(_("schema"), max_length=128, blank=True)
    name = models.CharField(_("table name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices, default=Kind.TABLE)
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    row_count = models.BigIntegerField(_("rows"), null=True, blank=True)
    #: True when `row_count` is an exact count(*), False when it is the catalog's estimate
    row_count_exact = models.BooleanField(_("exact row count"), default=False)
    size_bytes = models.BigIntegerField(_("size (bytes)"), null=True, blank=True)
    primary_key = models.JSONField(_("primary key"), default=list, blank=True)
    #: [{"columns": [...], "ref_schema": "", "ref_table": "...", "ref_columns": [...], "name": "..."}]
    foreign_keys = models.JSONField(_("foreign keys"), default=list, blank=True)
    #: [{"name": "...", "columns": [...], "unique": bool}]
    indexes = models.JSONField(_("indexes"), default=list, blank=True)
    last_harvest = models.ForeignKey(Harvest, models.SET_NULL, null=True, blank=True, related_name="+",
                                     verbose_name=_("last harvest"))
    harvested_at = models.DateTimeField(_("harvested"), null=True, blank=True)
    dropped_at = models.DateTimeField(_("dropped"), null=True, blank=True)

    scope = ScopeSpec(region="department__region", department="department")

    class Meta:
        verbose_name = _("harvested table")
        verbose_name_plural = _("harvested tables")
        ordering = ["location", "schema", "name"]
        constraints = [models.UniqueConstraint(fields=["location", "schema", "name"], name="uniq_metadata_table")]
        indexes = [models.Index(fields=["department", "dropped_at"], name="metadata_table_dept")]

    def __str__(self):
        return self.qualified_name

    @property
    def qualified_name(self) -> str:
        """The table's reference in the API: `datastore/ds_x` or `source-12/public.people`."""
        return f"{self.location}/{self.schema + '.' if self.schema else ''}{self.name}"

    @property
    def is_datastore(self) -> bool:
        return self.location == DATASTORE


class MetaColumn(models.Model):
    table = models.ForeignKey(MetaTable, models.CASCADE, related_name="columns", verbose_name=_("table"))
    name = models.CharField(_("column name"), max_length=128)
    position = models.PositiveIntegerField(_("position"))
    data_type = models.CharField(_("database type"), max_length=100)
    #: the platform's type name for it (string, integer, decimal, date, datetime, boolean, binary)
    type_family = models.CharField(_("type"), max_length=10)
    max_length = models.PositiveIntegerField(_("length"), null=True, blank=True)
    nullable = models.BooleanField(_("nullable"), default=True)
    default = models.CharField(_("default"), max_length=200, blank=True)
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    is_primary_key = models.BooleanField(_("primary key"), default=False)
    #: personal data (from the dataset's masking rule or the mapped element): samples are masked
    personal = models.BooleanField(_("personal data"), default=False)
    element = models.ForeignKey("standards.DataElement", models.SET_NULL, null=True, blank=True,
                                related_name="columns", verbose_name=_("data element"))
    dropped_at = models.DateTimeField(_("dropped"), null=True, blank=True)

    class Meta:
        verbose_name = _("harvested column")
        verbose_name_plural = _("harvested columns")
        ordering = ["table", "position"]
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["table", "name"], name="uniq_metadata_column")]

    def __str__(self):
        return f"{self.table}.{self.name}"


class MetaChange(models.Model):
    class Kind(models.TextChoices):
        TABLE_ADDED = "table_added", _("table added")
        TABLE_DROPPED = "table_dropped", _("table dropped")
        COLUMN_ADDED = "column_added", _("column added")
        COLUMN_DROPPED = "column_dropped", _("column dropped")
        COLUMN_ALTERED = "column_altered", _("column altered")

    harvest = models.ForeignKey(Harvest, models.CASCADE, related_name="change_set", verbose_name=_("harvest"))
    table = models.ForeignKey(MetaTable, models.CASCADE, related_name="changes", verbose_name=_("table"))
    kind = models.CharField(_("change"), max_length=16, choices=Kind.choices)
    column = models.CharField(_("column"), max_length=128, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    class Meta:
        verbose_name = _("metadata change")
        verbose_name_plural = _("metadata changes")
        ordering = ["harvest", "table", "kind", "column"]
        default_permissions = ()
        indexes = [models.Index(fields=["table", "harvest"], name="metadata_change_table")]


Q_LIVE = Q(dropped_at__isnull=True)
