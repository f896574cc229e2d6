"""Open data (数据开放, issue 7): catalog entries opened to the public by grade and class (分级分类).

- `Topic`: the portal's themes (民生服务 first, 信用服务, 产业发展, 营商环境, 公共卫生, …), each mapped to the
  EU data-theme vocabulary for DCAT-AP (`dcat:theme`).
- `OpenDataset`: a published catalog entry whose open type (开放属性) is 无条件开放 or 有条件开放, with its
  review (draft → submitted → published, withdrawn or returned), its CKAN identity (a
  stable `uuid` and a `name` slug) and the result of the personal-data scan that must pass before publication.
  Its rows are the entry's data-store dataset (`aggregation.Dataset`), read through `aggregation.datastore`;
  the columns opened are derived on every read from the entry as it is now (items whose open type is not
  不予开放 and that are not on the negative list), so a change in the catalog applies at once.
- `OpenDatasetEvent`: the history of a dataset's review.
- `DeveloperKey` and `KeyUsage`: API keys of registered users (citizens, enterprises), with a daily quota, and
  their calls per day.
- `AccessApplication`: an application for a 有条件开放 dataset (purpose, the data-use agreement accepted),
  decided by the provider department, granting access until `valid_until`.
- `AccessLog`: every download and API call of a dataset (anonymous ones too), with the key, user and
  application it went under.
- `DataRequest`: a public request for data (数据需求) and the department's answer.
- `Showcase`: an application built on the data (应用成果), shown once reviewed.
- `DatasetRating`: a user's rating (1–5) and comment on a dataset.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from dgov.core.models import BaseModel
from dgov.core.permissions import ScopeSpec

#: CKAN's rule for a package name: 2–100 characters, lower-case ASCII letters, digits, - and _
CKAN_NAME_RE = r"^[a-z0-9_-]{2,100}$"


class Topic(BaseModel):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=40)
    description = models.CharField(_("description"), max_length=500, blank=True)
    #: the EU data-theme concept (http://publications.europa.eu/resource/authority/data-theme/…) for DCAT-AP
    eu_theme = models.CharField(_("EU data theme"), max_length=4, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_builtin = models.BooleanField(_("reference data"), default=False)

    scope = ScopeSpec(shared=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["position", "code"]

    def __str__(self):
        return self.name


class DatasetStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted for review")
    PUBLISHED = "published", _("published")
    WITHDRAWN = "withdrawn", _("withdrawn")


class License(models.TextChoices):
    """Terms of use. Chinese portals publish their own terms; the Creative Commons licences are what
    DCAT-AP consumers recognise."""

    CC_BY = "CC-BY-4.0", _("Creative Commons Attribution 4.0")
    CC0 = "CC0-1.0", _("Creative Commons Zero 1.0 (public domain)")
    PORTAL = "portal-terms", _("the portal's terms of use")


class OpenDataset(BaseModel):
    entry = models.OneToOneField("catalog.CatalogEntry", models.PROTECT, related_name="open_dataset",
                                 verbose_name=_("catalog entry"))
    #: CKAN's package id: stable for the dataset's life
    uuid = models.UUIDField(_("identifier"), default=uuid.uuid4, unique=True, editable=False)
    #: CKAN's package name, from the resource code (`yt-101001001-000001`)
    name = models.CharField(_("name"), max_length=100, unique=True, validators=[RegexValidator(CKAN_NAME_RE)])
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=4000)
    topics = models.ManyToManyField(Topic, related_name="datasets", blank=True, verbose_name=_("topics"))
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    license = models.CharField(_("terms of use"), max_length=20, choices=License.choices, default=License.CC_BY)
    status = models.CharField(_("status"), max_length=10, choices=DatasetStatus.choices, default=DatasetStatus.DRAFT)
    #: the last personal-data scan: {"ok", "at", "rows", "findings": [{"column", "kind", "count"}]}
    scan = models.JSONField(_("personal-data scan"), default=dict, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("submitted by"))
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("reviewed by"))
    published_at = models.DateTimeField(_("first published"), null=True, blank=True)
    #: when the published metadata or data last changed (dct:modified)
    modified_at = models.DateTimeField(_("last modified"), null=True, blank=True, db_index=True)
    view_count = models.PositiveBigIntegerField(_("views"), default=0)
    download_count = models.PositiveBigIntegerField(_("downloads"), default=0)
    api_call_count = models.PositiveBigIntegerField(_("API calls"), default=0)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="entry__region", department="entry__department")

    class Meta:
        verbose_name = _("open dataset")
        verbose_name_plural = _("open datasets")
        ordering = ["-modified_at", "-pk"]
        indexes = [models.Index(fields=["status", "modified_at"], name="opendata_status_modified")]
        permissions = [("review_opendataset", "Can review and publish open datasets")]

    def __str__(self):
        return self.title

    @property
    def is_conditional(self) -> bool:
        return self.entry.open_type == "conditional"


class OpenDatasetEvent(models.Model):
    class Action(models.TextChoices):
        PREPARE = "prepare", _("prepared")
        SUBMIT = "submit", _("submitted for review")
        PUBLISH = "publish", _("published")
        RETURN = "return", _("returned to the department")
        WITHDRAW = "withdraw", _("withdrawn")

    dataset = models.ForeignKey(OpenDataset, models.CASCADE, related_name="events", verbose_name=_("open dataset"))
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("by"))
    note = models.CharField(_("note"), max_length=1000, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("open dataset event")
        verbose_name_plural = _("open dataset events")
        ordering = ["at", "pk"]


class DeveloperKey(BaseModel):
    """An API key: `prefix` (shown, and the lookup) and the SM3 digest of the whole key; the key itself is shown
    once, when created."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="developer_keys",
                             verbose_name=_("developer"))
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("key prefix"), max_length=12, unique=True)
    digest = models.CharField(_("digest"), max_length=64)
    daily_quota = models.PositiveIntegerField(_("calls per day"))
    is_active = models.BooleanField(_("active"), default=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    scope = ScopeSpec(owner="user_id")

    class Meta:
        verbose_name = _("developer key")
        verbose_name_plural = _("developer keys")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class KeyUsage(models.Model):
    key = models.ForeignKey(DeveloperKey, models.CASCADE, related_name="usage", verbose_name=_("developer key"))
    day = models.DateField(_("day"))
    calls = models.PositiveIntegerField(_("calls"), default=0)
    refused = models.PositiveIntegerField(_("refused (over quota)"), default=0)

    class Meta:
        verbose_name = _("key usage")
        verbose_name_plural = _("key usage")
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["key", "day"], name="uniq_opendata_key_day")]


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")
    REVOKED = "revoked", _("revoked")


class AccessApplication(BaseModel):
    """有条件开放: who asks, for what purpose, under which agreement; the provider department decides."""

    dataset = models.ForeignKey(OpenDataset, models.PROTECT, related_name="applications",
                                verbose_name=_("open dataset"))
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="open_data_applications",
                                  verbose_name=_("applicant"))
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    purpose = models.TextField(_("purpose"), max_length=2000)
    scenario = models.CharField(_("use scenario"), max_length=500)
    #: the SM3 digest of the agreement text accepted, and when
    agreement_digest = models.CharField(_("agreement accepted"), max_length=64)
    agreed_at = models.DateTimeField(_("agreement accepted at"))
    requested_days = models.PositiveSmallIntegerField(_("access asked for (days)"),
                                                      validators=[MinValueValidator(1), MaxValueValidator(366)])
    status = models.CharField(_("status"), max_length=10, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.SUBMITTED)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=1000, blank=True)
    valid_until = models.DateTimeField(_("access until"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="dataset__entry__region", department="dataset__entry__department",
                      owner="applicant_id")

    class Meta:
        verbose_name = _("open data application")
        verbose_name_plural = _("open data applications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["applicant", "dataset", "status"], name="opendata_app_applicant")]
        permissions = [("decide_accessapplication", "Can decide open data applications")]

    def __str__(self):
        return f"{self.dataset} — {self.applicant}"


class AccessKind(models.TextChoices):
    DOWNLOAD = "download", _("download")
    API = "api", _("API call")


class AccessLog(models.Model):
    dataset = models.ForeignKey(OpenDataset, models.CASCADE, related_name="access_log",
                                verbose_name=_("open dataset"))
    kind = models.CharField(_("kind"), max_length=10, choices=AccessKind.choices)
    format = models.CharField(_("format"), max_length=10, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("user"))
    key = models.ForeignKey(DeveloperKey, models.SET_NULL, null=True, blank=True, related_name="+",
                            verbose_name=_("developer key"))
    application = models.ForeignKey(AccessApplication, models.SET_NULL, null=True, blank=True,
                                    related_name="accesses", verbose_name=_("under the application"))
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("open data access")
        verbose_name_plural = _("open data accesses")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["dataset", "at"], name="opendata_access_dataset_at")]


class RequestStatus(models.TextChoices):
    OPEN = "open", _("awaiting an answer")
    ANSWERED = "answered", _("answered")
    PLANNED = "planned", _("to be opened")
    DECLINED = "declined", _("cannot be opened")


class DataRequest(BaseModel):
    """数据需求: what the public asks to be opened, addressed to a department (or to the centre to route)."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=2000)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("requested by"))
    department = models.ForeignKey("orgs.Department", models.PROTECT, related_name="+",
                                   verbose_name=_("department asked"))
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    answer = models.TextField(_("answer"), max_length=2000, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("answered by"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    dataset = models.ForeignKey(OpenDataset, models.SET_NULL, null=True, blank=True, related_name="requests",
                                verbose_name=_("dataset opened in answer"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="department__region", department="department", owner="requester_id")

    class Meta:
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")
        ordering = ["-created_at", "-pk"]


class Showcase(BaseModel):
    """应用成果: an application built on open data, shown on the portal once the centre accepts it."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=2000)
    url = models.URLField(_("address"), max_length=500, blank=True)
    datasets = models.ManyToManyField(OpenDataset, related_name="showcases", verbose_name=_("datasets used"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("submitted by"))
    is_published = models.BooleanField(_("shown on the portal"), default=False)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(owner="submitted_by_id")

    class Meta:
        verbose_name = _("showcase")
        verbose_name_plural = _("showcases")
        ordering = ["-created_at", "-pk"]


class DatasetRating(BaseModel):
    dataset = models.ForeignKey(OpenDataset, models.CASCADE, related_name="ratings", verbose_name=_("open dataset"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("by"))
    score = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), max_length=1000, blank=True)
    is_hidden = models.BooleanField(_("hidden by a moderator"), default=False)

    scope = ScopeSpec(owner="user_id")

    class Meta:
        verbose_name = _("dataset rating")
        verbose_name_plural = _("dataset ratings")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["dataset", "user"], name="uniq_opendata_rating")]

