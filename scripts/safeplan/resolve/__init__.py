"""Library → one view per school: applicability applied, templates filled, the public edition redacted."""
