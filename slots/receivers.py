"""Keep free slots in line with working hours when a schedule changes, inside
the transaction of the change: a failure here undoes the change."""

from django.dispatch import receiver

from salons.models import Salon, StaffMember
from salons.signals import salon_schedule_changed, staff_schedule_changed
from slots.services import slots_generate, slots_sync_for_staff


@receiver(staff_schedule_changed, dispatch_uid="slots.resync_on_schedule_change")
def resync_slots(sender, *, staff_member_id: int, **kwargs) -> None:
    staff_member = (
        StaffMember.objects.select_related("salon")
        .prefetch_related("working_hours", "days_off", "salon__closures")
        .filter(pk=staff_member_id)
        .first()
    )
    if staff_member is not None:
        slots_sync_for_staff(staff_member=staff_member)


@receiver(salon_schedule_changed, dispatch_uid="slots.resync_on_salon_schedule_change")
def resync_salon_slots(sender, *, salon_id: int, **kwargs) -> None:
    salon = Salon.objects.filter(pk=salon_id).first()
    if salon is not None:
        slots_generate(salon=salon)
