"""TS5xx: code that scripts but breaks later (on save, load or run) or differs from eager."""
