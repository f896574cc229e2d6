import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from dgov.core.models import AuditEntry


class AuditEntryFilterSet(django_filters.FilterSet):
    actor = django_filters.CharFilter(label=_("Actor"), field_name="actor_username")
    action = django_filters.CharFilter(label=_("Action starts with"), field_name="action", lookup_expr="startswith")
    object_type = django_filters.CharFilter(label=_("Object type"))
    object_id = django_filters.CharFilter(label=_("Object id"))
    outcome = django_filters.ChoiceFilter(label=_("Outcome"), choices=AuditEntry.OUTCOMES)
    request_id = django_filters.CharFilter(label=_("Request id"))
    since = django_filters.DateFilter(label=_("From"), field_name="occurred_at", lookup_expr="date__gte",
                                      widget=forms.DateInput(attrs={"type": "date"}))
    until = django_filters.DateFilter(label=_("To"), field_name="occurred_at", lookup_expr="date__lte",
                                      widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = AuditEntry
        fields = ["actor", "action", "object_type", "object_id", "outcome", "request_id", "since", "until"]
