# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Run brick's benchmarks: ``python -m bench [NAME...] [-- ARGS]``.

Each module in this package with a ``main(argv)`` is a benchmark; with no
NAME all of them run, one after the other, each printing its own table.
Benchmarks print figures and assert nothing.
"""

import importlib
import pkgutil
import sys

import bench


def available():
    return sorted(info.name for info in pkgutil.iter_modules(bench.__path__)
                  if not info.name.startswith('_'))


def main(argv):
    if '--' in argv:
        split = argv.index('--')
        chosen, extra = argv[:split], argv[split + 1:]
    else:
        chosen, extra = argv, []
    if chosen in (['-h'], ['--help']):
        print(__doc__.strip())
        print('\nbenchmarks:', ', '.join(available()))
        return 0
    status = 0
    for name in chosen or available():
        if name not in available():
            print('unknown benchmark %r; available: %s'
                  % (name, ', '.join(available())), file=sys.stderr)
            return 2
        module = importlib.import_module('bench.' + name)
        if not hasattr(module, 'main'):
            continue
        print('== bench/%s.py ==' % name, flush=True)
        status = module.main(extra) or status
    return status


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
