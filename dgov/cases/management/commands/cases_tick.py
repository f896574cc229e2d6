from dgov.cases.clock import tick
from dgov.core.management.daily import DailyCommand


class Command(DailyCommand):
    help = ("Cases: the daily clock run. Cases without an acceptance decision or correction notice 5 working "
            "days after receipt count as accepted; the departments are warned of cases due soon (yellow) or "
            "today (red), once per level; overdue cases are escalated to the supervisors, once. Run daily "
            "(e.g. from cron: `dgov manage cases_tick`).")

    def run(self, day):
        result = tick(day)
        return (f"cases: {result['deemed_accepted']} accepted by law, {result['warnings']} warned, "
                f"{result['escalated']} escalated, messages sent: {result['messages']}")
