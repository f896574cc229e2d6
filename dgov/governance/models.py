"""Data governance across the platform (issue 6 points 6–8): lineage (computed from the platform's own
records, no model), data-application evaluation (数据应用评价) from consumer feedback and usage, and
published rankings; data contracts are exported from the catalog, the data store and the quality rules.

- `ResourceFeedback`: a consuming department's rating (1–5) and comment on a catalog entry it uses.
- `RankingPublication`: a ranking of resources and departments as published for a period, with the
  formula and the weights it was computed with, so a published figure never changes afterwards.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from dgov.core.models import BaseModel
from dgov.core.permissions import ScopeSpec


class ResourceFeedback(BaseModel):
    entry = models.ForeignKey("catalog.CatalogEntry", models.CASCADE, related_name="feedback",
                              verbose_name=_("catalog entry"))
    #: the consuming department that gives the rating
    department = models.ForeignKey("orgs.Department", models.PROTECT, related_name="+",
                                   verbose_name=_("consuming department"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("by"))
    score = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    reply = models.TextField(_("provider's reply"), max_length=2000, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="department__region", department="department")

    class Meta:
        verbose_name = _("resource feedback")
        verbose_name_plural = _("resource feedback")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["entry", "department"], name="uniq_governance_feedback")]

    def __str__(self):
        return f"{self.entry} {self.score}"


class RankingPublication(BaseModel):
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    #: the formula in words and its weights, as computed
    formula = models.JSONField(_("formula"), default=dict)
    #: {"resources": [...], "departments": [...]} with every component of every score
    rows = models.JSONField(_("ranking"), default=dict)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("published by"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(shared=True)

    class Meta:
        verbose_name = _("published ranking")
        verbose_name_plural = _("published rankings")
        ordering = ["-period_end", "-pk"]
        permissions = [("publish_rankingpublication", "Can publish data-application rankings")]

    def __str__(self):
        return f"{self.period_start} – {self.period_end}"
