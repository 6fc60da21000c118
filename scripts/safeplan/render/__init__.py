"""Views → files: the only stage that writes, through render.output."""
