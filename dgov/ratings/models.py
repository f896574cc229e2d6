"""Service ratings (好差评, issue 8 point 8; 国办发〔2019〕51号, GB/T 39734-2020).

- `Rating`: one per case, by its applicant, after the case is decided: a level on the national
  five-level scale (5 非常满意 … 1 非常不满意), the indicators the applicant picks as the reasons
  (`INDICATORS`), a comment, the channel. The implementing department and region are copied from the
  case for the data scope.
- `Rectification`: a bad rating's (不满意, 非常不满意) closed loop: verify (核实) → fix (整改, or for
  an unfounded rating the written explanation, 解释说明) → call back (回访) → closed, each step with
  its text, who and when, and a deadline in working days on the platform calendar.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy

from dgov.core.models import BaseModel
from dgov.core.permissions import ScopeSpec


class Level(models.IntegerChoices):
    VERY_SATISFIED = 5, pgettext_lazy("rating", "very satisfied")  # 非常满意
    SATISFIED = 4, pgettext_lazy("rating", "satisfied")  # 满意
    FAIR = 3, pgettext_lazy("rating", "fairly satisfied")  # 基本满意
    DISSATISFIED = 2, pgettext_lazy("rating", "dissatisfied")  # 不满意
    VERY_DISSATISFIED = 1, pgettext_lazy("rating", "very dissatisfied")  # 非常不满意


#: the levels that count as a bad rating (差评) and open a rectification
BAD_LEVELS = (Level.DISSATISFIED, Level.VERY_DISSATISFIED)

#: the rating indicators (评价指标), after the contents 国办发〔2019〕51号 names (事项管理, 办事流程, 服务方式,
#: 服务效能, 服务态度) and GB/T 39734's 一事一评: code → the name shown (reference data, in Chinese)
INDICATORS = {
    "guide": "办事指南清楚准确",
    "process": "办事流程简便",
    "materials": "申请材料精简",
    "convenience": "办理便捷（网上办、少跑动）",
    "efficiency": "办事效率（按时办结）",
    "attitude": "服务态度",
    "result": "办理结果",
}


class Channel(models.TextChoices):
    ONLINE = "online", _("online")  # 网上服务"一事一评"


class Rating(BaseModel):
    case = models.OneToOneField("cases.Case", models.PROTECT, related_name="rating", verbose_name=_("case"))
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    indicators = models.JSONField(_("indicators"), default=list, blank=True,
                                  help_text=_("The indicators the applicant chose as the reasons."))
    comment = models.TextField(_("comment"), max_length=1000, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("rated by"))
    department = models.ForeignKey("orgs.Department", models.PROTECT, related_name="ratings",
                                   verbose_name=_("implementing department"))
    region = models.ForeignKey("orgs.Region", models.PROTECT, related_name="ratings", verbose_name=_("region"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="region", department="department", owner="rater_id")

    class Meta:
        verbose_name = _("service rating")
        verbose_name_plural = _("service ratings")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["department", "level"], name="ratings_dept_level")]

    def __str__(self):
        return f"{self.case} {self.get_level_display()}"

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_LEVELS

    def indicator_names(self) -> list[str]:
        return [INDICATORS.get(code, code) for code in self.indicators or []]


class Step(models.TextChoices):
    VERIFY = "verify", pgettext_lazy("rectification", "to verify")  # 待核实
    FIX = "fix", pgettext_lazy("rectification", "to fix")  # 待整改
    CALLBACK = "callback", pgettext_lazy("rectification", "to call back")  # 待回访
    CLOSED = "closed", pgettext_lazy("rectification", "closed")  # 已办结


class Rectification(BaseModel):
    rating = models.OneToOneField(Rating, models.PROTECT, related_name="rectification", verbose_name=_("rating"))
    state = models.CharField(_("state"), max_length=10, choices=Step.choices, default=Step.VERIFY)
    due_on = models.DateField(_("current step due on"), null=True, blank=True)
    # 核实
    founded = models.BooleanField(_("the complaint is founded"), null=True, blank=True)
    verification = models.TextField(_("verification"), max_length=2000, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("verified by"))
    # 整改 (or, unfounded, 解释说明)
    fix = models.TextField(_("fix or explanation"), max_length=2000, blank=True)
    fixed_at = models.DateTimeField(_("fixed at"), null=True, blank=True)
    fixed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("fixed by"))
    # 回访
    callback = models.TextField(_("call-back"), max_length=2000, blank=True)
    satisfied = models.BooleanField(_("the applicant is satisfied with the fix"), null=True, blank=True)
    called_back_at = models.DateTimeField(_("called back at"), null=True, blank=True)
    called_back_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                       related_name="+", verbose_name=_("called back by"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    #: the last reminder sent for the current step ("", "due", "overdue"), so the tick reminds once per kind
    warning_sent = models.CharField(_("reminder sent"), max_length=8, blank=True)

    scope = ScopeSpec(region="rating__region", department="rating__department")

    class Meta:
        verbose_name = _("rectification of a bad rating")
        verbose_name_plural = _("rectifications of bad ratings")
        ordering = ["due_on", "pk"]
        constraints = [models.CheckConstraint(  # a bad rating closes only after its fix and its call-back
            condition=~models.Q(state="closed") | models.Q(fixed_at__isnull=False, called_back_at__isnull=False),
            name="ratings_closed_after_fix_and_callback")]
        permissions = [("handle_rectification", gettext_noop("Can verify, fix and call back bad ratings"))]

    def __str__(self):
        return f"{self.rating.case} {self.get_state_display()}"


class RectificationEvent(models.Model):
    """One recorded step of a rectification (the history)."""

    rectification = models.ForeignKey(Rectification, models.CASCADE, related_name="events",
                                      verbose_name=_("rectification"))
    step = models.CharField(_("step"), max_length=10, choices=Step.choices)
    text = models.TextField(_("text"), max_length=2000)
    data = models.JSONField(_("details"), default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("by"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("rectification step")
        verbose_name_plural = _("rectification steps")
        ordering = ["rectification", "created_at", "pk"]
        default_permissions = ()

    LABELS = {Step.VERIFY: _("verified"), Step.FIX: _("fixed or explained"), Step.CALLBACK: _("called back")}

    def label(self) -> str:
        """What the step did (the step's own label says what is to do)."""
        return str(self.LABELS.get(self.step, self.step))
