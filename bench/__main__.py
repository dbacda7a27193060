"""`make bench`: run every benchmark module (bench/bench_*.py), each printing its own figures.

`python -m bench NAME...` runs only those (e.g. `python -m bench segment`).
"""

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(
        m.name[len("bench_") :]
        for m in pkgutil.iter_modules([str(here)])
        if m.name.startswith("bench_")
    )
    chosen = argv or names
    for name in chosen:
        if name not in names:
            print(f"no benchmark {name!r}; have {', '.join(names)}", file=sys.stderr)
            return 2
        print(f"\n== {name} ==", flush=True)
        importlib.import_module(f"bench.bench_{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
