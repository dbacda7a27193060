"""Benchmarks: `make bench` runs every bench_*.py module (see __main__.py)."""

# Peak resident memory (MB) of the process evaluating this expression. Read from VmHWM, which
# belongs to the process image: `ru_maxrss` would also count the parent it was forked from
# before exec, so a large benchmark process would inflate every child it starts.
PEAK_RSS_MB_EXPR = (
    "int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) / 1024"
)


def peak_rss_mb() -> float:
    """`PEAK_RSS_MB_EXPR` in this process (e.g. in a Dask worker, through `Client.run`)."""
    return eval(PEAK_RSS_MB_EXPR)
