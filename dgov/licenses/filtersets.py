import django_filters
from django.utils.translation import gettext_lazy as _

from dgov.licenses.models import HolderKind, License, LicenseStatus, LicenseType, Seal, SealStatus, Source, TypeStatus
from dgov.orgs.models import Department


class LicenseTypeFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(label=_("Name"), lookup_expr="icontains")
    holder_kind = django_filters.ChoiceFilter(label=_("Holder"), choices=HolderKind.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=TypeStatus.choices)

    class Meta:
        model = LicenseType
        fields = ["name", "holder_kind", "status"]


class SealFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(label=_("Name"), lookup_expr="icontains")
    department = django_filters.ModelChoiceFilter(label=_("Owning department"), to_field_name="code",
                                                  queryset=Department.objects.filter(seals__isnull=False).distinct())
    status = django_filters.ChoiceFilter(label=_("Status"), choices=SealStatus.choices)

    class Meta:
        model = Seal
        fields = ["name", "department", "status"]


class LicenseFilterSet(django_filters.FilterSet):
    license_type = django_filters.ModelChoiceFilter(label=_("Licence type"), to_field_name="code",
                                                    queryset=LicenseType.objects.order_by("code"))
    issuer = django_filters.ModelChoiceFilter(label=_("Issuing department"), to_field_name="code",
                                              queryset=Department.objects.filter(
                                                  issued_licenses__isnull=False).distinct().order_by("path"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=LicenseStatus.choices)
    source = django_filters.ChoiceFilter(label=_("Issued as"), choices=Source.choices)
    holder_name = django_filters.CharFilter(label=_("Holder's name"), lookup_expr="icontains")

    class Meta:
        model = License
        fields = ["license_type", "issuer", "status", "source", "holder_name"]
