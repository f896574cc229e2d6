"""Data quality (数据质量, issue 6 points 4 and 5): rules on harvested tables, runs that check them inside the
database the table lives in (`engine.py` compiles a table's rules into as few SQL statements as the
dialect allows), per-rule results with a masked sample of failing rows, scores, and remediation tasks
(整改任务) that a failed rule opens for the owning department and a passing re-check closes.

Scope: the table's owning department (`metadata.MetaTable.department`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dgov.core.models import BaseModel
from dgov.core.permissions import RestrictedQuerySet, ScopeSpec


class RuleKind(models.TextChoices):
    """What a rule checks; `params` per kind are described in `engine.py` and validated by `rules.py`."""

    COMPLETENESS = "completeness", _("completeness")  # 完整性: NULL (and optionally empty) values
    UNIQUENESS = "uniqueness", _("uniqueness")  # 唯一性: one column or a compound key
    REGEX = "regex", _("format (regular expression)")  # 规范性
    RANGE = "range", _("value range")
    LENGTH = "length", _("length")
    CODE_SET = "code_set", _("code set")
    ID_NUMBER = "id_number", _("identity number check digit")  # GB 11643
    CREDIT_CODE = "credit_code", _("credit code check digit")  # GB 32100
    REFERENCE = "reference", _("referential integrity")  # 关联性
    CONSISTENCY = "consistency", _("consistency between columns")  # 一致性
    FRESHNESS = "freshness", _("timeliness")  # 及时性
    CUSTOM_SQL = "custom_sql", _("custom SQL")
    CONFORMANCE = "conformance", _("conformance to the data element")  # 数据元符合性


class Schedule(models.TextChoices):
    MANUAL = "manual", _("on demand only")
    DAILY = "daily", _("daily")
    WEEKLY = "weekly", _("weekly")
    MONTHLY = "monthly", _("monthly")


class QualityRule(BaseModel):
    table = models.ForeignKey("metadata.MetaTable", models.CASCADE, related_name="quality_rules",
                              verbose_name=_("table"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("rule type"), max_length=14, choices=RuleKind.choices)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    #: the share of failing rows (percent) still accepted as passing
    threshold_pct = models.DecimalField(_("tolerated failures (%)"), max_digits=6, decimal_places=3, default=0)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    remediate = models.BooleanField(_("open remediation tasks"), default=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="table__department__region", department="table__department")

    class Meta:
        verbose_name = _("quality rule")
        verbose_name_plural = _("quality rules")
        ordering = ["table", "pk"]
        permissions = [("run_qualityrule", "Can run quality checks")]
        constraints = [models.UniqueConstraint(fields=["table", "name"], name="uniq_quality_rule_name")]

    def __str__(self):
        return self.name


class QualityPlan(models.Model):
    """When a table's rules run by themselves (`quality_tick`)."""

    table = models.OneToOneField("metadata.MetaTable", models.CASCADE, related_name="quality_plan",
                                 verbose_name=_("table"))
    schedule = models.CharField(_("schedule"), max_length=8, choices=Schedule.choices, default=Schedule.MANUAL)
    next_run_on = models.DateField(_("next run"), null=True, blank=True)

    class Meta:
        verbose_name = _("quality schedule")
        verbose_name_plural = _("quality schedules")
        default_permissions = ()


class QualityRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", pgettext_lazy("quality", "running")
        SUCCEEDED = "succeeded", pgettext_lazy("quality", "finished")
        FAILED = "failed", pgettext_lazy("quality", "failed")

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("on demand")
        SCHEDULED = "scheduled", _("scheduled")
        RECHECK = "recheck", _("re-check")

    table = models.ForeignKey("metadata.MetaTable", models.CASCADE, related_name="quality_runs",
                              verbose_name=_("table"))
    department = models.ForeignKey("orgs.Department", models.PROTECT, related_name="+",
                                   verbose_name=_("department"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("started by"))
    started_at = models.DateTimeField(_("started"), db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    dialect = models.CharField(_("database"), max_length=20, blank=True)
    rows = models.BigIntegerField(_("rows"), null=True, blank=True)
    #: how many SQL statements the run sent (the table's rules compiled together)
    statements = models.PositiveSmallIntegerField(_("SQL statements"), default=0)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True, blank=True)
    error = models.CharField(_("error"), max_length=1000, blank=True)
    #: the SQL the engine sent for the counts (`engine.statements`), shown on the run's page
    sql = models.TextField(_("SQL sent"), blank=True)

    scope = ScopeSpec(region="department__region", department="department")
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("quality run")
        verbose_name_plural = _("quality runs")
        ordering = ["-started_at", "-pk"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["table", "-started_at"], name="quality_run_table")]

    def __str__(self):
        return f"{self.table} {self.started_at:%Y-%m-%d %H:%M}"


class RuleResult(models.Model):
    run = models.ForeignKey(QualityRun, models.CASCADE, related_name="results", verbose_name=_("run"))
    rule = models.ForeignKey(QualityRule, models.SET_NULL, null=True, blank=True, related_name="results",
                             verbose_name=_("rule"))
    rule_name = models.CharField(_("rule"), max_length=100)
    kind = models.CharField(_("rule type"), max_length=14, choices=RuleKind.choices)
    checked = models.BigIntegerField(_("checked"), default=0)
    failed = models.BigIntegerField(_("failed"), default=0)
    failed_pct = models.DecimalField(_("failed (%)"), max_digits=7, decimal_places=3, default=0)
    passed = models.BooleanField(_("passed"), default=True)
    #: what else the check found (uniqueness: {"groups": n}; completeness: {"nulls": n, "empty": n}; …)
    details = models.JSONField(_("details"), default=dict, blank=True)
    #: a few failing rows, personal values masked
    sample = models.JSONField(_("sample of failing rows"), default=list, blank=True)
    error = models.CharField(_("error"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("rule result")
        verbose_name_plural = _("rule results")
        ordering = ["run", "pk"]
        default_permissions = ()

    def __str__(self):
        return f"{self.rule_name}: {self.failed}/{self.checked}"


class TaskState(models.TextChoices):
    OPEN = "open", pgettext_lazy("remediation", "open")  # 待整改
    SUBMITTED = "submitted", pgettext_lazy("remediation", "fixed, awaiting re-check")  # 已整改待复核
    CLOSED = "closed", pgettext_lazy("remediation", "closed")  # 已关闭


class RemediationTask(BaseModel):
    rule = models.ForeignKey(QualityRule, models.CASCADE, related_name="tasks", verbose_name=_("rule"))
    table = models.ForeignKey("metadata.MetaTable", models.CASCADE, related_name="remediation_tasks",
                              verbose_name=_("table"))
    department = models.ForeignKey("orgs.Department", models.PROTECT, related_name="remediation_tasks",
                                    verbose_name=_("department"))
    state = models.CharField(_("state"), max_length=10, choices=TaskState.choices, default=TaskState.OPEN)
    opened_by = models.ForeignKey(QualityRun, models.PROTECT, related_name="opened_tasks",
                                  verbose_name=_("opened by run"))
    failed_at_open = models.BigIntegerField(_("failing rows when opened"), default=0)
    due_on = models.DateField(_("due"))
    fix_note = models.TextField(_("what was fixed"), max_length=2000, blank=True)
    fixed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("fixed by"))
    fixed_at = models.DateTimeField(_("fixed at"), null=True, blank=True)
    last_check = models.ForeignKey(QualityRun, models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("last re-check"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="department__region", department="department")

    class Meta:
        verbose_name = _("remediation task")
        verbose_name_plural = _("remediation tasks")
        ordering = ["state", "due_on", "pk"]
        permissions = [("fix_remediationtask", "Can record the remediation of a quality problem")]
        constraints = [models.UniqueConstraint(fields=["rule"], condition=~Q(state="closed"),
                                               name="uniq_quality_open_task_per_rule")]
        indexes = [models.Index(fields=["department", "state", "due_on"], name="quality_task_dept_state")]

    def __str__(self):
        return f"{self.rule} ({self.get_state_display()})"


class RemediationEvent(models.Model):
    task = models.ForeignKey(RemediationTask, models.CASCADE, related_name="events", verbose_name=_("task"))
    action = models.CharField(_("action"), max_length=20)
    to_state = models.CharField(_("state"), max_length=10, choices=TaskState.choices)
    note = models.CharField(_("note"), max_length=2000, blank=True)
    run = models.ForeignKey(QualityRun, models.SET_NULL, null=True, blank=True, related_name="+",
                            verbose_name=_("run"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("by"))
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("remediation event")
        verbose_name_plural = _("remediation events")
        ordering = ["created_at", "pk"]
        default_permissions = ()
