"""Two commits → workflow problems: git history (the one place that talks to git), comparison, diffs, owners, hosts."""
