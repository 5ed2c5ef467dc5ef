"""TS0xx: input the linter cannot read (not Python, not UTF-8, unreadable, crashed)."""
