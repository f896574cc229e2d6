"""`{% load duties %}{% entry_duties entry %}`: on a catalog entry's page, the duties whose data the
entry holds (as far as the reader may see them). A template-level link: the catalog imports nothing
from this app."""

from django import template

from dgov.duties.selectors import duties_of_entry

register = template.Library()


@register.inclusion_tag("duties/_entry_duties.html", takes_context=True)
def entry_duties(context, entry):
    user = context["request"].user
    return {"duties": list(duties_of_entry(user, entry)), "entry": entry}
