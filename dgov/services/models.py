"""Government service items (政务服务事项, issue 8; docs/services.md).

- `ServiceItem`: the base catalog (基本目录): what the item is, whatever body carries it out: its
  12-character base code, name, type (许可/给付/确认/征收/奖励/裁决/检查/其他行政权力/公共服务 …),
  legal basis and the level that defines it.
- `Implementation`: one implementation list entry (实施清单): the item as one implementing department
  in one region carries it out: implementation code, service object, instant or promised case,
  statutory and promised time limits (working or natural days), visits to the site, online depth,
  fees with their basis, acceptance conditions, process steps, result and its licence type, place,
  hours, enquiry and complaint channels, the online application form (a definition as data,
  `dgov.services.formdef`) and the department that supervises what is approved (审管联动).
- `Material`: a material the applicant provides, with its required flag, form, source channel and,
  where one exists, the e-licence type that can replace it (免证办).
- `ImplementationVersion`: the implementation (with its materials and form) as it was after each change.
- `Theme`: themes for people and enterprises (life events, enterprise stages) that group implementations.

Scope: the base catalog and themes are platform-wide reference data (`shared`); implementations and
their materials go by the implementing department. What is published is public (the guides).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from dgov.core.models import BaseModel
from dgov.core.permissions import ScopeSpec


class ItemType(models.TextChoices):
    """The types of the national base catalog, with their two-digit type codes."""

    LICENSING = "01", _("administrative licensing")           # 行政许可
    PENALTY = "02", _("administrative penalty")               # 行政处罚
    ENFORCEMENT = "03", _("administrative enforcement")       # 行政强制
    LEVY = "04", _("administrative levy")                     # 行政征收
    BENEFIT = "05", _("administrative payment")               # 行政给付
    INSPECTION = "06", _("administrative inspection")         # 行政检查
    CONFIRMATION = "07", _("administrative confirmation")     # 行政确认
    REWARD = "08", _("administrative reward")                 # 行政奖励
    ADJUDICATION = "09", _("administrative adjudication")     # 行政裁决
    OTHER_POWER = "10", _("other administrative power")       # 其他行政权力
    PUBLIC_SERVICE = "20", _("public service")                # 公共服务


class Level(models.TextChoices):
    NATIONAL = "national", _("national")
    PROVINCIAL = "provincial", _("provincial")
    MUNICIPAL = "municipal", _("municipal")
    COUNTY = "county", _("county")


class ServiceObject(models.TextChoices):
    PERSON = "person", _("natural persons")
    ENTERPRISE = "enterprise", _("legal persons")
    BOTH = "both", _("natural and legal persons")


class CaseKind(models.TextChoices):
    INSTANT = "instant", _("instant case")      # 即办件
    PROMISED = "promised", _("promised case")   # 承诺件


class DayUnit(models.TextChoices):
    WORKING = "working", _("working days")
    NATURAL = "natural", _("natural days")


class OnlineDepth(models.IntegerChoices):
    """全程网办 depth levels of the national platform."""

    SHOWN = 1, _("guide online only")                          # 一级：办事指南网上展示
    DOWNLOAD = 2, _("forms downloadable")                      # 二级：表格下载
    PRE_REVIEW = 3, _("applied and pre-reviewed online")       # 三级：在线预审
    FULL = 4, _("handled entirely online")                     # 四级：全程网办


class ResultType(models.TextChoices):
    LICENCE = "licence", _("licence or certificate")   # 证照
    APPROVAL = "approval", _("approval document")      # 批文
    OTHER = "other", _("other result")                 # 其他
    NONE = "none", _("no result document")             # 无


class PublishStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    RETIRED = "retired", _("retired")


class MaterialForm(models.TextChoices):
    ELECTRONIC = "electronic", _("electronic")
    PAPER_ORIGINAL = "original", _("paper original")
    PAPER_COPY = "copy", _("paper copy")
    ORIGINAL_AND_COPY = "both", _("original and copy")


class MaterialSource(models.TextChoices):
    APPLICANT = "applicant", _("prepared by the applicant")     # 申请人自备
    GOVERNMENT = "government", _("issued by a government body")  # 政府部门核发
    INTERMEDIARY = "intermediary", _("issued by an intermediary")  # 中介机构或法定机构产生
    OTHER = "other", _("other")


class ServiceItem(BaseModel):
    base_code = models.CharField(_("base code"), max_length=12, unique=True,
                                 help_text=_("The 12-character code of the base catalog (基本编码)."))
    name = models.CharField(_("name"), max_length=200)
    item_type = models.CharField(_("item type"), max_length=2, choices=ItemType.choices)
    legal_basis = models.TextField(_("legal basis"), max_length=4000)
    level = models.CharField(_("defined at"), max_length=12, choices=Level.choices, default=Level.NATIONAL)
    description = models.TextField(_("plain-language summary"), max_length=2000, blank=True)
    #: other names people search the item by (社保, 医保, 公积金 …), separated by spaces or 、
    keywords = models.CharField(_("also known as"), max_length=200, blank=True,
                                help_text=_("Other names people search the item by, separated by spaces."))
    status = models.CharField(_("status"), max_length=12, choices=PublishStatus.choices,
                              default=PublishStatus.PUBLISHED)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(shared=True)

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service items (base catalog)")
        ordering = ["base_code"]

    def __str__(self):
        return f"{self.base_code} {self.name}"


class Theme(BaseModel):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    audience = models.CharField(_("for"), max_length=12, choices=ServiceObject.choices)
    description = models.CharField(_("description"), max_length=500, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    scope = ScopeSpec(shared=True)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["audience", "order", "code"]

    def __str__(self):
        return self.name


class Implementation(BaseModel):
    item = models.ForeignKey(ServiceItem, models.PROTECT, related_name="implementations",
                             verbose_name=_("service item"))
    code = models.CharField(_("implementation code"), max_length=40, unique=True,
                            help_text=_("The implementing body's credit code, the level digit (行使层级) and the "
                                        "base code, optionally followed by a business-handling item code (实施编码)."))
    name = models.CharField(_("name"), max_length=200,
                            help_text=_("The item's name as this body carries it out (usually the item's name)."))
    department = models.ForeignKey("orgs.Department", models.PROTECT, related_name="service_implementations",
                                   verbose_name=_("implementing department"))
    region = models.ForeignKey("orgs.Region", models.PROTECT, related_name="service_implementations",
                               verbose_name=_("region"))
    service_object = models.CharField(_("service object"), max_length=12, choices=ServiceObject.choices)
    case_kind = models.CharField(_("case kind"), max_length=10, choices=CaseKind.choices)
    statutory_limit = models.PositiveIntegerField(_("statutory time limit"), default=0)
    statutory_unit = models.CharField(_("statutory limit in"), max_length=8, choices=DayUnit.choices,
                                      default=DayUnit.WORKING)
    promised_limit = models.PositiveIntegerField(_("promised time limit"), default=0)
    promised_unit = models.CharField(_("promised limit in"), max_length=8, choices=DayUnit.choices,
                                     default=DayUnit.WORKING)
    visits = models.PositiveSmallIntegerField(_("visits to the site"), default=0)
    online_depth = models.PositiveSmallIntegerField(_("online depth"), choices=OnlineDepth.choices,
                                                    default=OnlineDepth.FULL)
    #: [{"name": "…", "amount": "12.00", "basis": "…"}]; empty: free of charge
    fees = models.JSONField(_("fees"), default=list, blank=True)
    acceptance_conditions = models.TextField(_("acceptance conditions"), max_length=4000, blank=True)
    #: [{"name": "受理", "description": "…", "limit": 1}], the review steps after acceptance in order
    process_steps = models.JSONField(_("process steps"), default=list, blank=True)
    result_type = models.CharField(_("result type"), max_length=10, choices=ResultType.choices,
                                   default=ResultType.NONE)
    result_name = models.CharField(_("result name"), max_length=200, blank=True)
    result_license_type = models.ForeignKey("licenses.LicenseType", models.PROTECT, null=True, blank=True,
                                            related_name="+", verbose_name=_("result licence type"))
    place = models.CharField(_("place"), max_length=300, blank=True)
    hours = models.CharField(_("office hours"), max_length=300, blank=True)
    enquiry_phone = models.CharField(_("enquiry channel"), max_length=100, blank=True)
    complaint_phone = models.CharField(_("complaint channel"), max_length=100, blank=True)
    online_apply = models.BooleanField(_("can be applied for online"), default=False)
    #: the online application form as data (see dgov.services.formdef)
    form = models.JSONField(_("application form"), default=dict, blank=True)
    supervising_department = models.ForeignKey("orgs.Department", models.PROTECT, null=True, blank=True,
                                               related_name="supervised_implementations",
                                               verbose_name=_("supervising department"))
    themes = models.ManyToManyField(Theme, blank=True, related_name="implementations", verbose_name=_("themes"))
    status = models.CharField(_("status"), max_length=12, choices=PublishStatus.choices,
                              default=PublishStatus.DRAFT)
    version = models.PositiveIntegerField(_("version"), default=1)
    #: the item's, the implementation's and its department's names and the materials, for the guide search
    search_text = models.TextField(_("search text"), blank=True, editable=False)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="region", department="department")

    class Meta:
        verbose_name = _("implementation")
        verbose_name_plural = _("implementation lists")
        ordering = ["code"]
        permissions = [("publish_implementation", gettext_noop("Can publish and retire implementation lists"))]
        indexes = [models.Index(fields=["status", "department"], name="services_impl_status_dept")]

    def __str__(self):
        return f"{self.code} {self.name}"


class Material(models.Model):
    implementation = models.ForeignKey(Implementation, models.CASCADE, related_name="materials",
                                       verbose_name=_("implementation"))
    order = models.PositiveIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=200)
    required = models.BooleanField(_("required"), default=True)
    form = models.CharField(_("form"), max_length=12, choices=MaterialForm.choices, default=MaterialForm.ELECTRONIC)
    copies = models.PositiveSmallIntegerField(_("copies"), default=1)
    source = models.CharField(_("source channel"), max_length=14, choices=MaterialSource.choices,
                              default=MaterialSource.APPLICANT)
    license_type = models.ForeignKey("licenses.LicenseType", models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("replaceable by the e-licence"))
    notes = models.CharField(_("notes"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["implementation", "order", "pk"]
        default_permissions = ()

    def __str__(self):
        return self.name


class ImplementationVersion(models.Model):
    """The implementation (its fields, materials and form) as it was after each change."""

    implementation = models.ForeignKey(Implementation, models.CASCADE, related_name="versions",
                                       verbose_name=_("implementation"))
    version = models.PositiveIntegerField(_("version"))
    action = models.CharField(_("action"), max_length=20)
    snapshot = models.JSONField(_("content"))
    actor = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("by"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("implementation version")
        verbose_name_plural = _("implementation versions")
        ordering = ["implementation", "-version"]
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["implementation", "version"],
                                               name="uniq_services_impl_version")]
