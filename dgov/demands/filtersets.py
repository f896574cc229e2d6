import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dgov.demands import selectors
from dgov.demands.models import DataDemand, State
from dgov.orgs.models import Department


class DataDemandFilterSet(django_filters.FilterSet):
    """The list's filters, applied by `selectors.filter_demands` as the API's are."""

    q = django_filters.CharFilter(label=_("Search"), method="text")
    state = django_filters.ChoiceFilter(label=_("State"), choices=State.choices)
    overdue = django_filters.ChoiceFilter(label=_("Overdue"), method="by_overdue",
                                          choices=[("true", _("overdue only")), ("false", _("not overdue"))])
    role = django_filters.ChoiceFilter(label=_("My department as"), method="by_role",
                                       choices=[("requester", _("requester")), ("provider", _("provider"))])
    department = django_filters.ModelChoiceFilter(label=_("Department"), queryset=Department.objects.none(),
                                                  to_field_name="code", method="by_department")

    class Meta:
        model = DataDemand
        fields = ["q", "state", "overdue", "role", "department"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the departments taking part in the demands the user sees.
        seen = self.queryset.order_by()
        self.filters["department"].queryset = Department.objects.filter(
            Q(pk__in=seen.values("department")) | Q(pk__in=seen.values("provider"))).order_by("path")

    @property
    def user(self):
        return self.request.user

    def text(self, qs, name, value):
        return selectors.filter_demands(qs, self.user, q=value)

    def by_overdue(self, qs, name, value):
        return selectors.filter_demands(qs, self.user, overdue=value == "true")

    def by_role(self, qs, name, value):
        return selectors.filter_demands(qs, self.user, role=value)

    def by_department(self, qs, name, value):
        return selectors.filter_demands(qs, self.user, department=value.code)
