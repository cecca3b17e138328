"""The targets of issue 21, each with this run's figure and whether it is met. Read on the
wall-clock medians (the CPU figures beside them in the sections above are steadier on a shared
machine). `make load` reports its own (throughput, p95, errors)."""

from __future__ import annotations


def rows(results: dict) -> list[tuple[str, str, str, str]]:
    """(target, limit, figure, verdict) for every target of issue 21 this bench measures."""
    from bench.pages_bench import TARGETS
    from bench.sweep_bench import TARGET_MS_1000

    out = []
    pages = results.get("pages", {})
    for name, (ms, queries) in TARGETS.items():
        figures = pages.get(name)
        if figures is None:
            out.append((name, f"<= {ms} ms", "not measured", "-"))
            continue
        out.append(
            (name, f"<= {ms} ms", f"{figures['median_ms']} ms", _verdict(figures["median_ms"], ms))
        )
        if queries is not None:
            out.append(
                (
                    f"{name}, queries",
                    f"<= {queries}",
                    str(figures["queries"]),
                    _verdict(figures["queries"], queries),
                )
            )
    from bench.volume_bench import TARGET_SEARCH_MS

    for words, figures in results.get("volume", {}).get("search", {}).items():
        ms = figures["page_median_ms"]
        out.append(
            (
                f"queue search {words!r} (page)",
                f"<= {TARGET_SEARCH_MS} ms",
                f"{ms} ms",
                _verdict(ms, TARGET_SEARCH_MS),
            )
        )
    sweep = results.get("sweep", {}).get("1000 due")
    if sweep is None:
        out.append(("SLO sweep, 1,000 due items", f"<= {TARGET_MS_1000} ms", "not measured", "-"))
    else:
        out.append(
            (
                "SLO sweep, 1,000 due items",
                f"<= {TARGET_MS_1000} ms",
                f"{sweep['median_ms']} ms",
                _verdict(sweep["median_ms"], TARGET_MS_1000),
            )
        )
    return out


def _verdict(figure: float, limit: float) -> str:
    return "met" if figure <= limit else "NOT MET"


def report(results: dict) -> list[dict]:
    size = results.get("dataset", {}).get("requests")
    where = f"{size:,} requests" if size else "no dataset"
    print(f"== targets (issue 21) at {where}, {results.get('database')}")
    table = rows(results)
    print(f"{'target':42} {'limit':>10} {'figure':>14}  verdict")
    for target, limit, figure, verdict in table:
        print(f"{target:42} {limit:>10} {figure:>14}  {verdict}")
    return [dict(zip(("target", "limit", "figure", "verdict"), row, strict=True)) for row in table]


# A page whose CPU time grows by less than this between two dataset sizes counts as
# independent of the size (the wall-clock median moves with whatever else the machine runs).
SIZE_INDEPENDENT_RATIO = 1.5


def compare_sizes(results: dict, var_dir) -> list[dict]:
    """Each page's figures at this size beside those of every other size measured before
    (var/bench/latest-<size>.json), and whether its cost is independent of the data size."""
    import json

    size = results.get("dataset", {}).get("requests")
    pages = results.get("pages", {})
    if not size or not pages:
        return []
    others = {}
    for path in sorted(var_dir.glob("latest-*.json")):
        try:
            other = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        other_size = other.get("dataset", {}).get("requests")
        if other_size and other_size != size and other.get("pages"):
            others[other_size] = other
    rows = []
    for other_size, other in sorted(others.items()):
        small, large = sorted([(size, pages), (other_size, other["pages"])], key=lambda x: x[0])
        print(
            f"== page costs at {small[0]:,} and {large[0]:,} requests "
            f"(the other size from {other.get('when', '?')})"
        )
        print(
            f"{'page':31} {'median':>9} {'median':>9} {'cpu':>9} {'cpu':>9} {'queries':>9}  "
            "independent of size?"
        )
        for name, figures in small[1].items():
            big = large[1].get(name)
            if name == "explain" or big is None:
                continue
            ratio = big["cpu_ms"] / figures["cpu_ms"] if figures["cpu_ms"] else 1.0
            same = ratio < SIZE_INDEPENDENT_RATIO and big["queries"] == figures["queries"]
            print(
                f"{name:31} {figures['median_ms']:>7.1f}ms {big['median_ms']:>7.1f}ms "
                f"{figures['cpu_ms']:>7.1f}ms {big['cpu_ms']:>7.1f}ms "
                f"{figures['queries']:>4} {big['queries']:>4}  "
                f"{'yes' if same else 'NO'} (cpu x{ratio:.2f})"
            )
            rows.append(
                {
                    "page": name,
                    "sizes": [small[0], large[0]],
                    "median_ms": [figures["median_ms"], big["median_ms"]],
                    "cpu_ms": [figures["cpu_ms"], big["cpu_ms"]],
                    "queries": [figures["queries"], big["queries"]],
                    "independent": same,
                }
            )
    return rows
