"""Filters of the officials' case lists (the pages of dgov/cases/views.py)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from dgov.cases.models import Case, State

WARNING_CHOICES = [("yellow", _("due soon")), ("red", _("due today")), ("overdue", _("overdue")),
                   ("any", _("any warning"))]


class CaseFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=_("state"), choices=State.choices)
    warning = django_filters.ChoiceFilter(label=_("warning"), choices=WARNING_CHOICES, method="filter_warning")
    q = django_filters.CharFilter(label=_("reference or item"), method="filter_q")

    class Meta:
        model = Case
        fields = ["state"]

    def filter_warning(self, queryset, name, value):
        from django.utils import timezone

        from dgov.cases.selectors import filter_warning

        return filter_warning(queryset, value, timezone.localdate()) if value else queryset

    def filter_q(self, queryset, name, value):
        from django.db.models import Q

        value = (value or "").strip()
        return queryset.filter(Q(reference__icontains=value) | Q(title__icontains=value)) if value else queryset
