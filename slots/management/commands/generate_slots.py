from django.core.management.base import BaseCommand, CommandError

from salons.models import Salon
from slots.services import slots_generate


class Command(BaseCommand):
    help = "Create the bookable slots that working hours call for (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="How many days ahead (default: each salon's booking window)")
        parser.add_argument("--salon", help="Only this salon's slug")

    def handle(self, *args, days=None, salon=None, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        target = None
        if salon:
            target = Salon.objects.filter(slug=salon).first()
            if target is None:
                raise CommandError(f"No salon with slug {salon!r}")
        result = slots_generate(salon=target, days=days)
        self.stdout.write(f"Slots created: {result.created}, removed: {result.removed}")
