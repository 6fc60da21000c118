"""Content files → Library: the model, the loader (the one reader of content), schemas and labels."""
