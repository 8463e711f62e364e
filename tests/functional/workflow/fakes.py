# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Small fakes that subclass brick's real interfaces, to inject
failures into the placement workflow."""

import dataclasses
import os
import signal
import threading

from brick import exception
from brick.drivers import raw
from brick.local import executor as executor_mod
from brick.workflow import handlers


class FailingRawDriver(raw.RawDriver):
    """A real raw pool whose creates fail (after writing nothing)."""

    def __init__(self, path, pool='raw'):
        super().__init__(executor_mod.Executor(), pool, path)
        self.attempts = 0

    def _create(self, name, size):
        self.attempts += 1
        raise exception.CommandFailed(cmd='injected create', exit_code=1,
                                      stderr='injected failure')


class HalfFailingRawDriver(raw.RawDriver):
    """Creates the first volume of a request, fails on the second: the
    first must be rolled back too."""

    def __init__(self, path, pool='raw'):
        super().__init__(executor_mod.Executor(), pool, path)

    def _create(self, name, size):
        if name.endswith('2'):
            raise exception.CommandFailed(cmd='injected create',
                                          exit_code=1, stderr='injected')
        return super()._create(name, size)


class SmallRawDriver(raw.RawDriver):
    """A real raw pool that reports *total* bytes, to make a small
    cluster fill up."""

    def __init__(self, path, total, pool='raw'):
        super().__init__(executor_mod.Executor(), pool, path)
        self.total = total

    def _capacity(self):
        real = super()._capacity()
        return dataclasses.replace(real, total=self.total,
                                   max_volume=self.total)


class Hypervisor(handlers.BootHandler):
    """Records boots and reverts; fails the first *fail* boots (or every
    one with ``fail=-1``)."""

    def __init__(self, fail=0):
        self.fail = fail
        self.boots = []
        self.reverts = []
        self.running = {}
        self._lock = threading.Lock()

    def boot(self, instance, host, volumes):
        with self._lock:
            self.boots.append((instance, host))
            if self.fail == -1 or len(self.boots) <= self.fail:
                raise RuntimeError('injected boot failure on %s' % host)
            for volume in volumes:
                assert os.path.exists(volume['path']), volume
            self.running[instance] = host
        return {'domain': instance}

    def revert(self, instance, host, volumes):
        with self._lock:
            self.reverts.append((instance, host))
            self.running.pop(instance, None)


class Crash(handlers.BootHandler):
    """Kills its own process with SIGKILL when asked to boot: the
    process dies between creating the volumes and booting."""

    def boot(self, instance, host, volumes):
        os.kill(os.getpid(), signal.SIGKILL)
