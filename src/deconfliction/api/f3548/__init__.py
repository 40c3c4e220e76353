"""The ASTM F3548-21 DSS interface over HTTP (/dss/v1): routes and USS authentication. Its rules
live in `deconfliction.f3548`."""
