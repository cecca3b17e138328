"""Seed (or reuse) the 100,000-request dataset; the page and sweep sections measure on it."""

from __future__ import annotations


def run() -> dict:
    from bench.dataset import seed

    return seed()
