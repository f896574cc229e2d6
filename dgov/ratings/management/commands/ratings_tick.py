from dgov.core.management.daily import DailyCommand
from dgov.ratings.services import run_tick


class Command(DailyCommand):
    help = ("Ratings: the daily run. The department's rating managers are reminded of each bad rating whose "
            "current step (verify, fix, call back) is due today, and again once it is overdue. Run daily "
            "(e.g. from cron: `dgov manage ratings_tick`).")

    def run(self, day):
        result = run_tick(today=day)
        return (f"ratings: {result['due']} due today, {result['overdue']} overdue, "
                f"messages sent: {result['messages']}")
