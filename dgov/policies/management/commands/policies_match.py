from dgov.core.management.daily import DailyCommand
from dgov.policies import services


class Command(DailyCommand):
    help = ("Enterprise policies: published policies whose validity ended expire; then every published policy "
            "is evaluated against every enterprise profile. Eligible enterprises are told once, and for a policy "
            "without application (免申即享) their benefit case is opened once. Idempotent; run daily (e.g. from "
            "cron: `dgov manage policies_match`).")
    today_help = "the day to evaluate on (YYYY-MM-DD; default: today)"

    def run(self, day):
        expired = services.expire_ended(today=day)
        run = services.match_all(actor=None, today=day)
        return (f"policies: {expired} expired; {run.policies} matched against the profiles, "
                f"{run.evaluated} evaluations, {run.eligible} eligible, {run.changed} changed, "
                f"{run.notified} told, {run.cases} benefit cases opened"
                + (f"; not done: {len(run.failed)}" if run.failed else ""))
