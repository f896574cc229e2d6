from dgov.core.management.daily import DailyCommand
from dgov.demands.services import remind_overdue


class Command(DailyCommand):
    help = ("Data supply–demand list: tell both sides (in-app) of every demand past its reply deadline; "
            "each overdue demand once. Run daily (e.g. from cron: `dgov manage demands_remind`).")

    def run(self, day):
        result = remind_overdue(today=day)
        return f"overdue data demands reminded: {result['demands']}, messages sent: {result['messages']}"
