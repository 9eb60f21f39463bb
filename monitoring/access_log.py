"""gunicorn's access log, with nothing secret in it.

gunicorn writes its access log itself, past Django's logging filters, so the
rule of ``salonbook.scrub`` is applied here too: the path is masked (a
calendar feed's secret, a booking's or waitlist entry's reference, a
set-password link's token) and the query string is never written (staff
search by phone number or name). The referrer is left out for the same
reason: it is the previous page's full address.

Used by ``salonbook/gunicorn.conf.py`` (``logger_class``).
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from salonbook.scrub import mask_path

ACCESS_LOG_FORMAT = '%(h)s "%({x-forwarded-for}i)s" "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'


class MaskedAccessLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        path = mask_path(environ.get("PATH_INFO", ""))
        atoms.update({"U": path, "q": "", "f": "-", "r": f"{atoms['m']} {path} {atoms['H']}"})
        atoms.update({key: "-" for key in atoms if key.startswith("{") and key.endswith("}e")})
        return atoms
