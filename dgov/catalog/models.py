"""The city's data resource catalog (数据资源目录) after the 2017 《政务信息资源目录编制指南(试行)》:
classifications (类/项/目/细目), catalog entries with their data items (信息项), every change kept
as a version, and the negative list (数据负面清单) that one check enforces everywhere.

Resource codes are "<classification code>/<sequence>": the classification code is 类 (1 digit),
项 (2), 目 (3) and 细目 (3) digits run together (e.g. 101001001), the sequence is 6 digits
(e.g. 101001001/000001), generated per classification and checked on every write.
"""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from dgov.core.models import BaseModel
from dgov.core.permissions import ScopeSpec
from dgov.orgs.models import Department, Region

RESOURCE_CODE_RE = r"^[1-3][0-9]{2}[0-9]{3}[0-9]{3}/[0-9]{6}$"
resource_code_validator = RegexValidator(
    RESOURCE_CODE_RE, _("A resource code is the 9-digit classification code, a slash and a 6-digit sequence, "
                        "e.g. 101001001/000001."))


class CatalogType(models.TextChoices):
    """The first digit of a classification code (类)."""

    BASE = "1", _("base resources catalog")
    THEME = "2", _("theme resources catalog")
    DEPARTMENT = "3", _("department resources catalog")


class Classification(BaseModel):
    """One node of the 类/项/目/细目 tree (reference data, the same for every department)."""

    code = models.CharField(_("code"), max_length=9, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"))  # 1 类, 2 项, 3 目, 4 细目
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("parent"))

    scope = ScopeSpec(shared=True)

    class Meta:
        verbose_name = _("classification")
        verbose_name_plural = _("classifications")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def catalog_type(self) -> str:
        return self.code[0]


class ResourceFormat(models.TextChoices):
    SPREADSHEET = "spreadsheet", _("spreadsheet")
    DATABASE = "database", _("database")
    DOCUMENT = "document", _("electronic document")
    IMAGE = "image", _("graphics and images")
    STREAMING = "streaming", _("streaming media")
    SELF_DESCRIBING = "self_describing", _("self-describing format")
    OTHER = "other", _("other")


class SharingType(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("shared unconditionally")
    CONDITIONAL = "conditional", _("shared on conditions")
    NONE = "none", _("not shared")


class SharingMethod(models.TextChoices):
    API = "api", _("API")
    FILE = "file", _("file")
    DATABASE = "database", _("database")


class OpenType(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("opened unconditionally")
    CONDITIONAL = "conditional", _("opened on conditions")
    NONE = "none", _("not opened")


class UpdateCycle(models.TextChoices):
    REALTIME = "realtime", _("real time")
    DAILY = "daily", _("daily")
    WEEKLY = "weekly", _("weekly")
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    HALF_YEARLY = "half_yearly", _("half-yearly")
    YEARLY = "yearly", _("yearly")
    IRREGULAR = "irregular", _("irregular")


#: how many days old data may be before an entry is overdue for its update cycle
UPDATE_CYCLE_DAYS = {"realtime": 1, "daily": 1, "weekly": 7, "monthly": 31, "quarterly": 92,
                     "half_yearly": 183, "yearly": 366}


class Status(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted for review")
    REVIEWED = "reviewed", _("reviewed")
    PUBLISHED = "published", _("published")
    WITHDRAWN = "withdrawn", _("withdrawn")


class PersonalDataClass(models.TextChoices):
    NONE = "none", _("no personal data")
    PERSONAL = "personal", _("personal information")
    SENSITIVE = "sensitive", _("sensitive personal information")


class CatalogEntry(BaseModel):
    code = models.CharField(_("resource code"), max_length=20, unique=True, validators=[resource_code_validator])
    classification = models.ForeignKey(Classification, models.PROTECT, related_name="entries",
                                       verbose_name=_("classification"))
    name = models.CharField(_("resource name"), max_length=200)
    department = models.ForeignKey(Department, models.PROTECT, related_name="catalog_entries",
                                   verbose_name=_("provider department"))
    region = models.ForeignKey(Region, models.PROTECT, related_name="catalog_entries", verbose_name=_("region"))
    summary = models.TextField(_("summary"), max_length=2000)
    format = models.CharField(_("format"), max_length=20, choices=ResourceFormat.choices)
    sharing_type = models.CharField(_("sharing type"), max_length=16, choices=SharingType.choices)
    sharing_conditions = models.TextField(_("sharing conditions"), max_length=1000, blank=True)
    sharing_method = models.CharField(_("sharing method"), max_length=12, choices=SharingMethod.choices, blank=True)
    open_type = models.CharField(_("open type"), max_length=16, choices=OpenType.choices)
    open_conditions = models.TextField(_("open conditions"), max_length=1000, blank=True)
    update_cycle = models.CharField(_("update cycle"), max_length=12, choices=UpdateCycle.choices)
    published_on = models.DateField(_("publication date"), null=True, blank=True)
    data_updated_on = models.DateField(_("data last updated"), null=True, blank=True)
    related_codes = models.JSONField(_("related resource codes"), default=list, blank=True)
    source_system = models.CharField(_("source system"), max_length=200, blank=True)
    record_count = models.PositiveBigIntegerField(_("record count"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    status_reason = models.CharField(_("reason"), max_length=500, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="region", department="department")

    class Meta:
        verbose_name = _("catalog entry")
        verbose_name_plural = _("catalog entries")
        ordering = ["code"]
        permissions = [("review_catalogentry", "Can review and publish catalog entries")]
        # (status, facet field) for every facet: the whole catalog's facet counts come from these
        # indexes alone (dgov.catalog.selectors.facet_counts).
        indexes = [models.Index(fields=["status", "department"], name="catalog_entry_status_dept"),
                   models.Index(fields=["sharing_type", "open_type"], name="catalog_entry_types"),
                   models.Index(fields=["status", "classification"], name="catalog_entry_status_class"),
                   models.Index(fields=["status", "region"], name="catalog_entry_status_region"),
                   models.Index(fields=["status", "sharing_type"], name="catalog_entry_status_share"),
                   models.Index(fields=["status", "open_type"], name="catalog_entry_status_open"),
                   models.Index(fields=["status", "format"], name="catalog_entry_status_format"),
                   models.Index(fields=["status", "update_cycle"], name="catalog_entry_status_cycle")]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def catalog_type(self) -> str:
        return self.code[0]


class DataItem(models.Model):
    """One 信息项 of an entry."""

    class DataType(models.TextChoices):
        STRING = "string", _("string")
        INTEGER = "integer", _("integer")
        DECIMAL = "decimal", _("decimal")
        DATE = "date", _("date")
        DATETIME = "datetime", _("date and time")
        BOOLEAN = "boolean", _("boolean")
        BINARY = "binary", _("binary")

    entry = models.ForeignKey(CatalogEntry, models.CASCADE, related_name="items", verbose_name=_("catalog entry"))
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("item name"), max_length=100)
    data_type = models.CharField(_("data type"), max_length=10, choices=DataType.choices)
    length = models.PositiveIntegerField(_("length"), null=True, blank=True)
    data_element = models.CharField(_("data element"), max_length=64, blank=True,
                                    help_text=_("Identifier of the data element (数据元) it follows, if any."))
    personal_data = models.CharField(_("personal data"), max_length=10, choices=PersonalDataClass.choices,
                                     default=PersonalDataClass.NONE)
    # Empty: as the entry. An item may be restricted further than its entry (e.g. 不予共享 for one column).
    sharing_type = models.CharField(_("sharing type"), max_length=16, choices=SharingType.choices, blank=True)
    open_type = models.CharField(_("open type"), max_length=16, choices=OpenType.choices, blank=True)
    description = models.CharField(_("description"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("data item")
        verbose_name_plural = _("data items")
        ordering = ["entry", "position"]
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["entry", "name"], name="uniq_catalog_item_name")]

    def __str__(self):
        return self.name


class EntryVersion(models.Model):
    """The entry as it was after each change: every field and item, who, when, why."""

    entry = models.ForeignKey(CatalogEntry, models.CASCADE, related_name="versions", verbose_name=_("catalog entry"))
    version = models.PositiveIntegerField(_("version"))
    action = models.CharField(_("action"), max_length=20)
    snapshot = models.JSONField(_("content"))
    actor = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("by"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("entry version")
        verbose_name_plural = _("entry versions")
        ordering = ["entry", "-version"]
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["entry", "version"], name="uniq_catalog_entry_version")]


class NegativeListItem(BaseModel):
    """A resource, or one data item of it, that may be neither shared nor opened (数据负面清单).
    With `item_name` empty the whole resource is listed."""

    resource_code = models.CharField(_("resource code"), max_length=20, validators=[resource_code_validator])
    item_name = models.CharField(_("data item"), max_length=100, blank=True)
    legal_basis = models.TextField(_("legal basis"), max_length=1000)
    scope_note = models.CharField(_("scope"), max_length=500, blank=True,
                                  help_text=_("Where the restriction applies (sharing, opening, both)."))

    scope = ScopeSpec(shared=True)

    class Meta:
        verbose_name = _("negative list item")
        verbose_name_plural = _("negative list")
        ordering = ["resource_code", "item_name"]
        constraints = [models.UniqueConstraint(fields=["resource_code", "item_name"], name="uniq_negative_item")]

    def __str__(self):
        return f"{self.resource_code} {self.item_name}".strip()


class SearchTerm(models.Model):
    """The search index: every character bigram (and single character) of an entry's name, summary
    and data items, so that two-character Chinese queries (社保, 婚姻) find entries on SQLite and
    PostgreSQL alike. Maintained by the services on every write."""

    entry = models.ForeignKey(CatalogEntry, models.CASCADE, related_name="+")
    term = models.CharField(max_length=8)

    class Meta:
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["term", "entry"], name="uniq_catalog_search_term")]


# --- alignment with the provincial catalog ------------------------------------------------------------
class ProvincialImport(models.Model):
    """One import of the provincial catalog (省级政务数据资源目录): the file, who, when, what it changed."""

    filename = models.CharField(_("file"), max_length=200)
    imported_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("imported by"))
    imported_at = models.DateTimeField(_("time"), auto_now_add=True)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    withdrawn = models.PositiveIntegerField(_("withdrawn"), default=0)

    class Meta:
        verbose_name = _("provincial catalog import")
        verbose_name_plural = _("provincial catalog imports")
        ordering = ["-imported_at"]
        default_permissions = ()

    def __str__(self):
        return f"{self.filename} {self.imported_at:%Y-%m-%d %H:%M}"


class ProvincialEntry(BaseModel):
    """An entry of the provincial catalog, as the province publishes it: reference data the city's
    entries are mapped to. Re-importing updates entries by code; an entry missing from a newer
    file is marked withdrawn, never deleted (city entries may still point at it)."""

    code = models.CharField(_("provincial resource code"), max_length=40, unique=True)
    name = models.CharField(_("resource name"), max_length=200)
    provider = models.CharField(_("provincial provider department"), max_length=100, blank=True)
    classification_code = models.CharField(_("classification code"), max_length=20, blank=True)
    summary = models.TextField(_("summary"), max_length=2000, blank=True)
    sharing_type = models.CharField(_("sharing type"), max_length=16, choices=SharingType.choices, blank=True)
    update_cycle = models.CharField(_("update cycle"), max_length=12, choices=UpdateCycle.choices, blank=True)
    withdrawn = models.BooleanField(_("withdrawn"), default=False,
                                    help_text=_("Missing from the latest provincial catalog imported."))
    last_import = models.ForeignKey(ProvincialImport, models.SET_NULL, null=True, blank=True, related_name="entries",
                                    verbose_name=_("last import"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(shared=True)

    class Meta:
        verbose_name = _("provincial catalog entry")
        verbose_name_plural = _("provincial catalog")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class MappingMethod(models.TextChoices):
    MANUAL = "manual", _("chosen by hand")
    SUGGESTION = "suggestion", _("accepted suggestion")


class ProvincialMapping(models.Model):
    """The provincial entry a city entry corresponds to (at most one), who mapped it, when and how."""

    entry = models.OneToOneField(CatalogEntry, models.CASCADE, related_name="provincial_mapping",
                                 verbose_name=_("catalog entry"))
    provincial = models.ForeignKey(ProvincialEntry, models.PROTECT, related_name="mappings",
                                   verbose_name=_("provincial catalog entry"))
    method = models.CharField(_("how"), max_length=12, choices=MappingMethod.choices, default=MappingMethod.MANUAL)
    mapped_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                                  verbose_name=_("mapped by"))
    mapped_at = models.DateTimeField(_("mapped at"), auto_now=True)

    class Meta:
        verbose_name = _("provincial mapping")
        verbose_name_plural = _("provincial mappings")
        default_permissions = ()

    def __str__(self):
        return f"{self.entry.code} → {self.provincial.code}"
