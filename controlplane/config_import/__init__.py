"""`lbctl import`: the haproxy.cfg and keepalived.conf a pair runs today, turned into a model.

Readers (`haproxy_reader.py`, `keepalived_reader.py`) split the originals into located
lines; `legacy.py` translates or refuses syntax HAProxy 2.6 no longer reads; the mappers
(`haproxy_mapping.py`, `conditions.py`, `keepalived_mapping.py`) build the model's data,
keeping what the model cannot express verbatim as `extra`; `importer.py` puts the hosts
together and `report.py` says, line by line, what became of each directive.
"""
