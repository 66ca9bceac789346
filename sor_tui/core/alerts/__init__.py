"""Desk alerts: rules, a per-rule state machine and an engine; pure, with time injected.

``machine`` holds the inactive -> pending -> firing -> resolved state machine, ``rules`` the
rule definitions and their conditions, ``signals`` what a rule reads, ``health`` the
tracker that turns feed observations into signals, and ``engine`` the set of machines.
"""
