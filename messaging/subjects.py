"""What a message is about, without a foreign key to it.

A message (and a reply) refers to its subject by a key ``"<kind>:<id>"``
(``"booking:42"``, ``"waitlist_offer:7"``): one indexed string column, so the
outbox needs no table of any other app, the key reads the same in a query, a
log line and the admin, and an app registers by its subject kind what the
outbox must ask it (``messaging.registry``). The tenant is kept beside it as
a plain integer, ``salon_id``, like every tenant table, so rows can later be
distributed by salon.
"""

from __future__ import annotations

from dataclasses import dataclass

from salonbook.text import record_id


@dataclass(frozen=True)
class Subject:
    kind: str
    id: int

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, key: str) -> Subject | None:
        kind, _, number = key.partition(":")
        pk = record_id(number)
        if not kind or pk is None:
            return None
        return cls(kind, pk)

    def __str__(self) -> str:
        return self.key
