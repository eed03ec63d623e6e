"""Benchmarks of the krefeld-kg toolkit: a generator of synthetic graphs in our data contract
(``python -m bench.generate``) and the harness that measures every stage against its engine anchors
(``python -m bench``). Not part of the test suite; results are kept in bench/RESULTS.md."""
