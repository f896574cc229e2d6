"""Django-side parts of the exchange gateway benchmark (bench/exchange/run): the settings and URL
conf the benchmark server runs with, the baseline view, and the set-up and after-run commands. Put
bench/exchange/site on PYTHONPATH to import it; nothing in dgov imports it."""
