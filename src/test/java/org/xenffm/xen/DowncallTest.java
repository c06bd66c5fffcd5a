// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.xenffm.api.Errno;

/** errno capture and the poll/eventfd waiter, exercised with plain libc file descriptors. */
class DowncallTest {

    static int eventfd() throws Throwable {
        int fd = (int) LibC.eventfd.handle().invokeExact(Downcall.errnoSlot(), 0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        assertTrue(fd >= 0);
        return fd;
    }

    static void signal(int fd) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment one = a.allocate(JAVA_LONG);
            one.set(JAVA_LONG, 0, 1L);
            assertEquals(8L, (long) LibC.write.handle().invokeExact(Downcall.errnoSlot(), fd, one, 8L));
        }
    }

    static void closeFd(int fd) throws Throwable {
        int rc = (int) LibC.close.handle().invokeExact(Downcall.errnoSlot(), fd);
        assertEquals(0, rc);
    }

    @Test
    void errnoIsCapturedRightAfterTheCall() throws Throwable {
        MemorySegment slot = Downcall.errnoSlot();
        int rc = (int) LibC.close.handle().invokeExact(slot, -1);
        assertEquals(-1, rc);
        // allocation, logging and a successful libc call in between must not disturb the captured value
        String ignored = LibC.strerror(1) + new StringBuilder("x".repeat(1000));
        assertEquals(Errno.EBADF.value(), Downcall.errno(slot));
        int fd = eventfd();
        closeFd(fd);
        rc = (int) LibC.close.handle().invokeExact(slot, fd); // already closed
        assertEquals(-1, rc);
        assertEquals(Errno.EBADF.value(), Downcall.errno(slot));
    }

    @Test
    void aMembersOffsetIsTheLayoutPathsOffset() {
        var capture = java.lang.foreign.Linker.Option.captureStateLayout();
        for (var m : capture.memberLayouts()) {
            if (m.name().isEmpty()) continue; // padding
            String name = m.name().get();
            assertEquals(capture.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement(name)),
                    Downcall.offsetOf(capture, name), name);
        }
        var vmEvent = (java.lang.foreign.StructLayout) org.xenffm.bindings.xen417.vm_event_st.layout();
        for (String name : List.of("version", "flags", "reason", "vcpu_id", "altp2m_idx", "u", "data"))
            assertEquals(vmEvent.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement(name)),
                    Downcall.offsetOf(vmEvent, name), name);
        assertThrows(IllegalArgumentException.class, () -> Downcall.offsetOf(capture, "no_such_member"));
    }

    /**
     * The safety the handles rely on (XcInterface, XenEventChannel, XenForeignMemory): a shared arena whose
     * segment is an argument of a running downcall cannot be closed until the call returns.
     */
    @Test
    void anArenaCannotCloseUnderARunningDowncall() throws Throwable {
        int fd = eventfd();
        Arena shared = Arena.ofShared();
        MemorySegment fds = org.xenffm.bindings.xen417.pollfd.allocateArray(1, shared);
        org.xenffm.bindings.xen417.pollfd.fd(fds, fd);
        org.xenffm.bindings.xen417.pollfd.events(fds, (short) org.xenffm.bindings.xen417.Xen.POLLIN());
        var blocked = CompletableFuture.supplyAsync(() -> {
            try {
                return (int) LibC.poll.handle().invokeExact(Downcall.errnoSlot(), fds, 1L, 20_000);
            } catch (Throwable t) {
                throw new RuntimeException(t);
            }
        });
        Thread.sleep(300); // the poll is (almost certainly) running now; if not, close below would succeed
        assertThrows(IllegalStateException.class, shared::close, "closed under a running poll");
        signal(fd);
        assertEquals(1, blocked.get(30, TimeUnit.SECONDS));
        shared.close(); // fine once the call returned
        assertThrows(IllegalStateException.class, () -> fds.get(JAVA_LONG, 0));
        closeFd(fd);
    }

    @Test
    void strerrorText() {
        assertEquals("No such file or directory", LibC.strerror(2));
    }

    @Test
    void waiterSeesTheFdAndTimesOut() throws Throwable {
        int fd = eventfd();
        try (FdWaiter w = new FdWaiter(fd)) {
            assertFalse(w.await(Duration.ZERO), "nothing readable yet");
            assertFalse(w.await(Duration.ofMillis(30)), "times out");
            signal(fd);
            assertTrue(w.await(Duration.ofSeconds(5)));
            assertTrue(w.await(Duration.ZERO), "level-triggered: still readable until consumed");
            assertThrows(IllegalArgumentException.class, () -> w.await(Duration.ofMillis(-1)));
        } finally {
            closeFd(fd);
        }
    }

    @Test
    void wakeupReleasesABlockedWaiterAndIsNotLostWhenEarly() throws Throwable {
        int fd = eventfd();
        try (FdWaiter w = new FdWaiter(fd)) {
            var waiting = CompletableFuture.supplyAsync(() -> w.await(Duration.ofMinutes(10)));
            Thread.sleep(100);
            w.wakeup();
            assertFalse(waiting.get(30, TimeUnit.SECONDS), "woken, not readable");
            w.wakeup(); // nobody waiting: the next wait returns at once
            assertFalse(w.await(Duration.ofMinutes(10)));
        } finally {
            closeFd(fd);
        }
    }

    @Test
    void closeWakesTheWaiterAndLaterWaitsFail() throws Throwable {
        int fd = eventfd();
        FdWaiter w = new FdWaiter(fd);
        var waiting = CompletableFuture.supplyAsync(() -> w.await(Duration.ofMinutes(10)));
        Thread.sleep(100);
        w.close();
        assertFalse(waiting.get(30, TimeUnit.SECONDS));
        assertThrows(IllegalStateException.class, () -> w.await(Duration.ZERO));
        w.close(); // idempotent
        w.wakeup(); // harmless after close
        closeFd(fd);
    }
}
