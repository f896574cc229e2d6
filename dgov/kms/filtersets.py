import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dgov.kms.models import Key, KeyPolicy, KeyType
from dgov.orgs.models import Department

# A yes/no filter whose empty choice reads "All" rather than Django's "Unknown".
ALL_YES_NO = forms.Select(choices=[("", _("All")), ("true", _("yes")), ("false", _("no"))])


class KeyFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(label=_("Name"), lookup_expr="icontains")
    type = django_filters.ChoiceFilter(label=_("Type"), choices=KeyType.choices)
    department = django_filters.ModelChoiceFilter(label=_("Owning department"),
                                                  queryset=Department.objects.order_by("path"))
    enabled = django_filters.BooleanFilter(label=_("Enabled"), widget=ALL_YES_NO)

    class Meta:
        model = Key
        fields = ["name", "type", "department", "enabled"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None:
            # Only the departments that own a key this user can see.
            visible = Key.objects.restrict(request.user, "view").values("department")
            self.filters["department"].queryset = Department.objects.filter(pk__in=visible).order_by("path")


class KeyPolicyFilterSet(django_filters.FilterSet):
    key = django_filters.CharFilter(label=_("Key"), field_name="key__name", lookup_expr="icontains")
    application = django_filters.CharFilter(label=_("Application"), method="search_application")

    class Meta:
        model = KeyPolicy
        fields = ["key", "application"]

    def search_application(self, qs, name, value):
        return qs.filter(Q(application__code__icontains=value) | Q(application__name__icontains=value))
