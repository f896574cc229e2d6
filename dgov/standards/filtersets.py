import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dgov.standards.models import CodeSet, DataElement, DataModel, ElementStatus, ElementType


class CodeSetFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="text")
    is_builtin = django_filters.BooleanFilter(label=_("Reference data"))

    class Meta:
        model = CodeSet
        fields = ["q", "is_builtin"]

    def text(self, qs, name, value):
        return qs.filter(Q(code__icontains=value) | Q(name__icontains=value))


class DataElementFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="text")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ElementStatus.choices)
    data_type = django_filters.ChoiceFilter(label=_("Data type"), choices=ElementType.choices)

    class Meta:
        model = DataElement
        fields = ["q", "status", "data_type"]

    def text(self, qs, name, value):
        return qs.filter(Q(identifier__icontains=value) | Q(name__icontains=value) | Q(definition__icontains=value))


class DataModelFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="text")

    class Meta:
        model = DataModel
        fields = ["q"]

    def text(self, qs, name, value):
        return qs.filter(Q(code__icontains=value) | Q(name__icontains=value))
