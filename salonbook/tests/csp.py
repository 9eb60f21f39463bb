"""Content-Security-Policy violations in a browser test, reported as page errors.

``watch_csp(page, errors)`` appends one line to ``errors`` for every
violation on ``page``: Chromium's console report ("... violates the following
Content Security Policy directive ...") and the page's
``securitypolicyviolation`` event, so a test that asserts ``errors == []``
fails when a page needs something the policy forbids (an inline script or
style, a script or font from elsewhere).
"""

from __future__ import annotations

from typing import Any

# Runs before the page's own scripts, outside the page's policy (an init script).
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`Content Security Policy violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


def watch_csp(page: Any, errors: list[str]) -> None:
    """Collect ``page``'s CSP violations into ``errors``."""
    page.add_init_script(_REPORT_VIOLATIONS)

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            errors.append(f"CSP: {message.text} ({page.url})")

    page.on("console", on_console)
