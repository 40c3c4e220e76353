"""`deconfliction demo`: the example story (story.py), its live aircraft (aircraft.py), and serving
it all until Ctrl-C (serve.py)."""
