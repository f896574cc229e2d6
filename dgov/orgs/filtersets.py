import django_filters
from django.db.models import Q
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


class TwoPartyFilterSet(django_filters.FilterSet):
    """The filters of a list of records between two departments (a requester or consumer in
    `department`, a provider in `provider`): text, overdue, the reader's department's side and either
    department. A subclass declares its status filter, its `role` choices and Meta, and names the
    selector that applies the filters (the API applies the same one) as `narrow`."""

    narrow = None  # staticmethod(selectors.filter_…)(qs, user, **filters)
    q = django_filters.CharFilter(label=_("Search"), method="text")
    overdue = django_filters.ChoiceFilter(label=_("Overdue"), method="by_overdue",
                                          choices=[("true", _("overdue only")), ("false", _("not overdue"))])
    department = django_filters.ModelChoiceFilter(label=_("Department"), queryset=Department.objects.none(),
                                                  to_field_name="code", method="by_department")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # In Meta.fields' order (the base's filters would come first), only the departments taking
        # part in the records the user sees.
        self.filters = {name: self.filters[name] for name in self._meta.fields}
        seen = self.queryset.order_by()
        self.filters["department"].queryset = Department.objects.filter(
            Q(pk__in=seen.values("department")) | Q(pk__in=seen.values("provider"))).order_by("path")

    def _narrow(self, qs, **filters):
        return type(self).narrow(qs, self.request.user, **filters)

    def text(self, qs, name, value):
        return self._narrow(qs, q=value)

    def by_overdue(self, qs, name, value):
        return self._narrow(qs, overdue=value == "true")

    def by_role(self, qs, name, value):
        return self._narrow(qs, role=value)

    def by_department(self, qs, name, value):
        return self._narrow(qs, department=value.code)
