"""The benchmark suite: measured speed at practice scale (see README, Performance)."""
