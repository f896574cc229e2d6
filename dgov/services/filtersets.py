import django_filters
from django.utils.translation import gettext_lazy as _

from dgov.orgs.models import Department
from dgov.services import selectors
from dgov.services.models import Implementation, ItemType, PublishStatus, ServiceItem, ServiceObject, Theme


class ImplementationFilterSet(django_filters.FilterSet):
    """The officials' implementation list: a query over the guides' search text, then the filters."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=PublishStatus.choices)
    department = django_filters.ModelChoiceFilter(
        label=_("Implementing department"), to_field_name="code",
        queryset=Department.objects.filter(service_implementations__isnull=False).distinct())
    item_type = django_filters.ChoiceFilter(label=_("Item type"), field_name="item__item_type",
                                            choices=ItemType.choices)
    service_object = django_filters.ChoiceFilter(label=_("Service object"), choices=ServiceObject.choices)
    online_apply = django_filters.BooleanFilter(label=_("Can be applied for online"))
    theme = django_filters.ModelChoiceFilter(label=_("Theme"), field_name="themes", to_field_name="code",
                                             queryset=Theme.objects.all())

    class Meta:
        model = Implementation
        fields = ["q", "status", "department", "item_type", "service_object", "online_apply", "theme"]

    def filter_q(self, queryset, name, value):
        from dgov.services import search

        return search.rank(search.filter_query(queryset, value), value) if value else queryset


class ServiceItemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    item_type = django_filters.ChoiceFilter(label=_("Item type"), choices=ItemType.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=PublishStatus.choices)

    class Meta:
        model = ServiceItem
        fields = ["q", "item_type", "status"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(pk__in=selectors.items(q=value).values("pk")) if value else queryset


class ThemeFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(label=_("Name"), lookup_expr="icontains")
    audience = django_filters.ChoiceFilter(label=_("For"), choices=ServiceObject.choices)

    class Meta:
        model = Theme
        fields = ["name", "audience"]
