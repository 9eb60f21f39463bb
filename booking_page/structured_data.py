"""What search engines and link previews read of the page: schema.org JSON-LD
(a ``HairSalon`` with its address, telephone, opening hours and priced
services) and the Open Graph tags."""

from __future__ import annotations

from typing import Any

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def salon_json_ld(info: dict[str, Any], *, url: str) -> dict[str, Any]:
    """The salon as a schema.org ``HairSalon``."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "HairSalon",
        "@id": url,
        "name": info["name"],
        "url": url,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": info["address"],
            "addressCountry": info["region"],
        },
        "openingHoursSpecification": [
            {
                "@type": "OpeningHoursSpecification",
                "dayOfWeek": f"https://schema.org/{DAYS[int(day)]}",
                "opens": opens,
                "closes": closes,
            }
            for day, (opens, closes) in sorted(info["opening_hours"].items())
        ],
        "hasOfferCatalog": {
            "@type": "OfferCatalog",
            "name": "Services",
            "itemListElement": [
                {
                    "@type": "Offer",
                    "price": service["price"],
                    "priceCurrency": info["currency"],
                    "itemOffered": {
                        "@type": "Service",
                        "name": service["name"],
                        # ISO 8601 duration, as schema.org wants it.
                        "duration": f"PT{service['duration_minutes']}M",
                    },
                }
                for service in info["services"]
            ],
        },
    }
    if info["whatsapp_phone"]:
        data["telephone"] = info["whatsapp_phone"]
    return data
