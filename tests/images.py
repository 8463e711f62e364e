# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Image bytes for tests that fake qemu-img but not the Python image
inspection (:mod:`brick.local.image_check`), which reads real bytes."""

import struct


def qcow2_header(size):
    """The first 512 bytes of a qcow2 v3 image of virtual *size* with no
    backing file: byte for byte what ``qemu-img create -f qcow2`` writes
    (64 KiB clusters, one L1 entry at 0x30000, refcount order 4), which
    oslo.utils' inspector takes for a safe qcow2."""
    return struct.pack(
        '>4sIQIIQIIQQIIQQQQII', b'QFI\xfb', 3, 0, 0, 16, size, 0, 1,
        0x30000, 0x10000, 1, 0, 0, 0, 0, 0, 4, 112).ljust(512, b'\0')
