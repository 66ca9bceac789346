"""The local SOR simulator: OAuth2 token endpoint and WebSocket server on loopback.

It writes its own wire text and never imports the client's protocol code.

Python API (tests, demo, benchmarks)::

    from sor_tui.sim.config import SimConfig
    from sor_tui.sim.server import Simulator

    async with Simulator(SimConfig(seed=1, clock="fixed")) as sim:
        sim.ws_url, sim.oauth_url, sim.client_id, sim.client_secret
        sim.set_scenario("drop", every=2.0)          # see sor_tui.sim.scenarios
        sim.pause(); sim.step(10); sim.resume()       # deterministic checks
        sim.server_book("BTCUSD")                     # canonical strings, best first
        sim.sent_executions("BTCUSD"), sim.stats
        await sim.wait_for_connections(1)

Modules: config (SimConfig), markets (tick table), generator (seeded books), engine (fan-out),
operations (requests and error codes), session (per-connection writer), oauth and tokens
(token endpoint), scenarios (fault switches), garbage (hostile frames), wire (encoders),
replay_source (serving a recording). ``sor-tui sim`` is ``sor_tui.commands.sim``; the
firehose benchmark is ``python -m bench.sim_throughput``.
"""
