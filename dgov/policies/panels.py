"""The section policies add to a case's pages (dgov.cases.panels): on a benefit case opened without
application (免申即享), the policy it came from and why the enterprise was found eligible."""

from django.template.loader import render_to_string

from dgov.policies.models import PolicyMatch


def render_policy(request, case) -> str | None:
    if case.channel != "proactive":
        return None
    match = PolicyMatch.objects.filter(case=case).select_related("policy__department").first()
    if match is None:
        return None
    from dgov.policies.views import explanation_rows

    return render_to_string("policies/_case_panel.html", {"match": match, "rows": explanation_rows(match.explanation)},
                            request=request)
