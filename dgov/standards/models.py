"""Data standards (数据标准, issue 6 point 2 and 3): code sets (代码集) with their values, the data-element
registry (数据元) with its review cycle, and data models (数据模型: logical entities, attributes and
relations; the physical tables they become), each model versioned.

- A `CodeSet` is a national or local code list (GB/T 2261.1 sex codes, GB/T 2260 region codes, GB/T 4754
  industry codes, …), loaded from a data file that names its source, or defined by the city.
- A `DataElement` (数据元) says what a value means and how it is written: identifier, Chinese name,
  definition, type, length, format, value domain (a code set or a pattern), unit. Its life cycle is
  draft → reviewed → released (→ retired); a released element changes only by a new version.
  Catalog data items name their element by identifier (`catalog.DataItem.data_element`); harvested
  columns are mapped to elements (`metadata.MetaColumn.element`), and the quality engine checks a column
  against its element (type, length, format, code set).
- A `DataModel` has numbered `ModelVersion`s holding the model's definition as JSON (entities with their
  attributes linked to data elements, relations, each entity's physical table); versions are compared
  with a diff, and a physical table is checked against its entity.

Code sets and data elements are city-wide reference data (shared scope); data models belong to a
department.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dgov.core.models import BaseModel
from dgov.core.permissions import ScopeSpec


class CodeSet(BaseModel):
    code = models.CharField(_("code"), max_length=40, unique=True,
                            help_text=_("The standard's number for a national code set, e.g. GB/T 2261.1-2003."))
    name = models.CharField(_("name"), max_length=100)
    standard = models.CharField(_("standard"), max_length=100, blank=True)
    version = models.CharField(_("version"), max_length=40, blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True,
                              help_text=_("Where the values come from (the standard, the edition, the file)."))
    description = models.TextField(_("description"), max_length=2000, blank=True)
    is_builtin = models.BooleanField(_("reference data"), default=False,
                                     help_text=_("Loaded from the platform's data files; not edited here."))

    scope = ScopeSpec(shared=True)

    class Meta:
        verbose_name = _("code set")
        verbose_name_plural = _("code sets")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class CodeValue(models.Model):
    code_set = models.ForeignKey(CodeSet, models.CASCADE, related_name="values", verbose_name=_("code set"))
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    parent_code = models.CharField(_("parent code"), max_length=40, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("code value")
        verbose_name_plural = _("code values")
        ordering = ["code_set", "position", "code"]
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["code_set", "code"], name="uniq_standards_code_value")]

    def __str__(self):
        return f"{self.code} {self.name}"


class ElementType(models.TextChoices):
    """The same names as catalog data items and data-store columns use."""

    STRING = "string", _("string")
    INTEGER = "integer", _("integer")
    DECIMAL = "decimal", _("decimal")
    DATE = "date", _("date")
    DATETIME = "datetime", _("date and time")
    BOOLEAN = "boolean", _("boolean")
    BINARY = "binary", _("binary")


# The column or data-item types an element of each type accepts (a decimal element takes integers, a boolean one
# the 0/1 integers some databases store).
TYPE_FAMILIES = {"string": {"string"}, "integer": {"integer"}, "decimal": {"decimal", "integer"},
                 "date": {"date"}, "datetime": {"datetime"}, "boolean": {"boolean", "integer"},
                 "binary": {"binary"}}


class ElementStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("standard", "draft")  # 草稿
    REVIEWED = "reviewed", pgettext_lazy("standard", "reviewed")  # 已审核
    RELEASED = "released", pgettext_lazy("standard", "released")  # 已发布
    RETIRED = "retired", pgettext_lazy("standard", "retired")  # 已废止


class DataElement(BaseModel):
    identifier = models.CharField(_("identifier"), max_length=64,
                                  help_text=_("The element's identifier, e.g. DE00001; catalog data items name it."))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    name = models.CharField(_("Chinese name"), max_length=100)
    english_name = models.CharField(_("English name"), max_length=100, blank=True)
    definition = models.TextField(_("definition"), max_length=2000)
    data_type = models.CharField(_("data type"), max_length=10, choices=ElementType.choices)
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    format = models.CharField(_("format"), max_length=100, blank=True,
                              help_text=_("The written format, e.g. c18 or YYYYMMDD (GB/T 18391 notation)."))
    pattern = models.CharField(_("pattern"), max_length=300, blank=True,
                               help_text=_("A regular expression every value must match, e.g. ^[0-9]{17}[0-9X]$."))
    code_set = models.ForeignKey(CodeSet, models.PROTECT, null=True, blank=True, related_name="elements",
                                 verbose_name=_("code set"))
    value_domain = models.CharField(_("value domain"), max_length=500, blank=True,
                                    help_text=_("The allowed values in words, when no code set or pattern says it."))
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    #: one of the validators the quality engine knows ("id_number", "credit_code") or empty
    check_digit = models.CharField(_("check-digit rule"), max_length=20, blank=True)
    personal = models.BooleanField(_("personal data"), default=False,
                                   help_text=_("Values are personal data: samples of failing rows are masked."))
    status = models.CharField(_("status"), max_length=10, choices=ElementStatus.choices, default=ElementStatus.DRAFT)
    department = models.ForeignKey("orgs.Department", models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("responsible department"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("drafted by"))
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    is_builtin = models.BooleanField(_("reference data"), default=False)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(shared=True)

    class Meta:
        verbose_name = _("data element")
        verbose_name_plural = _("data elements")
        ordering = ["identifier", "-version"]
        permissions = [("review_dataelement", "Can review and release data elements")]
        constraints = [models.UniqueConstraint(fields=["identifier", "version"], name="uniq_standards_element_version")]

    def __str__(self):
        return f"{self.identifier} {self.name}"


class ElementEvent(models.Model):
    element = models.ForeignKey(DataElement, models.CASCADE, related_name="events", verbose_name=_("data element"))
    action = models.CharField(_("action"), max_length=20)
    to_status = models.CharField(_("status"), max_length=10, choices=ElementStatus.choices)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("by"))
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("data element event")
        verbose_name_plural = _("data element events")
        ordering = ["created_at", "pk"]
        default_permissions = ()


class DataModel(BaseModel):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    department = models.ForeignKey("orgs.Department", models.PROTECT, related_name="data_models",
                                   verbose_name=_("department"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="department__region", department="department")

    class Meta:
        verbose_name = _("data model")
        verbose_name_plural = _("data models")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class ModelVersion(models.Model):
    """One version of a data model. `definition` is

        {"entities": [{"name": "person", "label": "人员", "table": "ds_people",
                       "attributes": [{"name": "id_number", "label": "身份证号", "element": "DE00001",
                                       "type": "string", "length": 18, "nullable": false, "key": true}]}],
         "relations": [{"from": "household.head_id", "to": "person.id", "kind": "many_to_one"}]}

    - entity: `name` (letters, digits, "_"; unique), `label`, `table` (the physical table, optionally
      `schema.table`; the check compares harvested tables of that name), `description`, `attributes` (at
      least one);
    - attribute: `name` (unique in its entity, case-insensitively), `label`, `element` (a data-element
      identifier: type, length and label default to its released version's), `type` (an `ElementType`),
      `length` (positive or null), `nullable` (default: not for a key), `key`, `description`;
    - relation: `from` and `to` as "entity.attribute", `kind` one of one_to_one, one_to_many,
      many_to_one (default), many_to_many, `label`.

    `services.validate_definition` checks it strictly (unknown keys too) and stores the normal form.
    A draft version is edited in place; a released one never changes (a new version is made from it)."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("standard", "draft")
        RELEASED = "released", pgettext_lazy("standard", "released")

    model = models.ForeignKey(DataModel, models.CASCADE, related_name="versions", verbose_name=_("data model"))
    number = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    definition = models.JSONField(_("definition"), default=dict)
    note = models.CharField(_("change note"), max_length=1000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("data model version")
        verbose_name_plural = _("data model versions")
        ordering = ["model", "-number"]
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["model", "number"], name="uniq_standards_model_version")]

    def __str__(self):
        return f"{self.model.code} v{self.number}"
