import re

from django import forms
from django.utils.translation import gettext_lazy as _

from dgov.catalog.models import OpenType, ResourceFormat, UpdateCycle
from dgov.opendata.feedback import ASKED_KINDS
from dgov.opendata.models import License, RequestStatus, Topic
from dgov.orgs.models import Department

SORT_CHOICES = [("modified", _("Recently updated")), ("published", _("Recently published")),
                ("title", _("Title")), ("views", _("Most viewed")), ("downloads", _("Most downloaded"))]


class SearchForm(forms.Form):
    """The portal's search: words, one value per facet, an order."""

    q = forms.CharField(label=_("Search"), max_length=50, required=False, strip=True)
    topic = forms.SlugField(label=_("Topic"), max_length=40, required=False)
    department = forms.RegexField(label=_("Department"), regex=r"^[0-9]{9}$", required=False)
    format = forms.ChoiceField(label=_("Format"), choices=[("", "")] + ResourceFormat.choices, required=False)
    open_type = forms.ChoiceField(label=_("Open type"), required=False,
                                  choices=[("", ""), (OpenType.UNCONDITIONAL, OpenType.UNCONDITIONAL.label),
                                           (OpenType.CONDITIONAL, OpenType.CONDITIONAL.label)])
    update_cycle = forms.ChoiceField(label=_("Update cycle"), choices=[("", "")] + UpdateCycle.choices,
                                     required=False)
    sort = forms.ChoiceField(label=_("Order"), choices=SORT_CHOICES, required=False)


class ApplicationForm(forms.Form):
    organisation = forms.CharField(label=_("Organisation you act for"), max_length=200, required=False)
    purpose = forms.CharField(label=_("Purpose"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    scenario = forms.CharField(label=_("Where the data will be used"), max_length=500)
    requested_days = forms.IntegerField(label=_("Access wanted (days)"), min_value=1, max_value=366, initial=90)
    agreed = forms.BooleanField(label=_("I have read and accept the data-use agreement."), required=True)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))],
                                 widget=forms.RadioSelect)
    days = forms.IntegerField(label=_("Access granted (days)"), min_value=1, max_value=366, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


class DatasetForm(forms.Form):
    """An open dataset's public description (the officials' side)."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False,
                            help_text=_("Empty: the catalog entry's name."))
    description = forms.CharField(label=_("Description"), max_length=4000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}),
                                  help_text=_("Empty: the catalog entry's summary."))
    topics = forms.ModelMultipleChoiceField(label=_("Topics"), queryset=Topic.objects.all(), to_field_name="code",
                                            required=False, widget=forms.CheckboxSelectMultiple)
    keywords = forms.CharField(label=_("Keywords"), max_length=400, required=False,
                               help_text=_("Separated by commas or 、."))
    license = forms.ChoiceField(label=_("Terms of use"), choices=License.choices)

    def clean_keywords(self):
        words = [w.strip() for w in re.split(r"[,，、;；]", self.cleaned_data["keywords"]) if w.strip()]
        if len(words) > 20 or any(len(w) > 40 for w in words):
            raise forms.ValidationError(_("At most 20 keywords of at most 40 characters each."))
        return words


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RequestForm(forms.Form):
    title = forms.CharField(label=_("What data do you need?"), max_length=200)
    description = forms.CharField(label=_("Details and what you will use it for"), max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    department = forms.ModelChoiceField(
        label=_("Department asked"), to_field_name="code",
        queryset=Department.objects.filter(kind__in=ASKED_KINDS).order_by("code"))


class AnswerForm(forms.Form):
    status = forms.ChoiceField(label=_("Answer"), widget=forms.RadioSelect, choices=[
        (RequestStatus.ANSWERED, RequestStatus.ANSWERED.label), (RequestStatus.PLANNED, RequestStatus.PLANNED.label),
        (RequestStatus.DECLINED, RequestStatus.DECLINED.label)])
    answer = forms.CharField(label=_("Answer the public will read"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))
    dataset = forms.CharField(label=_("Dataset opened in answer (name)"), max_length=100, required=False)


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(label=_("Rating"), coerce=int, choices=[(n, str(n)) for n in range(5, 0, -1)])
    comment = forms.CharField(label=_("Comment"), max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class KeyForm(forms.Form):
    name = forms.CharField(label=_("Name of the application that uses the key"), max_length=100)


class ShowcaseForm(forms.Form):
    title = forms.CharField(label=_("Name of the application"), max_length=200)
    description = forms.CharField(label=_("What it does with the data"), max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    url = forms.URLField(label=_("Address (web site or download page)"), max_length=500, required=False)
    datasets = forms.CharField(label=_("Datasets used (names, separated by commas)"), max_length=1000)

    def clean_datasets(self):
        from dgov.opendata.selectors import published

        names = [n.strip() for n in re.split(r"[,，、\s]+", self.cleaned_data["datasets"]) if n.strip()]
        found = list(published().filter(name__in=names))
        missing = sorted(set(names) - {d.name for d in found})
        if missing:
            raise forms.ValidationError(_("No published dataset has the name %(names)s.") % {
                "names": "、".join(missing)})
        return found
