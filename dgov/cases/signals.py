"""What other apps hook into a case's processing (payment, supervision, bundles, ratings, policies).

Both signals are sent inside the transition's transaction, with the case row locked, so a receiver's
writes land together with the transition or not at all.

- `case_transitioning(sender=Case, case, action, actor, data)`: before anything changes. A receiver
  may refuse the action by raising `dgov.core.errors.ValidationError` (or `Conflict`) with a code of
  its own, e.g. payments refuses `deliver` while a fee is unpaid (`fee_unpaid`).
- `case_transitioned(sender=Case, case, action, actor, before, data)`: after the case, its event and
  its audit entry are written (`before` is the state it left; `data` the event's details). Also sent
  for `submit`, `resubmit` and `open_proactive`, with those as the action.
"""

from django.dispatch import Signal

case_transitioning = Signal()
case_transitioned = Signal()
