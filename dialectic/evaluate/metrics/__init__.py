"""The shipped metrics, one small module per metric or per family of tiny related ones.

Every module here is imported by `dialectic.evaluate.load_metrics()`: a new metric is one new file
with a function decorated by `@metric("name", "one-line definition")`, and nothing else changes.
"""
