"""Content → the limits every reader of content enforces: what is larger is a mistake or an attack, never content."""

MAX_FILE_BYTES = 2 * 1024 * 1024  # the largest real plan is ~30 KB
MAX_DEPTH = 40  # deeper YAML or Markdown is a mistake or an attack, never content; renderers use it too
MAX_DIGITS = 15  # no count in a plan comes near 10^15, and JavaScript and JSON readers stay exact below 2^53
MAX_KEY = 100  # characters in a field name
MAX_LINE = 10_000  # characters in one line: the site's Chinese word segmentation is quadratic in a line's length
