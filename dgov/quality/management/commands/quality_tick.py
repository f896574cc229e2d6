from dgov.core.management.daily import DailyCommand
from dgov.quality.services import run_tick


class Command(DailyCommand):
    help = ("Data quality: the daily run. Tables whose quality schedule is due are checked, and each overdue "
            "remediation task is escalated once to the data governors and the department. Run daily (e.g. from "
            "cron: `dgov manage quality_tick`).")

    def run(self, day):
        result = run_tick(today=day)
        return (f"quality: {result['runs']} tables checked ({result['failed_runs']} could not run), "
                f"{result['escalated']} tasks escalated, messages sent: {result['messages']}")
