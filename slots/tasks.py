from celery import shared_task

from slots.services import slots_generate


@shared_task(name="slots.generate", ignore_result=True)
def generate_slots() -> dict[str, int]:
    """Keep every salon's rolling window of slots filled (run by beat)."""
    result = slots_generate()
    return {"created": result.created, "removed": result.removed}
