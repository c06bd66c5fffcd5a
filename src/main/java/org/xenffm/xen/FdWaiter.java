// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;
import org.xenffm.api.Errno;
import org.xenffm.api.XenException;
import org.xenffm.bindings.xen417.Xen;
import org.xenffm.bindings.xen417.pollfd;

/**
 * Blocks on a file descriptor (the xenevtchn fd) with poll(2) and a timeout, and can be woken from another thread.
 * The wakeup is an eventfd polled next to the watched fd: {@link #wakeup()} writes to it, the waiter sees it
 * readable, drains it and returns. Unlike a short poll timeout this costs nothing while idle and wakes at once;
 * unlike a signal it cannot hit an unrelated thread. A wakeup with nobody waiting makes the next wait return
 * early once (the eventfd counter stays set), so a wakeup is never lost to a race with the waiter.
 */
final class FdWaiter implements AutoCloseable {
    private final int fd;
    private final int wakeFd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment fds = pollfd.allocateArray(2, arena);
    private final MemorySegment counter = arena.allocate(JAVA_LONG);
    private final ReentrantLock waiting = new ReentrantLock();
    private volatile boolean closed;

    FdWaiter(int fd) {
        this.fd = fd;
        MemorySegment slot = Downcall.errnoSlot();
        int efd;
        try {
            efd = (int) LibC.eventfd.handle().invokeExact(slot, 0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (efd < 0) {
            arena.close();
            throw XenException.of("eventfd", null, null, null, Downcall.errno(slot));
        }
        wakeFd = efd;
    }

    /**
     * Waits until {@code fd} is readable (true), or the timeout passes or {@link #wakeup()} is called (false).
     * A zero timeout only checks. Only one thread waits at a time; others queue.
     */
    boolean await(Duration timeout) {
        if (timeout.isNegative()) throw new IllegalArgumentException("negative timeout: " + timeout);
        long deadline = System.nanoTime() + Math.min(timeout.toNanos(), Long.MAX_VALUE / 4);
        waiting.lock();
        try {
            ensureOpen();
            while (true) {
                long left = deadline - System.nanoTime();
                int ms = left <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000);
                pollfd.fd(pollfd.asSlice(fds, 0), fd);
                pollfd.events(pollfd.asSlice(fds, 0), (short) Xen.POLLIN());
                pollfd.revents(pollfd.asSlice(fds, 0), (short) 0);
                pollfd.fd(pollfd.asSlice(fds, 1), wakeFd);
                pollfd.events(pollfd.asSlice(fds, 1), (short) Xen.POLLIN());
                pollfd.revents(pollfd.asSlice(fds, 1), (short) 0);
                MemorySegment slot = Downcall.errnoSlot();
                int n = (int) LibC.poll.handle().invokeExact(slot, fds, 2L, ms);
                if (n < 0) {
                    int errno = Downcall.errno(slot);
                    if (errno == Errno.EINTR.value()) continue;
                    throw XenException.of("poll", null, null, null, errno);
                }
                if (n == 0) return false;
                if (pollfd.revents(pollfd.asSlice(fds, 1)) != 0) {
                    drainWakeups();
                    return false;
                }
                short re = pollfd.revents(pollfd.asSlice(fds, 0));
                if ((re & (Xen.POLLERR() | Xen.POLLHUP() | Xen.POLLNVAL())) != 0)
                    throw XenException.of("poll", null, null, null, Errno.EIO.value());
                return true;
            }
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        } finally {
            waiting.unlock();
        }
    }

    /** Makes the current (or next) {@link #await} return false. */
    synchronized void wakeup() {
        if (closed) return; // the eventfd number may already belong to someone else
        try (Arena a = Arena.ofConfined()) {
            MemorySegment one = a.allocate(JAVA_LONG);
            one.set(JAVA_LONG, 0, 1L);
            long ignored = (long) LibC.write.handle().invokeExact(Downcall.errnoSlot(), wakeFd, one, 8L);
            // EAGAIN only when the counter is saturated: a wakeup is pending anyway
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    private void drainWakeups() throws Throwable {
        long ignored = (long) LibC.read.handle().invokeExact(Downcall.errnoSlot(), wakeFd, counter, 8L);
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("the event channel is closed");
    }

    /** Wakes a waiter, waits for it to leave, closes the eventfd. Idempotent. */
    @Override public void close() {
        if (closed) return;
        wakeup();
        waiting.lock();
        try {
            synchronized (this) {
                if (closed) return;
                closed = true;
                int ignored = (int) LibC.close.handle().invokeExact(Downcall.errnoSlot(), wakeFd);
            }
            arena.close();
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        } finally {
            waiting.unlock();
        }
    }
}
