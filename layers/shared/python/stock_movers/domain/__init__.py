"""Pure domain core: bars, percent change, winner, day validation, trading calendar. No AWS, no I/O."""
