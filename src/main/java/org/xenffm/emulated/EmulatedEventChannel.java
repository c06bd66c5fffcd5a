// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.EventChannel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An in-process xenevtchn handle. Binding to the port {@code monitorEnable} returned connects it to that ring: Xen's
 * notify after a request marks the local port pending (waking {@link #waitPending}); the consumer's
 * {@link #notify(int)} makes the emulated Xen process the ring's responses (vm_event_notification_fn →
 * vm_event_resume). A delivered port stays masked until {@link #unmask}, as with the real device.
 * Lock order: the hypervisor lock may be held when taking this handle's lock, never the reverse.
 */
public final class EmulatedEventChannel implements EventChannel {
    private final Host h;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /**
     * Per local port (ports are 1, 2, … and never reused): bound, its ring (null once Xen closed its end), masked.
     * Plain arrays: {@link #signal} runs once per request, and boxed-key sets cost a third of the emulator's CPU there.
     */
    private boolean[] bound = new boolean[4], masked = new boolean[4];
    private VmEventRing[] rings = new VmEventRing[4];
    /** Pending ports in the order they became pending (each at most once). */
    private int[] pending = new int[4];
    private int nPending;
    private int nextLocal = 1;
    private boolean woken;

    EmulatedEventChannel(Host h) { this.h = h; }

    @Override public int bindInterdomain(DomainId domain, int remotePort) {
        return h.call("xenevtchn_bind_interdomain", domain, null, null, () -> {
            Domain d = h.lookup(domain);
            VmEventRing r = d.ring != null && d.ring.xenPort == remotePort ? d.ring
                    : d.sharingRing != null && d.sharingRing.xenPort == remotePort ? d.sharingRing : null;
            if (r == null || r.consumer != null) throw Rc.of(Errno.EINVAL);   // not an unbound port for us
            lock.lock();
            try {
                int local = nextLocal++;
                if (local == bound.length) {
                    bound = Arrays.copyOf(bound, local * 2);
                    masked = Arrays.copyOf(masked, local * 2);
                    rings = Arrays.copyOf(rings, local * 2);
                    pending = Arrays.copyOf(pending, local * 2);
                }
                bound[local] = true;
                rings[local] = r;
                r.consumer = this;
                r.consumerPort = local;
                return local;
            } finally {
                lock.unlock();
            }
        });
    }

    @Override public void unbind(int localPort) {
        h.run("xenevtchn_unbind", null, null, null, () -> {
            VmEventRing r;
            lock.lock();
            try {
                if (!isBound(localPort)) throw Rc.of(Errno.EINVAL);
                r = rings[localPort];
                bound[localPort] = false;
                rings[localPort] = null;
                removePending(localPort);
                masked[localPort] = false;
            } finally {
                lock.unlock();
            }
            if (r != null && r.consumer == this) r.consumer = null;
        });
    }

    @Override public void notify(int localPort) {
        h.run("xenevtchn_notify", null, null, null, () -> {
            VmEventRing r;
            lock.lock();
            try {
                if (!isBound(localPort)) throw Rc.of(Errno.EINVAL);
                r = rings[localPort];
            } finally {
                lock.unlock();
            }
            if (r != null) h.monitor.kicked(r);
        });
    }

    @Override public OptionalInt waitPending(Duration timeout) {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (true) {
                if (woken) {
                    woken = false;
                    return OptionalInt.empty();
                }
                for (int i = 0; i < nPending; i++) {
                    int p = pending[i];
                    if (!masked[p]) {
                        removePending(p);
                        masked[p] = true;
                        return OptionalInt.of(p);
                    }
                }
                if (nanos <= 0) return OptionalInt.empty();
                nanos = changed.awaitNanos(nanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.empty();
        } finally {
            lock.unlock();
        }
    }

    @Override public void unmask(int localPort) {
        lock.lock();
        try {
            if (localPort > 0 && localPort < masked.length) masked[localPort] = false;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override public void wakeup() {
        lock.lock();
        try {
            woken = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Xen notified the remote end of a local port (called with the hypervisor lock held). */
    void signal(int localPort) {
        lock.lock();
        try {
            // evtchn_set_pending: only a port that was not pending yet wakes the waiter (a later signal of a pending
            // port changes nothing it could see; waking it per request cost the guest thread an unpark each)
            if (isBound(localPort) && !isPending(localPort)) {
                pending[nPending++] = localPort;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    private boolean isBound(int port) { return port > 0 && port < nextLocal && bound[port]; }

    private boolean isPending(int port) {
        for (int i = 0; i < nPending; i++) if (pending[i] == port) return true;
        return false;
    }

    private void removePending(int port) {
        for (int i = 0; i < nPending; i++) {
            if (pending[i] == port) {
                System.arraycopy(pending, i + 1, pending, i, --nPending - i);
                return;
            }
        }
    }

    /** Xen closed its end (ring disabled, domain destroyed): the local port stays bound but goes nowhere. */
    void remoteClosed(VmEventRing r) {
        lock.lock();
        try {
            for (int p = 1; p < nextLocal; p++) if (rings[p] == r) rings[p] = null;
        } finally {
            lock.unlock();
        }
    }

    @Override public void close() {
        List<Integer> ports = new ArrayList<>();
        lock.lock();
        try {
            for (int p = 1; p < nextLocal; p++) if (bound[p]) ports.add(p);
        } finally {
            lock.unlock();
        }
        for (int p : ports) {
            try { unbind(p); } catch (RuntimeException ignored) { /* host dead or already unbound */ }
        }
        wakeup();
    }
}
