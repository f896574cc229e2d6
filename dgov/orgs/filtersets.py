import django_filters
from django.utils.translation import gettext_lazy as _

from dgov.orgs.models import Department, DepartmentKind, Region, RegionLevel


def _region_choices():
    return Region.objects.filter(level__in=[RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY,
                                            RegionLevel.TOWNSHIP]).order_by("path")


class RegionFilterSet(django_filters.FilterSet):
    within = django_filters.ModelChoiceFilter(label=_("Within"), queryset=_region_choices(), method="filter_within")
    level = django_filters.ChoiceFilter(label=_("Level"), choices=RegionLevel.choices)
    name = django_filters.CharFilter(label=_("Name"), lookup_expr="icontains")

    class Meta:
        model = Region
        fields = ["within", "level", "name"]

    def filter_within(self, qs, name, value):
        return qs.filter(path__startswith=value.path)


class DepartmentFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(label=_("Name"), lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=DepartmentKind.choices)
    within = django_filters.ModelChoiceFilter(label=_("Region"), queryset=_region_choices(), method="filter_within")

    class Meta:
        model = Department
        fields = ["name", "kind", "within"]

    def filter_within(self, qs, name, value):
        return qs.filter(region__path__startswith=value.path)
