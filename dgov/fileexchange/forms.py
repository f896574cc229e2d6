"""The form that prepares a package: one of the grants the user may prepare packages under, and the
data file's format (parquet offered only when the server has pyarrow)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dgov.fileexchange import build, selectors
from dgov.fileexchange.models import Format


class GrantChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, grant):
        return f"{grant.entry.code} {grant.entry.name} → {grant.application.name}（{grant.application.code}）"


class PackageForm(forms.Form):
    grant = GrantChoiceField(label=_("Sharing grant"), queryset=None,
                             help_text=_("Grants usable now on resources shared by file or database."))
    format = forms.ChoiceField(label=_("Format"), choices=Format.choices, initial=Format.CSV)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grant"].queryset = selectors.grants_for_packages(user)
        if not build.parquet_available():
            self.fields["format"].choices = [c for c in Format.choices if c[0] != Format.PARQUET]
            self.fields["format"].help_text = _("Parquet needs the optional component pyarrow (pip install "
                                                "dgov[parquet]), which this server does not have.")
