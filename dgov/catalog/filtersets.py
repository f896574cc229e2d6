import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dgov.catalog.models import CatalogType, Classification, NegativeListItem
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
