# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""YAML from people and tools brick does not control, read within bounds.

PyYAML's ``SafeLoader`` builds no arbitrary objects, but it bounds
nothing: nine anchors of ten aliases each (a "billion laughs") make a
few hundred bytes stand for a billion values, and anything that then
walks the result (a validator, an error message echoing the value)
runs for minutes and gigabytes.  Merge keys (``<<: *defaults``) copy
nodes for real.  Deep nesting ends in a ``RecursionError`` somewhere
inside PyYAML.  :func:`load` refuses, with a
:class:`brick.exception.InvalidInput` naming the document and the
limit, before anything is constructed:

* a document larger than :data:`MAX_CHARACTERS`;
* nesting deeper than :data:`MAX_DEPTH`, counted through aliases;
* more than :data:`MAX_NODES` values once every alias is expanded
  (aliases and merge keys stay usable: ``<<: *defaults`` in every pool
  of a large site is far below the limit);
* an alias inside the node it refers to (a recursive structure);
* a key given twice in one mapping (PyYAML would keep the last one
  silently).

The node graph is measured once, each anchored node once (its expanded
size is remembered), so the check costs time in proportion to the text,
not to its expansion.
"""

import typing
from collections.abc import Hashable
from collections.abc import Sequence
from typing import Any

import yaml
from yaml import nodes as yaml_nodes

from brick import exception

MAX_CHARACTERS = 4 * 1024 * 1024
"""The largest document read: 4 Mi characters, about 20,000 pools of six
lines each."""

MAX_DEPTH = 32
"""Nesting levels; an inventory needs four."""

MAX_NODES = 1_000_000
"""Values (scalars, lists and mappings) the document may stand for once
every alias is expanded."""


_MERGE = 'tag:yaml.org,2002:merge'


class _Loader(yaml.SafeLoader):
    """SafeLoader that bounds nesting while composing and refuses
    duplicate keys instead of keeping the last."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml_nodes.Node | None, index: int
                     ) -> yaml_nodes.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                # (types-PyYAML leaves peek_event unannotated)
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise _Refused('nested more than %d levels deep'
                               % MAX_DEPTH, event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml_nodes.MappingNode,
                          deep: bool = False) -> dict[Hashable, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                continue  # merged keys yield to the mapping's own
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: PyYAML says so next
                duplicate = False
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, 'duplicate key %s' % exception.shown(key),
                    key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


class _Refused(Exception):
    def __init__(self, reason: str, mark: yaml.Mark | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.mark = mark


def read(stream: typing.TextIO, source: str) -> str:
    """Read a document from the text *stream*, at most
    :data:`MAX_CHARACTERS` of it.

    :raises brick.exception.InvalidInput: it is longer.
    """
    text = stream.read(MAX_CHARACTERS + 1)
    _check_length(text, source)
    return text


def _check_length(text: str, source: str) -> None:
    if len(text) > MAX_CHARACTERS:
        raise exception.InvalidInput(
            reason='%s is larger than %d characters, the most brick reads'
                   % (source, MAX_CHARACTERS))


def load(text: str, source: str = '<string>') -> object:
    """Parse the YAML document *text* within the limits above.

    :param source: names the document in error messages.
    :returns: the plain data (dicts, lists, str, int, float, bool, None,
        dates) of a SafeLoader.
    :raises brick.exception.InvalidInput: not YAML, or beyond a limit,
        naming *source* and the line.
    """
    _check_length(text, source)
    loader = _Loader(text)
    loader.name = source  # what PyYAML's own messages call it
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _measure(node, 1, {}, set())
        return loader.construct_document(node)
    except _Refused as err:
        where = '' if err.mark is None else ', line %d' % (err.mark.line
                                                          + 1)
        raise exception.InvalidInput(
            reason='%s%s is refused: %s' % (source, where,
                                           err.reason)) from None
    except yaml.YAMLError as err:
        raise exception.InvalidInput(
            reason='%s is not valid YAML: %s' % (
                source, ' '.join(str(err).split()))) from err
    finally:
        loader.dispose()


def _children(node: yaml_nodes.Node) -> Sequence[yaml_nodes.Node]:
    if isinstance(node, yaml_nodes.SequenceNode):
        items: list[yaml_nodes.Node] = node.value
        return items
    if isinstance(node, yaml_nodes.MappingNode):
        return [item for pair in node.value for item in pair]
    return ()


def _measure(node: yaml_nodes.Node, depth: int,
             memo: dict[int, tuple[int, int]], active: set[int]
             ) -> tuple[int, int]:
    """``(values, height)`` of *node* with aliases expanded; raise
    :class:`_Refused` past a limit.  *memo* holds what is known of each
    node (by id), *active* the nodes being measured (a cycle)."""
    key = id(node)
    known = memo.get(key)
    if known is None:
        if key in active:
            raise _Refused('an alias refers to a node that contains it',
                           node.start_mark)
        if depth > MAX_DEPTH:
            raise _Refused('nested more than %d levels deep, counting '
                           'aliases' % MAX_DEPTH, node.start_mark)
        active.add(key)
        size, height = 1, 0
        for child in _children(node):
            child_size, child_height = _measure(child, depth + 1, memo,
                                                active)
            size += child_size
            height = max(height, child_height)
            if size > MAX_NODES:
                raise _Refused('it stands for more than %d values once its '
                           'aliases are expanded' % MAX_NODES,
                           node.start_mark)
        active.discard(key)
        known = memo[key] = (size, height + 1)
    if depth - 1 + known[1] > MAX_DEPTH:
        raise _Refused('nested more than %d levels deep, counting aliases'
                       % MAX_DEPTH, node.start_mark)
    return known
