"""Counting, joining and splitting batch values along a dimension.

Arrays (numpy, torch), DataFrames and Series (along rows), and plain lists are batchable;
a tuple of them is one value per output of a method that returns several.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["BatchValueError", "batch_size", "concat", "join_key", "split", "take"]


class BatchValueError(TypeError):
    """A value that cannot be batched along the method's batch dimension."""

    def __init__(self, what: str, value: Any, dim: int) -> None:
        super().__init__(f"{what}: cannot batch a {type(value).__name__} along dimension {dim}")
        self.value_type = type(value).__name__
        self.dim = dim


def _is_torch(value: Any) -> bool:
    return type(value).__module__.startswith("torch")


def _is_pandas(value: Any) -> bool:
    return type(value).__module__.startswith("pandas")


def batch_size(value: Any, dim: int) -> int:
    """Items ``value`` holds along ``dim``."""
    if isinstance(value, np.ndarray) or _is_torch(value):
        if value.ndim <= dim:
            raise BatchValueError(f"an array of rank {value.ndim}", value, dim)
        return int(value.shape[dim])
    if _is_pandas(value) and dim == 0:
        return len(value)
    if isinstance(value, list) and dim == 0:
        return len(value)
    raise BatchValueError("batch input", value, dim)


def join_key(args: tuple[Any, ...], dim: int) -> object:
    """What one request's arguments must share with the others of a batch along ``dim``.

    Values of one type; arrays of one dtype (and device) and one shape apart from ``dim``;
    frames of one set of columns and dtypes; series of one dtype. numpy would promote other
    dtypes and pandas fill missing columns with NaN: the model would see values no request
    sent.
    """
    if len(args) == 1:  # most methods take one argument
        return _join_key(args[0], dim)
    return tuple(_join_key(value, dim) for value in args)


def _join_key(value: Any, dim: int) -> object:
    if type(value) is np.ndarray:
        shape = value.shape
        return (
            (value.dtype, shape[1:]) if dim == 0 else (value.dtype, shape[:dim], shape[dim + 1 :])
        )
    if _is_torch(value):
        shape = tuple(value.shape)
        return (type(value), value.dtype, value.device, shape[:dim], shape[dim + 1 :])
    if _is_pandas(value):
        if hasattr(value, "columns"):
            return (type(value), tuple(value.columns), tuple(value.dtypes))
        return (type(value), value.dtype)
    return type(value)


def concat(values: Sequence[Any], dim: int) -> Any:
    """One value made of ``values`` one after the other along ``dim``."""
    if len(values) == 1:
        return values[0]
    first = values[0]
    if isinstance(first, np.ndarray):
        return np.concatenate(values, axis=dim)
    if _is_torch(first):
        import torch

        return torch.cat(list(values), dim=dim)
    if _is_pandas(first):
        import pandas as pd

        return pd.concat(list(values), axis=0)
    if isinstance(first, list):
        return [item for value in values for item in value]
    raise BatchValueError("batch input", first, dim)


def split(value: Any, sizes: Sequence[int], dim: int) -> list[Any]:
    """``value`` cut along ``dim`` into consecutive pieces of ``sizes`` items each.

    A tuple is split element-wise (one output per element). The total must match: a
    method that returns fewer or more items than it was given breaks its batch contract.
    """
    if isinstance(value, tuple):
        columns = [split(element, sizes, dim) for element in value]
        return [tuple(column[i] for column in columns) for i in range(len(sizes))]
    total = sum(sizes)
    have = batch_size(value, dim) if not isinstance(value, (int, float)) else -1
    if have != total:
        raise BatchValueError(
            f"a batch of {total} items returned {have if have >= 0 else 'a scalar'}", value, dim
        )
    if len(sizes) == 1:
        return [value]
    pieces: list[Any] = []
    start = 0
    if dim == 0 and isinstance(value, np.ndarray):  # the common case: plain slices
        for size in sizes:
            pieces.append(value[start : start + size])
            start += size
        return pieces
    for size in sizes:
        pieces.append(take(value, start, start + size, dim))
        start += size
    return pieces


def take(value: Any, start: int, stop: int, dim: int) -> Any:
    """Items ``start:stop`` of ``value`` along ``dim`` (the whole value when that is all)."""
    if start == 0 and stop == batch_size(value, dim):
        return value
    if isinstance(value, np.ndarray) or _is_torch(value):
        index: list[Any] = [slice(None)] * value.ndim
        index[dim] = slice(start, stop)
        return value[tuple(index)]
    if _is_pandas(value):
        return value.iloc[start:stop]
    return value[start:stop]
