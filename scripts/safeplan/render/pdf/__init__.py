"""SchoolView → PDF bundle."""
