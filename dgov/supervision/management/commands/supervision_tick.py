from dgov.core.management.daily import DailyCommand
from dgov.supervision.services import run_tick


class Command(DailyCommand):
    help = ("Supervision: the daily run. The supervising departments' officers are reminded of each task not "
            "yet acknowledged that is due today, and again once it is overdue. Run daily (e.g. from cron: "
            "`dgov manage supervision_tick`).")

    def run(self, day):
        result = run_tick(today=day)
        return (f"supervision: {result['due']} due today, {result['overdue']} overdue, "
                f"messages sent: {result['messages']}")
