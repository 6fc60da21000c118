"""Records and their figures → office files: the monthly Excel report and template, the drill calendar as ICS."""
