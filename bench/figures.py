"""What every benchmark prints its samples with."""


def percentile(samples, fraction):
    """The sample at that fraction of the sorted samples (nearest rank; 0.95 for p95)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
