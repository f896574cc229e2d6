import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dgov.aggregation.models import Dataset, LoadRun, SourceDatabase, SourceMapping


class SourceDatabaseFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(label=_("Name"), lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(label=_("Database type"), choices=SourceDatabase.Kind.choices)

    class Meta:
        model = SourceDatabase
        fields = ["name", "kind"]


class DatasetFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="text")

    class Meta:
        model = Dataset
        fields = ["q"]

    def text(self, qs, name, value):
        return qs.filter(Q(entry__name__icontains=value) | Q(entry__code__startswith=value))


class SourceMappingFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(label=_("Name"), lookup_expr="icontains")
    enabled = django_filters.BooleanFilter(label=_("Enabled"))

    class Meta:
        model = SourceMapping
        fields = ["name", "enabled"]


class LoadRunFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=LoadRun.Status.choices)
    trigger = django_filters.ChoiceFilter(label=_("Trigger"), choices=LoadRun.Trigger.choices)

    class Meta:
        model = LoadRun
        fields = ["status", "trigger"]
