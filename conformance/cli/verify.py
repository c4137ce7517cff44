"""`conformance verify BUNDLE.zip [--public-key K]`: is a signed evidence bundle intact? (placeholder)"""


def verify() -> None:
    """stub"""
