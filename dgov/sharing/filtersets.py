import django_filters
from django.utils.translation import gettext_lazy as _

from dgov.orgs.filtersets import TwoPartyFilterSet
from dgov.sharing import selectors
from dgov.sharing.models import Grant, GrantStatus, SharingRequest, Status


class SharingRequestFilterSet(TwoPartyFilterSet):
    """The list's filters, applied by `selectors.filter_requests` as the API's are."""

    narrow = staticmethod(selectors.filter_requests)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices)
    role = django_filters.ChoiceFilter(label=_("My department as"), method="by_role",
                                       choices=[("consumer", _("consumer")), ("provider", _("provider"))])

    class Meta:
        model = SharingRequest
        fields = ["q", "status", "overdue", "role", "department"]


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
