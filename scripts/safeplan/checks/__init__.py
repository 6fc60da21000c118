"""Library → problems: the rule registry and the rules grouped by subject."""
