"""How payments hooks into case processing (connected in `apps.PaymentsConfig.ready`): an approval of
an item that charges fees creates the fee order (so does the acceptance of a 即办件, which approves and
closes it at once); delivery is refused while the order is unpaid."""

from django.utils.translation import gettext as _

from dgov.core.errors import ValidationError


def on_transitioned(sender, case, action, actor, data=None, **kwargs):
    if action == "approve" or (action == "accept" and (data or {}).get("instant")):
        from dgov.payments.services import create_for_case

        create_for_case(case, actor)


def on_transitioning(sender, case, action, actor, **kwargs):
    if action != "deliver":
        return
    from dgov.payments.models import FeeOrder, OrderState

    order = FeeOrder.objects.filter(case=case, state=OrderState.UNPAID).first()
    if order is not None:
        message = _("The fee (order %(number)s) has not been paid yet: the result can be delivered once it is.") % {
            "number": order.number}
        raise ValidationError(message, code="fee_unpaid", details={"fee": [message]})
