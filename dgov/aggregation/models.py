"""Data aggregation (数据归集): departments' source databases and file uploads are mapped to
published catalog entries and loaded into the platform's data store (`datastore.py`, a database
separate from the application's own).

- `SourceDatabase`: a department's database (PostgreSQL, MySQL/MariaDB, SQLite), its URL with the
  password encrypted at rest; the URL is never shown back with its password, nor logged.
- `Dataset`: the data store table that holds one catalog entry's rows; `DatasetColumn`: one of its
  columns, carrying one of the entry's data items (信息项), with its masking rule for the gateway.
- `SourceMapping`: a load job: a source table (or uploaded files) → a dataset, source column per
  dataset column, full or incremental (by an update-time column or by an increasing key), and a
  schedule.
- `LoadRun`: one load with its counts (read, written, unchanged, rejected with reasons, deleted).

Scope: everything belongs to the provider department of the catalog entry (datasets, mappings,
runs) or to the source's department; the big-data centre's reviewers hold scope all.
"""

import re

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from dgov.catalog.models import CatalogEntry, DataItem
from dgov.core.models import BaseModel
from dgov.core.permissions import RestrictedQuerySet, ScopeSpec
from dgov.crypto.fields import EncryptedTextField
from dgov.orgs.models import Department

COLUMN_NAME_RE = r"^[a-z][a-z0-9_]{0,62}$"
column_name_validator = RegexValidator(
    COLUMN_NAME_RE, _("A column name is a lower-case letter followed by at most 62 lower-case letters, "
                      "digits or underscores."))

ENTRY_SCOPE = ScopeSpec(region="entry__region", department="entry__department")


class MaskKind(models.TextChoices):
    """How the data-service gateway masks a column's values for consumers not allowed to see them."""

    NONE = "none", _("not masked")
    NAME = "name", _("name (张*)")
    ID_NUMBER = "id_number", _("ID number (3601**********1234)")
    PHONE = "phone", _("phone number (138****5678)")
    EMAIL = "email", _("e-mail address (z***@example.com)")
    ADDRESS = "address", _("address (first six characters kept)")
    BANK_CARD = "bank_card", _("bank card number (last four digits kept)")
    PARTIAL = "partial", _("partial (first and last characters kept)")


#: data item names → the mask they default to (first match wins), for personal data
_MASK_HINTS = [
    (re.compile(r"身份证|身份号码|证件号|id_?number|idcard", re.I), MaskKind.ID_NUMBER),
    (re.compile(r"手机|电话|联系方式|phone|mobile|tel", re.I), MaskKind.PHONE),
    (re.compile(r"邮箱|电子邮件|e-?mail", re.I), MaskKind.EMAIL),
    (re.compile(r"银行卡|银行账号|卡号|账号|bank", re.I), MaskKind.BANK_CARD),
    (re.compile(r"地址|住址|住所|address", re.I), MaskKind.ADDRESS),
    (re.compile(r"姓名|名字|联系人|法定代表人|负责人|name", re.I), MaskKind.NAME),
]


def default_mask(item_name: str, personal_data: str) -> str:
    """The mask a column gets unless someone chooses another: none for items without personal data,
    otherwise by the item's name, and `partial` for personal data the name says nothing about."""
    if personal_data in ("", "none", None):
        return MaskKind.NONE
    for pattern, kind in _MASK_HINTS:
        if pattern.search(item_name or ""):
            return kind
    return MaskKind.PARTIAL


class SourceDatabase(BaseModel):
    """A department's database that the platform reads (never writes)."""

    class Kind(models.TextChoices):
        POSTGRESQL = "postgresql", "PostgreSQL"
        MYSQL = "mysql", _("MySQL / MariaDB")
        SQLITE = "sqlite", "SQLite"

    department = models.ForeignKey(Department, models.PROTECT, related_name="source_databases",
                                   verbose_name=_("department"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("database type"), max_length=12, choices=Kind.choices)
    # The whole connection URL, password included, encrypted at rest; shown only as `safe_url`.
    url = EncryptedTextField(_("connection URL"))
    description = models.CharField(_("description"), max_length=500, blank=True)
    last_tested_at = models.DateTimeField(_("last tested"), null=True, blank=True)
    last_test_ok = models.BooleanField(_("last test succeeded"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="department__region", department="department")

    class Meta:
        verbose_name = _("source database")
        verbose_name_plural = _("source databases")
        ordering = ["department__code", "name"]
        constraints = [models.UniqueConstraint(fields=["department", "name"], name="uniq_source_db_name")]

    def __str__(self):
        return self.name

    @property
    def safe_url(self) -> str:
        """The URL with its password hidden, for pages and the API."""
        from dgov.aggregation.sources import safe_url

        return safe_url(self.url)


class Dataset(BaseModel):
    """The data store table of one catalog entry."""

    entry = models.OneToOneField(CatalogEntry, models.PROTECT, related_name="dataset",
                                 verbose_name=_("catalog entry"))
    table_name = models.CharField(_("table name"), max_length=63, unique=True)
    row_count = models.PositiveBigIntegerField(_("rows"), default=0)
    last_loaded_at = models.DateTimeField(_("last loaded"), null=True, blank=True)
    last_seq = models.PositiveBigIntegerField(_("change sequence"), default=0)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ENTRY_SCOPE

    class Meta:
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")
        ordering = ["entry__code"]

    def __str__(self):
        return f"{self.entry.code} {self.entry.name}"

    @staticmethod
    def table_name_for(entry: CatalogEntry) -> str:
        return "ds_" + re.sub(r"[^a-z0-9]+", "_", entry.code.lower()).strip("_")


class DatasetColumn(models.Model):
    """One column of a dataset; it carries the data item named `item_name`."""

    dataset = models.ForeignKey(Dataset, models.CASCADE, related_name="columns", verbose_name=_("dataset"))
    name = models.CharField(_("column name"), max_length=63, validators=[column_name_validator])
    item_name = models.CharField(_("data item"), max_length=100)
    data_type = models.CharField(_("data type"), max_length=10, choices=DataItem.DataType.choices)
    is_key = models.BooleanField(_("key column"), default=False)
    mask = models.CharField(_("masking"), max_length=12, choices=MaskKind.choices, default=MaskKind.NONE)
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        verbose_name = _("dataset column")
        verbose_name_plural = _("dataset columns")
        ordering = ["dataset", "position"]
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["dataset", "name"], name="uniq_dataset_column_name"),
                       models.UniqueConstraint(fields=["dataset", "item_name"], name="uniq_dataset_column_item")]

    def __str__(self):
        return self.name


class LoadMode(models.TextChoices):
    FULL = "full", _("full")
    INCREMENTAL = "incremental", _("incremental")


class Schedule(models.TextChoices):
    MANUAL = "manual", _("on demand only")
    HOURLY = "hourly", _("hourly")
    DAILY = "daily", _("daily")
    WEEKLY = "weekly", _("weekly")


#: hours between scheduled runs
SCHEDULE_HOURS = {"hourly": 1, "daily": 24, "weekly": 24 * 7}


class SourceMapping(BaseModel):
    """A load job: a source table (or uploaded files, when `source` is empty) → a dataset."""

    class IncrementalBy(models.TextChoices):
        UPDATED_AT = "updated_at", _("update-time column")
        KEY = "key", _("increasing key column")

    name = models.CharField(_("name"), max_length=100)
    dataset = models.ForeignKey(Dataset, models.PROTECT, related_name="mappings", verbose_name=_("dataset"))
    source = models.ForeignKey(SourceDatabase, models.PROTECT, null=True, blank=True, related_name="mappings",
                               verbose_name=_("source database"),
                               help_text=_("Empty for a mapping loaded from uploaded files."))
    source_table = models.CharField(_("source table"), max_length=128, blank=True)
    # {dataset column name: source column name (or file header)}
    column_map = models.JSONField(_("column mapping"), default=dict)
    mode = models.CharField(_("load mode"), max_length=12, choices=LoadMode.choices, default=LoadMode.FULL)
    incremental_by = models.CharField(_("incremental by"), max_length=12, choices=IncrementalBy.choices,
                                      blank=True)
    incremental_column = models.CharField(_("incremental column"), max_length=128, blank=True,
                                          help_text=_("The source column whose value only grows."))
    # The highest value of the incremental column loaded so far (as text, with its type in the run).
    watermark = models.CharField(_("watermark"), max_length=100, blank=True)
    schedule = models.CharField(_("schedule"), max_length=8, choices=Schedule.choices, default=Schedule.MANUAL)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="dataset__entry__region", department="dataset__entry__department")

    class Meta:
        verbose_name = _("load job")
        verbose_name_plural = _("load jobs")
        ordering = ["dataset__entry__code", "name"]
        constraints = [models.UniqueConstraint(fields=["dataset", "name"], name="uniq_mapping_name")]
        indexes = [models.Index(fields=["enabled", "next_run_at"], name="aggregation_mapping_due")]

    def __str__(self):
        return self.name

    @property
    def is_file(self) -> bool:
        return self.source_id is None


class LoadRun(models.Model):
    """One load. A run that stopped without finishing (a crash) stays `running` until the next run
    of its job or the scheduler marks it `failed`; its rows were never committed to the data store,
    since a load commits its rows and its result together at the end."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("on demand")
        SCHEDULE = "schedule", _("scheduled")
        UPLOAD = "upload", _("file upload")

    mapping = models.ForeignKey(SourceMapping, models.CASCADE, related_name="runs", verbose_name=_("load job"))
    dataset = models.ForeignKey(Dataset, models.CASCADE, related_name="runs", verbose_name=_("dataset"))
    mode = models.CharField(_("load mode"), max_length=12, choices=LoadMode.choices)
    trigger = models.CharField(_("trigger"), max_length=8, choices=Trigger.choices, default=Trigger.MANUAL)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("started by"))
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    # host:pid of the process running it, to tell a crashed run from one still going
    runner = models.CharField(_("runner"), max_length=100, blank=True)
    started_at = models.DateTimeField(_("started"), db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("rows unchanged"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    rows_deleted = models.PositiveIntegerField(_("rows marked deleted"), default=0)
    # [{"row": source row number, "key": row key or "", "reason": text}], at most REJECTS_KEPT
    rejects = models.JSONField(_("rejected rows"), default=list, blank=True)
    watermark_before = models.CharField(_("watermark before"), max_length=100, blank=True)
    watermark_after = models.CharField(_("watermark after"), max_length=100, blank=True)
    error = models.CharField(_("error"), max_length=1000, blank=True)

    scope = ScopeSpec(region="dataset__entry__region", department="dataset__entry__department")
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("load run")
        verbose_name_plural = _("load runs")
        ordering = ["-started_at", "-id"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["mapping", "status"], name="aggregation_run_status")]
        # One run of a job at a time: a second one would read the same rows and race the first for
        # the watermark (the service answers 409 `load_running`).
        constraints = [models.UniqueConstraint(fields=["mapping"], condition=models.Q(status="running"),
                                               name="uniq_running_load_per_job")]

    def __str__(self):
        return f"{self.mapping} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


REJECTS_KEPT = 1000
