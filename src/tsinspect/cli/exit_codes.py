"""The exit codes every command shares (ruff's): 0 clean, 1 findings or mismatches, 2 usage or input error."""

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
