"""Benchmarks: generated worlds of growing size, refreshed stage by stage and measured."""
