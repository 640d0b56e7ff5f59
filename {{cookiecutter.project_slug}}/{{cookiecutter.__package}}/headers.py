"""The security headers every response carries, whatever the framework.

The service answers JSON to machines, so the baseline is strict: nothing may be
sniffed, framed, cached or loaded by a page it returns, and no Referer leaks.
Each framework applies exactly this list, in one place (middleware or handler).
"""

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    # Answers describe this instant (health, readiness, data): no proxy or browser may keep them.
    ("Cache-Control", "no-store"),
)
