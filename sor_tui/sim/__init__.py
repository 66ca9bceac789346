"""The local SOR simulator: OAuth2 token endpoint and WebSocket server on loopback.

It writes its own wire text and never imports the client's protocol code.
"""
