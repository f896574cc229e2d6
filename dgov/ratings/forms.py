"""The forms of ratings: the applicant's rating and the officials' rectification steps (the checks are
the services'; these only collect)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dgov.ratings.models import INDICATORS, Level, Step
from dgov.ratings.selectors import NO_RECTIFICATION

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class RatingForm(forms.Form):
    level = forms.TypedChoiceField(label=_("How satisfied are you with this service?"), coerce=int,
                                   choices=Level.choices, widget=forms.RadioSelect)
    indicators = forms.MultipleChoiceField(
        label=_("What do you rate? (choose at least one if you are not satisfied)"), required=False,
        choices=list(INDICATORS.items()), widget=forms.CheckboxSelectMultiple)
    comment = forms.CharField(label=_("Comment (optional)"), required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class StepForm(forms.Form):
    """The form of the rectification's current step: its text, and for the verification whether the
    complaint is founded, for the call-back whether the applicant is satisfied."""

    LABELS = {Step.VERIFY: _("What the verification found"),
              Step.FIX: _("What was fixed (or, if unfounded, the explanation given to the applicant)"),
              Step.CALLBACK: _("What the applicant said when called back")}

    text = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, step: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.step = step
        self.fields["text"].label = self.LABELS[step]
        if step == Step.VERIFY:
            self.fields["founded"] = forms.ChoiceField(label=_("Is the complaint founded?"), choices=YES_NO,
                                                       widget=forms.RadioSelect)
        elif step == Step.CALLBACK:
            self.fields["satisfied"] = forms.ChoiceField(label=_("Is the applicant satisfied with the fix?"),
                                                         choices=YES_NO, widget=forms.RadioSelect)

    def step_data(self) -> dict:
        data = {"text": self.cleaned_data["text"]}
        for name in ("founded", "satisfied"):
            if name in self.cleaned_data:
                data[name] = self.cleaned_data[name] == "yes"
        return data


class RatingFilterForm(forms.Form):
    level = forms.TypedChoiceField(label=_("Level"), required=False, coerce=int, empty_value=None,
                                   choices=[("", _("Any level"))] + list(Level.choices))
    state = forms.ChoiceField(label=_("Rectification"), required=False,
                              choices=[("", _("Any")), (NO_RECTIFICATION, _("none (not a bad rating)"))]
                              + list(Step.choices))
    overdue = forms.ChoiceField(label=_("Overdue"), required=False,
                                choices=[("", _("Any")), ("yes", _("overdue")), ("no", _("not overdue"))])
