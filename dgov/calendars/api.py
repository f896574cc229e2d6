from ninja import Query, Router

from dgov.calendars.models import CalendarDay
from dgov.calendars.schemas import (
    CalendarDayFilter,
    CalendarDayIn,
    CalendarDayOut,
    CalendarDayPatch,
    DeadlineOut,
    DeadlineQuery,
)
from dgov.calendars.selectors import add_working_days
from dgov.core.api import READ_ERRORS, crud_router
from dgov.core.schemas import InputDate

days_router = crud_router(
    model=CalendarDay, out_schema=CalendarDayOut, in_schema=CalendarDayIn, patch_schema=CalendarDayPatch,
    filters=CalendarDayFilter, lookup="date", lookup_type=InputDate, tags=["calendar"],
)

router = Router(tags=["calendar"])


@router.get("/deadline", response={200: DeadlineOut, **READ_ERRORS}, operation_id="working_day_deadline")
def deadline(request, query: DeadlineQuery = Query(...)):
    """The date `days` working days after `start`, on the Chinese working-day calendar."""
    return {"start": query.start, "days": query.days, "deadline": add_working_days(query.start, query.days)}
