"""What runs the feed for a screen: feed thread, shared state, sources, frames, GC policy.

No Textual here: the app in ``ui`` drives these through plain calls and timers.
"""
