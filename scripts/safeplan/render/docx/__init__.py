"""Word (.docx) output of the bundles, for 备案."""
