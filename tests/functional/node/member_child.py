# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Child process of ``test_liveness``: a node's membership alone, which
the test stops (SIGSTOP), continues and terminates.

``python -m tests.functional.node.member_child URL GROUP HOST``
"""

import signal
import sys
import threading

from brick.node import liveness


def main(url, group, host):
    membership = liveness.Membership(url, group, host)
    membership.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stop.set())
    print('joined', flush=True)
    while not stop.wait(0.3):
        membership.check()
    membership.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
