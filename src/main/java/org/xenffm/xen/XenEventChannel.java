// SPDX-License-Identifier: Apache-2.0
package org.xenffm.xen;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.LoggerFactory;
import org.xenffm.api.DomainId;
import org.xenffm.api.EventChannel;
import org.xenffm.api.XenException;
import org.xenffm.bindings.xen417.Xen;

/**
 * libxenevtchn: the doorbell of a vm_event ring. Waiting is poll(2) on xenevtchn_fd with the timeout, next to an
 * eventfd for {@link #wakeup()} (see {@link FdWaiter}); then xenevtchn_pending reads the port, which the consumer
 * must unmask after draining the ring. The handle pointer lives in a shared arena like the xc_interface, so close
 * cannot free it under a call in flight.
 *
 * <p>Binding reports one notification at once: Xen conservatively sets the new local port pending
 * (event_channel.c:evtchn_bind_interdomain), so the first {@link #waitPending} may find the ring still empty —
 * seen on Xen 4.17 (Dom0SmokeMain: two pendings for one CPUID request). Consumers check the ring, not the count.
 */
final class XenEventChannel implements EventChannel {
    static final NativeFunction XENEVTCHN_OPEN = NativeFunction.xenevtchn("xenevtchn_open",
            Xen::xenevtchn_open$descriptor);
    static final NativeFunction XENEVTCHN_CLOSE = NativeFunction.xenevtchn("xenevtchn_close",
            Xen::xenevtchn_close$descriptor);
    static final NativeFunction XENEVTCHN_FD = NativeFunction.xenevtchn("xenevtchn_fd", Xen::xenevtchn_fd$descriptor);
    static final NativeFunction XENEVTCHN_BIND_INTERDOMAIN = NativeFunction.xenevtchn("xenevtchn_bind_interdomain",
            Xen::xenevtchn_bind_interdomain$descriptor);
    static final NativeFunction XENEVTCHN_UNBIND = NativeFunction.xenevtchn("xenevtchn_unbind",
            Xen::xenevtchn_unbind$descriptor);
    static final NativeFunction XENEVTCHN_NOTIFY = NativeFunction.xenevtchn("xenevtchn_notify",
            Xen::xenevtchn_notify$descriptor);
    static final NativeFunction XENEVTCHN_PENDING = NativeFunction.xenevtchn("xenevtchn_pending",
            Xen::xenevtchn_pending$descriptor);
    static final NativeFunction XENEVTCHN_UNMASK = NativeFunction.xenevtchn("xenevtchn_unmask",
            Xen::xenevtchn_unmask$descriptor);

    private final Downcall close, bind, unbind, notify, pending, unmask;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment raw;
    private final MemorySegment xce;
    private final FdWaiter waiter;
    private final Set<Integer> bound = ConcurrentHashMap.newKeySet();
    private final ReentrantLock waiting = new ReentrantLock();
    private final Runnable onClose;
    private volatile boolean closed;

    /** xenevtchn_open(logger, 0); fails with XenNotAvailableException when /dev/xen/evtchn is missing. */
    XenEventChannel(XenLibrary lib, XenLog log, Runnable onClose) {
        this.onClose = onClose;
        Downcall open = lib.downcall(XENEVTCHN_OPEN), fdCall = lib.downcall(XENEVTCHN_FD);
        close = lib.downcall(XENEVTCHN_CLOSE);
        bind = lib.downcall(XENEVTCHN_BIND_INTERDOMAIN);
        unbind = lib.downcall(XENEVTCHN_UNBIND);
        notify = lib.downcall(XENEVTCHN_NOTIFY);
        pending = lib.downcall(XENEVTCHN_PENDING);
        unmask = lib.downcall(XENEVTCHN_UNMASK);
        MemorySegment slot = Downcall.errnoSlot();
        try {
            MemorySegment h = (MemorySegment) open.handle().invokeExact(slot, log.logger(), 0);
            if (h.equals(MemorySegment.NULL)) {
                arena.close();
                throw XenException.of("xenevtchn_open", null, null, null, Downcall.errno(slot));
            }
            raw = MemorySegment.ofAddress(h.address());
            xce = raw.reinterpret(0, arena, null);
            int fd = (int) fdCall.handle().invokeExact(slot, xce);
            waiter = new FdWaiter(fd);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }

    private MemorySegment xce() {
        if (closed) throw new IllegalStateException("the event channel is closed");
        return xce;
    }

    @Override public int bindInterdomain(DomainId domain, int remotePort) {
        MemorySegment slot = Downcall.errnoSlot();
        int port;
        try {
            port = (int) bind.handle().invokeExact(slot, xce(), domain.value(), remotePort);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (port < 0) throw XcInterface.fail("xenevtchn_bind_interdomain", domain, null, null, slot);
        bound.add(port);
        return port;
    }

    @Override public void unbind(int localPort) {
        portCall(unbind, localPort);
        bound.remove(localPort);
    }

    @Override public void notify(int localPort) { portCall(notify, localPort); }

    @Override public void unmask(int localPort) { portCall(unmask, localPort); }

    @Override public OptionalInt waitPending(Duration timeout) {
        waiting.lock(); // close() waits for this, so it never frees the handle between poll and pending
        try {
            xce();
            if (!waiter.await(timeout)) return OptionalInt.empty();
            MemorySegment slot = Downcall.errnoSlot();
            int port = (int) pending.handle().invokeExact(slot, xce());
            if (port < 0) throw XcInterface.fail("xenevtchn_pending", null, null, null, slot);
            return OptionalInt.of(port);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        } finally {
            waiting.unlock();
        }
    }

    @Override public void wakeup() { waiter.wakeup(); }

    /** {@code int f(xenevtchn_handle *, evtchn_port_t)}. */
    private void portCall(Downcall c, int port) {
        MemorySegment slot = Downcall.errnoSlot();
        int rc;
        try {
            rc = (int) c.handle().invokeExact(slot, xce(), port);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
        if (rc < 0) throw new XenException(c.name(), null, null, null, Downcall.errno(slot), "local port " + port);
    }

    /** Wakes and waits out a blocked waiter, unbinds every port bound here, closes the handle. Idempotent. */
    @Override public synchronized void close() {
        if (closed) return;
        waiter.wakeup();
        waiting.lock();
        try {
            closeLocked();
        } finally {
            waiting.unlock();
        }
        onClose.run();
    }

    private void closeLocked() {
        if (closed) return;
        waiter.close();
        for (int port : Set.copyOf(bound)) {
            try {
                unbind(port);
            } catch (XenException e) {
                LoggerFactory.getLogger(XenEventChannel.class).warn("unbinding port {} at close: {}", port,
                        e.getMessage());
            }
        }
        closed = true;
        arena.close();
        try {
            int ignored = (int) close.handle().invokeExact(Downcall.errnoSlot(), raw);
        } catch (Throwable t) {
            throw Downcall.unexpected(t);
        }
    }
}
