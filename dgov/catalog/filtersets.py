import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dgov.catalog.models import CatalogType, Classification, NegativeListItem, ProvincialEntry
from dgov.catalog.tables import LEVELS


class NegativeListItemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Resource code or data item"), method="search")
    legal_basis = django_filters.CharFilter(label=_("Legal basis"), lookup_expr="icontains")

    class Meta:
        model = NegativeListItem
        fields = ["q", "legal_basis"]

    def search(self, qs, name, value):
        return qs.filter(Q(resource_code__icontains=value) | Q(item_name__icontains=value))


class ClassificationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Code or name"), method="search")
    catalog_type = django_filters.ChoiceFilter(label=_("Catalog type"), choices=CatalogType.choices,
                                               method="filter_catalog_type")
    level = django_filters.ChoiceFilter(label=_("Level"), choices=sorted(LEVELS.items()))

    class Meta:
        model = Classification
        fields = ["q", "catalog_type", "level"]

    def search(self, qs, name, value):
        return qs.filter(Q(code__startswith=value) | Q(name__icontains=value))

    def filter_catalog_type(self, qs, name, value):
        return qs.filter(code__startswith=value)


class ProvincialEntryFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Code, name or provider"), method="search")
    withdrawn = django_filters.BooleanFilter(label=_("Withdrawn"))
    mapped = django_filters.BooleanFilter(label=_("Mapped by a city entry"), method="filter_mapped")

    class Meta:
        model = ProvincialEntry
        fields = ["q", "withdrawn", "mapped"]

    def search(self, qs, name, value):
        for word in value.split():
            qs = qs.filter(Q(code__icontains=word) | Q(name__icontains=word) | Q(provider__icontains=word))
        return qs

    def filter_mapped(self, qs, name, value):
        return qs.filter(mappings__isnull=not value).distinct()
