# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""File-system facts for directory pools, without running a program.

* :func:`capacity`: the size of the file system holding a directory, and
  what is free for an unprivileged writer (``f_bavail``, which excludes the
  blocks ext4 reserves for root) and for root.
* :func:`usage`: a file's apparent size against the bytes it really
  occupies (``st_blocks * 512``), so sparse images count right.
* :func:`copy_sparse`: copy a file's data extents only, in the kernel.
* :func:`locked`: a per-name lock between processes, with ``flock``.
* :class:`Sidecar`: flags and locks for the entries of a directory, kept
  in a hidden subdirectory of it.
"""

import contextlib
import dataclasses
import errno
import fcntl
import functools
import os
import stat

from brick import exception


def brick_error(err, pool, directory):
    """Translate an ``OSError`` of a directory pool's system call into
    the brick exception a caller can act on.

    :param err: the ``OSError``.
    :param pool: the pool's name, for the message.
    :param directory: the pool's directory.
    """
    what = '%s (%s)' % (err.strerror or err, err.filename or 'no file')
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return exception.InsufficientCapacity(
            'Pool %s ran out of space: %s.' % (pool, what), pool=pool)
    if not os.path.isdir(directory):
        return exception.PoolNotFound(
            name=pool, reason='directory %s is missing (the pool\'s check '
            'creates it): %s' % (directory, what))
    return exception.BackendError(reason='pool %s: %s' % (pool, what))


def translate_errors(method):
    """Decorate a method of an object with ``pool`` and ``path``
    attributes so that it raises brick exceptions, not ``OSError``."""
    @functools.wraps(method)
    def translated(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except OSError as err:
            raise brick_error(err, self.pool, self.path) from err
    return translated


@dataclasses.dataclass(frozen=True)
class FsCapacity:
    """One ``statvfs`` of a file system, in bytes."""

    total: int
    free: int
    """Free for unprivileged writers (``f_bavail``)."""
    free_root: int
    """Free for root (``f_bfree``), including the reserved blocks."""
    block_size: int
    files_free: int
    """Inodes left for unprivileged writers."""
    read_only: bool


@dataclasses.dataclass(frozen=True)
class FileUsage:
    """A regular file's sizes and identity."""

    apparent: int
    """``st_size``: what ``ls -l`` shows, holes included."""
    allocated: int
    """``st_blocks * 512``: bytes on disk (st_blocks is always in 512-byte
    units, whatever the file system's block size)."""
    key: tuple
    """``(st_dev, st_ino, st_size, st_mtime_ns)``: changes when the file
    is replaced, resized or written; a cache key for facts about it."""
    mode: int


def capacity(path):
    """Return the :class:`FsCapacity` of the file system holding *path*.

    :raises OSError: *path* is missing or unreadable.
    """
    st = os.statvfs(path)
    return FsCapacity(total=st.f_blocks * st.f_frsize,
                      free=st.f_bavail * st.f_frsize,
                      free_root=st.f_bfree * st.f_frsize,
                      block_size=st.f_frsize,
                      files_free=st.f_favail,
                      read_only=bool(st.f_flag & os.ST_RDONLY))


def usage(path=None, st=None):
    """Return the :class:`FileUsage` of a regular file, never following
    a symbolic link (an administrator's link must not make brick report,
    or open, a file outside the pool).

    :param path: the file; or pass the result of ``os.lstat`` as *st*.
    :returns: the usage, or None if *path* is not a regular file.
    :raises OSError: *path* cannot be examined (FileNotFoundError...).
    """
    st = st if st is not None else os.lstat(path)
    if not stat.S_ISREG(st.st_mode):
        return None
    return FileUsage(apparent=st.st_size, allocated=st.st_blocks * 512,
                     key=(st.st_dev, st.st_ino, st.st_size,
                          st.st_mtime_ns),
                     mode=stat.S_IMODE(st.st_mode))


def create_exclusive(path, mode=0o600):
    """Create *path* empty and return its open fd (read-write).

    ``O_EXCL`` makes this the atomic claim of a name: two creators
    cannot both succeed, and a link planted at *path* is not followed.

    :raises FileExistsError: something already has that name.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                 | os.O_CLOEXEC, mode)
    # The umask may have cleared bits of *mode*; set exactly what we want.
    os.fchmod(fd, mode)
    return fd


def allocate(fd, offset, length, mode):
    """Allocate *length* bytes at *offset* the way qemu's preallocation
    *mode* does: ``falloc`` reserves blocks, ``full`` writes zeros (so thin
    storage underneath allocates too), ``off`` does nothing.

    :raises OSError: ENOSPC and friends.
    """
    if mode == 'falloc':
        os.posix_fallocate(fd, offset, length)
    elif mode == 'full':
        chunk = bytes(1 << 20)
        end = offset + length
        while offset < end:
            offset += os.pwrite(fd, chunk[:end - offset], offset)


def copy_sparse(src_fd, dst_fd, length):
    """Copy the data extents of *src_fd* into *dst_fd*; holes stay holes.

    Walks ``SEEK_DATA``/``SEEK_HOLE`` and copies each extent with
    ``copy_file_range``, which stays in the kernel (and shares blocks on
    file systems that reflink).  *dst_fd* must already be *length* bytes
    long and empty (e.g. just ``ftruncate``-d).

    :raises OSError: the copy failed; the caller removes *dst*.
    """
    position = 0
    while position < length:
        try:
            start = os.lseek(src_fd, position, os.SEEK_DATA)
        except OSError as err:
            if err.errno == errno.ENXIO:  # only a hole is left
                return
            raise
        end = min(os.lseek(src_fd, start, os.SEEK_HOLE), length)
        _copy_range(src_fd, dst_fd, start, end - start)
        position = end


def _copy_range(src_fd, dst_fd, offset, count):
    while count > 0:
        try:
            done = os.copy_file_range(src_fd, dst_fd, count, offset, offset)
        except OSError as err:
            if err.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL,
                                 errno.EOPNOTSUPP):
                raise
            done = os.pwrite(dst_fd, os.pread(src_fd, min(count, 1 << 20),
                                              offset), offset)
        if done == 0:  # the source shrank under us
            return
        offset += done
        count -= done


@contextlib.contextmanager
def locked(path):
    """Hold an exclusive ``flock`` on *path* (created if missing).

    Removing the lock file while holding it is allowed: a waiter that
    then wakes up on the removed inode notices and locks the new file
    instead, so two holders never run at once.
    """
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW
                     | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.stat(path, follow_symlinks=False).st_ino
            except FileNotFoundError:
                current = None
            if current == os.fstat(fd).st_ino:
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    try:
        yield
    finally:
        os.close(fd)


class Sidecar:
    """Per-name flags and locks kept in ``<directory>/<hidden>/``.

    ``flags/NAME`` is an empty file whose presence is the flag;
    ``locks/NAME`` exists only while someone holds the lock of NAME.
    Names must already be validated (no ``/``).

    :param directory: the directory whose entries are described.
    :param hidden: the subdirectory's name (a dot-name, so that it is
        never taken for an entry).
    :param flag: the flag's name, e.g. ``'managed'``.
    """

    def __init__(self, directory, hidden, flag):
        self.root = os.path.join(directory, hidden)
        self.flags = os.path.join(self.root, flag)
        self.locks = os.path.join(self.root, 'locks')

    def ensure(self):
        """Create the subdirectories (mode 0700) if missing."""
        for path in (self.root, self.flags, self.locks):
            os.makedirs(path, 0o700, exist_ok=True)

    def set(self, name, value=True):
        """Set or clear the flag of *name*; both are idempotent."""
        path = os.path.join(self.flags, name)
        if not value:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            return
        flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            os.close(os.open(path, flags, 0o600))
        except FileNotFoundError:
            self.ensure()
            os.close(os.open(path, flags, 0o600))

    def get(self, name):
        return os.path.exists(os.path.join(self.flags, name))

    def flagged(self):
        """Return the set of flagged names (one ``listdir``)."""
        try:
            return set(os.listdir(self.flags))
        except FileNotFoundError:
            return set()

    @contextlib.contextmanager
    def locked(self, *names):
        """Hold the locks of *names*, taken in sorted order so two callers
        cannot deadlock; the lock files are removed on release (safe, see
        :func:`locked`) so that nothing stays behind."""
        paths = [os.path.join(self.locks, n) for n in sorted(set(names))]
        with contextlib.ExitStack() as stack:
            for path in paths:
                try:
                    stack.enter_context(locked(path))
                except FileNotFoundError:  # first use: no check() yet
                    self.ensure()
                    stack.enter_context(locked(path))
            try:
                yield
            finally:
                for path in paths:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path)
