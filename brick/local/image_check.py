# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Images brick did not make, checked in Python before qemu-img opens them.

An uploaded image is hostile until shown otherwise: a qcow2 naming
``/etc/shadow`` as its backing or data file, a vmdk descriptor whose
extent is a host file (CVE-2022-47951), or a header crafted to make
``qemu-img info`` itself burn memory and time.  OSSA-2024-001 showed that
asking qemu-img what an image is, is already too late, so
:func:`inspect` reads the image with oslo.utils' format inspector
(:mod:`oslo_utils.imageutils.format_inspector`, written for that
advisory) the way Nova's ``do_image_deep_inspection`` does: it detects
the format from the content alone, runs the inspector's safety checks
(no backing file, no data file, only self-contained vmdk subformats, a
sane header), and holds the content to the format its owner declared.

Only then may qemu-img look, told the format (``-f``) and under
:data:`QEMU_IMG_LIMITS` (:meth:`brick.local.qemu_img.QemuImg.
inspect_untrusted`).
"""

import os

from oslo_concurrency import processutils
from oslo_log import log as logging
from oslo_utils import units
from oslo_utils.imageutils import format_inspector

from brick import exception

LOG = logging.getLogger(__name__)

QEMU_IMG_LIMITS = processutils.ProcessLimits(cpu_time=30,
                                             address_space=units.Gi)
"""What ``qemu-img info`` may use on an untrusted image: 30 s of CPU and
1 GiB of address space, Nova's ``[libvirt]images_cpu_time_limit`` and
``images_address_space_limit`` defaults."""

FORMATS = {'raw': 'raw', 'qcow2': 'qcow2', 'vdi': 'vdi', 'vmdk': 'vmdk',
           'vhdx': 'vhdx', 'vhd': 'vpc', 'iso': 'raw', 'gpt': 'raw'}
"""Inspector format -> the qemu-img format brick imports it as.  An ISO
or a whole disk with a GPT is read as raw, as Nova does; ``qed`` and
``luks`` (encrypted, it needs a secret) are not imported."""

DECLARED = ('raw', 'qcow2', 'vdi', 'vmdk', 'vhdx', 'vpc')
"""Formats an owner may declare (qemu-img's names)."""

FIELD = 'image to import'


def _refuse(path, why):
    return exception.InvalidValue(field=FIELD, value=path, allowed=why)


def _detect(path):
    """The inspector that matches the content of *path* (Nova's
    ``get_image_format``: one format, or ISO in front of a GPT)."""
    with open(path, 'rb') as stream:
        wrapper = format_inspector.InspectWrapper(stream)
        try:
            while stream.peek():
                wrapper.read(4096)
                if wrapper.formats:
                    break
        finally:
            wrapper.close()
    try:
        return wrapper.format
    except format_inspector.ImageFormatError:
        names = {str(match) for match in wrapper.formats}
        if names == {'iso', 'gpt'}:   # a bootable ISO has a GPT in front
            return [m for m in wrapper.formats if str(m) == 'iso'][0]
        raise


def inspect(path: str, declared: str | None = None) -> str:
    """Return the qemu-img format of the untrusted image at *path*.

    :param declared: the format the image's owner says it is (qemu-img's
        name), or None to take what the content shows.
    :returns: a key of :data:`DECLARED`, safe to pass to qemu-img ``-f``.
    :raises brick.exception.InvalidValue: not a regular file, a format
        brick does not import, content that fails a safety check, or
        content that is not the *declared* format; nothing was run.
    """
    if declared is not None and declared not in DECLARED:
        raise exception.InvalidValue(field='image format', value=declared,
                                     allowed=', '.join(DECLARED))
    if not isinstance(path, str) or not os.path.isfile(path):
        raise _refuse(path, 'an existing regular file')
    try:
        found = _detect(path)
        found.safety_check()
    except format_inspector.SafetyCheckFailed as err:
        reasons = '; '.join('%s: %s' % (name, failure) for name, failure
                            in sorted(err.failures.items()))
        LOG.warning('Image %s failed the safety checks: %s', path, reasons)
        raise _refuse(path, 'a self-contained image; this %s image fails '
                      'the safety checks (%s)' % (found, reasons)) from err
    except format_inspector.ImageFormatError as err:
        raise _refuse(path, 'an image of one known format; this one is '
                      'not (%s)' % err) from err
    except OSError as err:
        raise _refuse(path, 'a readable file (%s)' % err) from err
    detected = FORMATS.get(str(found))
    if detected is None:
        raise _refuse(path, 'an image in one of %s; this one is %s' % (
            ', '.join(sorted(set(FORMATS))), found))
    if declared is not None and declared != detected:
        raise _refuse(path, 'an image whose content is the declared format '
                      '%s; its content is %s' % (declared, str(found)
                                                 if str(found) != 'raw' else
                                                 'raw (no image header '
                                                 'brick knows)'))
    return detected
