"""Enterprise policies (惠企政策, issue 8 point 10; docs/services.md): policies with machine-readable
eligibility rules, evaluated against what the government knows of each enterprise.

- `EnterpriseProfile`: the data the rules are evaluated against, one per `accounts.Enterprise`: industry
  (GB/T 4754-2017), size (工信部联企业〔2011〕300号; computed where the thresholds are known), registration
  date, region, employees, annual revenue, tax paid, qualifications, tax credit rating, where the data
  came from and as of when.
- `Policy`: a policy document of a department: title, 文号, summary, benefit, kind (申报: the enterprise
  applies; 免申即享: no application), validity, status (draft → published → expired), the rule tree
  (`rules.py`) and, for 免申即享, the benefit's implementation (`services.Implementation`) on which the
  benefit case is opened.
- `PolicyMatch`: the latest evaluation of one policy for one enterprise (one row per pair): eligible or
  not, the explanation, when; when the enterprise was told and the benefit case opened (each once).
- `MatchRun`: one matching run (a policy or all), with its counts.

Scope: a policy belongs to its issuing department (policy administrators of the department, or of the
region the department is in, or city-wide with scope all); a profile goes by the enterprise's region and
belongs to the enterprise's account; a match goes by the policy's department and belongs to the
enterprise's account.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from dgov.core.models import BaseModel
from dgov.core.permissions import RestrictedQuerySet, ScopeSpec
from dgov.policies.industry import Size


class SizeBasis(models.TextChoices):
    COMPUTED = "computed", _("computed from employees and revenue")
    ENTERED = "entered", _("entered")


class EnterpriseProfile(BaseModel):
    enterprise = models.OneToOneField("accounts.Enterprise", models.CASCADE, related_name="policy_profile",
                                      verbose_name=_("enterprise"))
    #: the enterprise's unified social credit code: the profile's natural key (spreadsheet rows, the API)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    industry = models.CharField(_("industry code"), max_length=5,
                                help_text=_("GB/T 4754-2017: a section letter and 2–4 digits, e.g. C3251."))
    size = models.CharField(_("enterprise size"), max_length=8, choices=Size.choices, blank=True)
    size_basis = models.CharField(_("size determined by"), max_length=10, choices=SizeBasis.choices,
                                  default=SizeBasis.ENTERED, editable=False)
    registered_on = models.DateField(_("registration date"))
    region = models.ForeignKey("orgs.Region", models.PROTECT, related_name="+", verbose_name=_("region"))
    employees = models.PositiveIntegerField(_("employees"))
    annual_revenue = models.DecimalField(_("annual revenue (10,000 yuan)"), max_digits=14, decimal_places=2)
    tax_paid = models.DecimalField(_("tax paid (10,000 yuan)"), max_digits=14, decimal_places=2, null=True,
                                   blank=True)
    tags = models.JSONField(_("qualifications"), default=list, blank=True)
    credit_rating = models.CharField(_("tax credit rating"), max_length=1, blank=True)
    source = models.CharField(_("data source"), max_length=200)
    as_of = models.DateField(_("data as of"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="region", owner="enterprise__account_id")

    class Meta:
        verbose_name = _("enterprise profile")
        verbose_name_plural = _("enterprise profiles")
        ordering = ["enterprise__name"]

    def __str__(self):
        return str(self.enterprise)

    def facts(self) -> dict:
        """What the rules see (rules.FIELDS)."""
        return {"industry": self.industry, "size": self.size, "region": self.region.code,
                "region_path": self.region.path, "registered_on": self.registered_on, "employees": self.employees,
                "annual_revenue": self.annual_revenue, "tax_paid": self.tax_paid, "tags": list(self.tags or []),
                "credit_rating": self.credit_rating}


class PolicyKind(models.TextChoices):
    APPLY = "apply", _("apply for it")             # 申报
    AUTOMATIC = "automatic", _("no application")   # 免申即享


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    EXPIRED = "expired", _("expired")


class Policy(BaseModel):
    title = models.CharField(_("title"), max_length=200)
    department = models.ForeignKey("orgs.Department", models.PROTECT, related_name="+",
                                   verbose_name=_("issuing department"))
    document_number = models.CharField(_("document number"), max_length=60, blank=True)
    summary = models.TextField(_("summary"), max_length=4000)
    benefit = models.CharField(_("benefit"), max_length=500)
    benefit_amount = models.DecimalField(_("benefit amount (yuan)"), max_digits=14, decimal_places=2, null=True,
                                         blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=PolicyKind.choices, default=PolicyKind.APPLY)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT)
    rules = models.JSONField(_("eligibility rules"), default=dict)
    implementation = models.ForeignKey("services.Implementation", models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name=_("benefit service item"))
    apply_url = models.CharField(_("where to apply"), max_length=300, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="department__region", department="department")

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        ordering = ["-valid_from", "pk"]
        permissions = [("match_policy", gettext_noop("Can run policy matching"))]

    def __str__(self):
        return self.title


class PolicyMatch(models.Model):
    policy = models.ForeignKey(Policy, models.CASCADE, related_name="matches", verbose_name=_("policy"))
    enterprise = models.ForeignKey("accounts.Enterprise", models.CASCADE, related_name="policy_matches",
                                   verbose_name=_("enterprise"))
    eligible = models.BooleanField(_("eligible"), default=False)
    explanation = models.JSONField(_("explanation"), default=dict)
    #: what was evaluated (the profile's facts and the rules), so an unchanged pair is not rewritten
    fingerprint = models.CharField(max_length=64, editable=False)
    matched_at = models.DateTimeField(_("matched at"))
    notified_at = models.DateTimeField(_("told at"), null=True, blank=True)
    case = models.ForeignKey("cases.Case", models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("benefit case"))

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(region="policy__department__region", department="policy__department",
                      owner="enterprise__account_id")

    class Meta:
        verbose_name = _("policy match")
        verbose_name_plural = _("policy matches")
        ordering = ["-matched_at", "pk"]
        default_permissions = ("view",)
        constraints = [models.UniqueConstraint(fields=["policy", "enterprise"], name="policies_match_once")]

    def __str__(self):
        return f"{self.policy} · {self.enterprise}"


class MatchRun(models.Model):
    policy = models.ForeignKey(Policy, models.CASCADE, null=True, blank=True, related_name="runs",
                               verbose_name=_("policy"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("run by"))
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    policies = models.PositiveIntegerField(_("policies"), default=0)
    evaluated = models.PositiveIntegerField(_("evaluated"), default=0)
    eligible = models.PositiveIntegerField(_("eligible"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    notified = models.PositiveIntegerField(_("told"), default=0)
    cases = models.PositiveIntegerField(_("benefit cases opened"), default=0)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(region="policy__department__region", department="policy__department", owner="actor_id")

    class Meta:
        verbose_name = _("matching run")
        verbose_name_plural = _("matching runs")
        ordering = ["-started_at", "-pk"]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.policy or ''}"
