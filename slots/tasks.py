from celery import shared_task

from slots.purge import slots_purge_past
from slots.services import slots_generate
from slots.sweep import slots_sweep_salons, sweep_batches


@shared_task(name="slots.generate", ignore_result=True)
def generate_slots() -> dict[str, int]:
    """Re-read every salon's whole window against its hours (by hand, after
    a bulk import; beat runs ``slots.sweep``)."""
    result = slots_generate()
    return {"created": result.created, "removed": result.removed}


@shared_task(name="slots.sweep", ignore_result=True)
def sweep() -> dict[str, int]:
    """Hourly (beat): queue one ``slots.sweep_salons`` task per batch of
    salons whose windows need days added."""
    batches = sweep_batches()
    for salon_ids in batches:
        sweep_salons.delay(salon_ids)
    return {"batches": len(batches)}


# Idempotent (it re-checks what is missing), so a redelivery is harmless.
@shared_task(name="slots.sweep_salons", ignore_result=True, acks_late=True)
def sweep_salons(salon_ids: list[int]) -> dict[str, int]:
    """Add the days that came into the window for these salons' staff."""
    result = slots_sweep_salons(salon_ids=salon_ids)
    return {"created": result.created}


@shared_task(name="slots.purge_past", ignore_result=True)
def purge_past_slots() -> dict[str, int]:
    """Remove past slots that hold nothing (beat, hourly), in batches."""
    return {"removed": slots_purge_past()}
