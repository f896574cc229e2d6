import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dgov.orgs.models import Department
from dgov.sharing import selectors
from dgov.sharing.models import Grant, GrantStatus, SharingRequest, Status


class SharingRequestFilterSet(django_filters.FilterSet):
    """The list's filters, applied by `selectors.filter_requests` as the API's are."""

    q = django_filters.CharFilter(label=_("Search"), method="text")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices)
    overdue = django_filters.ChoiceFilter(label=_("Overdue"), method="by_overdue",
                                          choices=[("true", _("overdue only")), ("false", _("not overdue"))])
    role = django_filters.ChoiceFilter(label=_("My department as"), method="by_role",
                                       choices=[("consumer", _("consumer")), ("provider", _("provider"))])
    department = django_filters.ModelChoiceFilter(label=_("Department"), queryset=Department.objects.none(),
                                                  to_field_name="code", method="by_department")

    class Meta:
        model = SharingRequest
        fields = ["q", "status", "overdue", "role", "department"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        seen = self.queryset.order_by()
        self.filters["department"].queryset = Department.objects.filter(
            Q(pk__in=seen.values("department")) | Q(pk__in=seen.values("provider"))).order_by("path")

    @property
    def user(self):
        return self.request.user

    def text(self, qs, name, value):
        return selectors.filter_requests(qs, self.user, q=value)

    def by_overdue(self, qs, name, value):
        return selectors.filter_requests(qs, self.user, overdue=value == "true")

    def by_role(self, qs, name, value):
        return selectors.filter_requests(qs, self.user, role=value)

    def by_department(self, qs, name, value):
        return selectors.filter_requests(qs, self.user, department=value.code)


class GrantFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="text")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=GrantStatus.choices)
    role = django_filters.ChoiceFilter(label=_("My department as"), method="by_role",
                                       choices=[("consumer", _("consumer")), ("provider", _("provider"))])

    class Meta:
        model = Grant
        fields = ["q", "status", "role"]

    @property
    def user(self):
        return self.request.user

    def text(self, qs, name, value):
        return selectors.filter_grants(qs, self.user, q=value)

    def by_role(self, qs, name, value):
        return selectors.filter_grants(qs, self.user, role=value)
