"""Pure Python building blocks: errors, clock, events, models and permissions. No I/O."""
