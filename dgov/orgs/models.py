"""The administrative region tree (GB/T 2260 + NBS 12-digit codes), the functional areas that
manage some of its townships, and the tree of government departments."""

import unicodedata

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Value
from django.db.models.functions import Concat, Length, Substr
from django.utils.translation import gettext_lazy as _

from dgov.core.models import BaseModel
from dgov.core.permissions import SELF, ScopeSpec
from dgov.core.validators import validate_credit_code


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("province")
    CITY = "city", _("city")
    COUNTY = "county", _("county")
    TOWNSHIP = "township", _("township")
    VILLAGE = "village", _("village")


LEVEL_DEPTH = {RegionLevel.PROVINCE: 0, RegionLevel.CITY: 1, RegionLevel.COUNTY: 2,
               RegionLevel.TOWNSHIP: 3, RegionLevel.VILLAGE: 4}


class TreeNode(BaseModel):
    """A node of a tree keyed by `code`, with a materialised `path` ("code/code/…/") maintained on
    save, moved subtrees included, so that a subtree is one indexed `path__startswith` query."""

    class Meta:
        abstract = True

    def compute_path(self) -> str:
        return (self.parent.path if self.parent_id else "") + self.code + "/"

    def clean(self):
        super().clean()
        if self.parent_id and self.pk:
            if self.parent.path.startswith(type(self)._default_manager.get(pk=self.pk).path):
                raise ValidationError({"parent": _("A unit cannot be placed under itself or its own subunit.")})

    def save(self, *args, **kwargs):
        old_path = None
        if self.pk:
            old_path = type(self)._default_manager.filter(pk=self.pk).values_list("path", flat=True).first()
        self.path = self.compute_path()
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            # Rewrite the prefix of every descendant in one statement.
            type(self)._default_manager.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                path=Concat(Value(self.path), Substr("path", Length(Value(old_path)) + 1)))

    def ancestors(self):
        """From the root down to the parent, in one query."""
        parts = self.path.rstrip("/").split("/")[:-1]
        return type(self)._default_manager.filter(code__in=parts).order_by("path")


def path_index(name: str, field: str = "path") -> models.Index:
    # varchar_pattern_ops lets PostgreSQL use the index for LIKE 'prefix%' under any collation;
    # other databases ignore the operator class.
    return models.Index(fields=[field], name=name, opclasses=["varchar_pattern_ops"])


class Region(TreeNode):
    """One administrative division. `path` is the chain of codes from the root, each followed by
    "/", so "this region and everything below" is `path__startswith=region.path`."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=RegionLevel.choices, db_index=True)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("parent"))
    path = models.CharField(max_length=80, unique=True, editable=False)

    scope = ScopeSpec(region=SELF)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        indexes = [path_index("orgs_region_path_like"),
                   models.Index(fields=["level", "path"], name="orgs_region_level_path")]

    def __str__(self):
        return self.name

    @property
    def code6(self) -> str:
        """The 6-digit GB/T 2260 code for province, city and county levels."""
        return self.code[:6]


class ManagementArea(BaseModel):
    """A functional area (风景名胜区, 高新区, 新区) run by a management committee. It is not an
    administrative division: which townships it administers is editable data."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(Region, models.PROTECT, related_name="management_areas",
                               verbose_name=_("region"))
    townships = models.ManyToManyField(Region, blank=True, related_name="managed_by",
                                       verbose_name=_("administered townships"),
                                       limit_choices_to={"level": RegionLevel.TOWNSHIP})
    note = models.CharField(_("note"), max_length=200, blank=True)

    scope = ScopeSpec(region="region")

    class Meta:
        verbose_name = _("management area")
        verbose_name_plural = _("management areas")
        ordering = ["code"]

    def __str__(self):
        return self.name


def normalise_credit_code(value: str) -> str:
    """Full-width characters as ASCII, no surrounding spaces, capitals (as the code is printed)."""
    return unicodedata.normalize("NFKC", value or "").strip().upper()


class DepartmentKind(models.TextChoices):
    GOVERNMENT = "government", _("people's government")
    MANAGEMENT_COMMITTEE = "management_committee", _("management committee")
    DEPARTMENT = "department", _("government department")
    INSTITUTION = "institution", _("public institution")
    TOWNSHIP = "township", _("township or street office")


class Department(TreeNode):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    doc_prefix = models.CharField(_("document-number prefix"), max_length=20, blank=True,
                                  help_text=_("The organ abbreviation in document numbers, e.g. 鹰府发."))
    kind = models.CharField(_("kind"), max_length=24, choices=DepartmentKind.choices)
    region = models.ForeignKey(Region, models.PROTECT, related_name="departments", verbose_name=_("region"))
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("parent unit"))
    path = models.CharField(max_length=255, unique=True, editable=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, validators=[validate_credit_code],
        help_text=_("The organ's 18-character code (GB 32100). Electronic licences use it in their type codes "
                    "and identifiers."))

    scope = ScopeSpec(region="region", department=SELF)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["path"]
        indexes = [path_index("orgs_department_path_like")]
        constraints = [models.UniqueConstraint(
            fields=["credit_code"], condition=~models.Q(credit_code=""), name="uniq_department_credit_code",
            violation_error_message=_("Another department has this unified social credit code."))]

    def __str__(self):
        return self.name
