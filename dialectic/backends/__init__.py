"""Serving backends: vLLM servers (chat, reward over ``/classify``), HTTP clients, in-process equivalents.

Nothing heavy is imported here: torch, vllm, transformers and peft are imported inside the functions that
need them, and the HTTP clients import httpx when constructed.
"""
