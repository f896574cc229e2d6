import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from dgov.exchange.models import ConsumerCredential, ExchangeLogEntry

OUTCOMES = [("ok", _("successful (2xx)")), ("refused", _("refused (4xx)")), ("failed", _("failed (5xx)"))]


class CredentialFilterSet(django_filters.FilterSet):
    application = django_filters.CharFilter(label=_("Application code"), field_name="application__code")
    enabled = django_filters.BooleanFilter(label=_("Enabled"))

    class Meta:
        model = ConsumerCredential
        fields = ["application", "enabled"]


class ExchangeLogFilterSet(django_filters.FilterSet):
    app_code = django_filters.CharFilter(label=_("Application code"))
    service_code = django_filters.CharFilter(label=_("Service code"))
    outcome = django_filters.ChoiceFilter(label=_("Outcome"), choices=OUTCOMES, method="by_outcome")
    request_id = django_filters.CharFilter(label=_("Request id"))
    since = django_filters.DateFilter(label=_("From"), field_name="occurred_at", lookup_expr="date__gte",
                                      widget=forms.DateInput(attrs={"type": "date"}))
    until = django_filters.DateFilter(label=_("To"), field_name="occurred_at", lookup_expr="date__lte",
                                      widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = ExchangeLogEntry
        fields = ["app_code", "service_code", "outcome", "request_id", "since", "until"]

    def by_outcome(self, qs, name, value):
        low, high = {"ok": (200, 299), "refused": (400, 499), "failed": (500, 599)}[value]
        return qs.filter(status__gte=low, status__lte=high)
