"""Rolecall at handbook scale: a generated corpus (``benchmarks.generate``) and the benchmark
that measures build, rebuild, start-up, answer latency, memory, accuracy and HTTP load on it
(``benchmarks.run``). Results are written up in ``BENCHMARKS.md``."""
