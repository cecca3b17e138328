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
