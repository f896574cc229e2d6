import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dgov.accounts.models import ApiToken, Application, User, UserKind
from dgov.orgs.models import Region

# A yes/no filter whose empty choice reads "All" rather than Django's "Unknown".
ALL_YES_NO = forms.Select(choices=[("", _("All")), ("true", _("yes")), ("false", _("no"))])


class UserFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(label=_("Account type"), choices=UserKind.choices)
    region = django_filters.ModelChoiceFilter(
        label=_("Region"), method="within_region",
        queryset=Region.objects.filter(level__in=["city", "county", "township"]).order_by("path"))
    is_active = django_filters.BooleanFilter(label=_("Active"), widget=ALL_YES_NO)

    class Meta:
        model = User
        fields = ["q", "kind", "region", "is_active"]

    def search(self, qs, name, value):
        return qs.filter(Q(username__icontains=value) | Q(real_name__icontains=value))

    def within_region(self, qs, name, value):
        return qs.filter(region__path__startswith=value.path)


class ApiTokenFilterSet(django_filters.FilterSet):
    user = django_filters.CharFilter(label=_("User"), field_name="user__username")
    active = django_filters.BooleanFilter(label=_("Active"), method="filter_active", widget=ALL_YES_NO)

    class Meta:
        model = ApiToken
        fields = ["user", "active"]

    def filter_active(self, qs, name, value):
        return qs.filter(revoked_at__isnull=value)


class ApplicationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    active = django_filters.BooleanFilter(label=_("Active"), field_name="account__is_active", widget=ALL_YES_NO)

    class Meta:
        model = Application
        fields = ["q", "active"]

    def search(self, qs, name, value):
        return qs.filter(Q(code__icontains=value) | Q(name__icontains=value))
