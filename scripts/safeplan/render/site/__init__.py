"""Library and views → the MkDocs site."""
