from dgov.core.management.daily import DailyCommand
from dgov.sharing.services import expire_grants, remind_overdue


class Command(DailyCommand):
    help = ("Sharing requests: tell the approvers and the consumer (in-app) of every request past its step's "
            "deadline, once per step, and mark expired grants. Run daily (e.g. from cron: "
            "`dgov manage sharing_remind`).")

    def run(self, day):
        result = remind_overdue(today=day)
        expired = expire_grants()
        return (f"overdue sharing requests reminded: {result['requests']}, messages sent: {result['messages']}, "
                f"grants expired: {expired}")
