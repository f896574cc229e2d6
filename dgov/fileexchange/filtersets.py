import django_filters
from django.utils.translation import gettext_lazy as _

from dgov.fileexchange.models import FilePackage, Format, PackageStatus


class FilePackageFilterSet(django_filters.FilterSet):
    application = django_filters.CharFilter(label=_("Application code"), field_name="application__code")
    service_code = django_filters.CharFilter(label=_("Service code"), field_name="entry__code")
    format = django_filters.ChoiceFilter(label=_("Format"), choices=Format.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=PackageStatus.choices)

    class Meta:
        model = FilePackage
        fields = ["application", "service_code", "format", "status"]
