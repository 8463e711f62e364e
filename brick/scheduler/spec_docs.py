# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Operator documentation of the extra specs and hints, from the registry.

``python -m brick.scheduler.spec_docs > doc/source/admin/extra-specs.rst``
writes the page (a unit test checks the file is current); in Sphinx the
``.. brick-extra-specs::`` directive renders the same text in place, once
``brick.scheduler.spec_docs`` is in the ``extensions`` of ``conf.py``.
"""

import sys

from brick.scheduler import extra_specs
from brick.scheduler import spec_types

TITLE = 'Flavor extra specs and scheduler hints'

INTRO = """\
.. This page is generated from brick.scheduler.extra_specs by
   ``python -m brick.scheduler.spec_docs``; edit the registry, not this
   file.

A placement request is built from three sources; for every field the
first that sets it wins:

1. explicit arguments of the embedding service (a size on the boot
   request, say);
2. scheduler hints;
3. the flavor's ``brick:`` extra specs (the implicit case: the flavor
   carries size, backend and locality).

Inside the flavor, a numbered key (``brick:volume2_gb``) wins over the
flavor-wide key of the same field (``brick:local_gb``).  An unknown key
inside ``brick:`` or a bad value is an error naming the key, the value
and what is allowed; keys of other namespaces (``hw:``, ``resources:``)
are left to their owners.  Unknown hints are ignored, since other
services share the hints; known ones are checked.

Example: a flavor with a 50 GiB root disk on SSD and a 500 GiB data disk
on the cheapest slow pool, preferably on the instance's own host, never
outside its zone::

    openstack flavor set m1.local \\
        --property brick:count=2 \\
        --property brick:volume1_gb=50 --property brick:volume1_tags=ssd \\
        --property brick:volume2_gb=500 --property brick:volume2_tags=hdd \\
        --property brick:locality=host \\
        --property brick:locality_mode=preferred \\
        --property brick:locality_max=zone
"""


def _section(title, char):
    return ['', title, char * len(title), '']


def _keys(registry):
    lines = []
    for key, name in zip(registry.keys, registry.names(), strict=True):
        lines.append('``%s``' % name)
        lines.append('   :Allowed: %s' % key.type.allowed)
        if key.numbered:
            lines.append('   :N: 1 to %d' % spec_types.MAX_VOLUMES)
        lines.append('')
        lines.extend('   ' + line if line else ''
                     for line in key.description.strip().splitlines())
        lines.append('')
    return lines


def render():
    """Return the reStructuredText page, a string."""
    lines = ['=' * len(TITLE), TITLE, '=' * len(TITLE), '', INTRO]
    lines += _section('Flavor extra specs (``brick:``)', '-')
    lines += _keys(extra_specs.EXTRA_SPECS)
    lines += _section('Scheduler hints', '-')
    lines += _keys(extra_specs.HINTS)
    return '\n'.join(lines).rstrip() + '\n'


def setup(app):
    """Sphinx extension entry: the ``brick-extra-specs`` directive."""
    from docutils import statemachine
    from docutils.parsers.rst import Directive

    class ExtraSpecs(Directive):
        def run(self):
            body = render().split('\n', 4)[4]    # without the page title
            self.state_machine.insert_input(
                statemachine.string2lines(body), 'brick.scheduler.spec_docs')
            return []

    app.add_directive('brick-extra-specs', ExtraSpecs)
    return {'parallel_read_safe': True}


if __name__ == '__main__':
    sys.stdout.write(render())
