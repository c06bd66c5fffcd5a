// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.EventChannel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
     * bound and rings are written with the hypervisor lock and this handle's lock held (bind, unbind,
     * remoteClosed run inside hypercalls), so code under either lock may read them.
     */
    private boolean[] bound = new boolean[4], masked = new boolean[4];
    private VmEventRing[] rings = new VmEventRing[4];
    /** Pending ports in the order they became pending (each at most once). */
    private int[] pending = new int[4];
    /**
     * Per local port, 1 while it is in {@link #pending}: evtchn_2l_set_pending's pending bit, set with one atomic
     * (its test_and_set_bit) so that {@link #signal} of a port already pending takes no lock. Set only by signal
     * (hypervisor lock held), cleared under {@link #lock} when the port is delivered or unbound; the array is
     * replaced only under both locks (bind).
     */
    private int[] pendingBit = new int[4];
    private static final VarHandle BIT = MethodHandles.arrayElementVarHandle(int[].class);
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
                    pendingBit = Arrays.copyOf(pendingBit, local * 2);
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
            // bound[] and rings[] change only with the hypervisor lock held (bind, unbind, remoteClosed), which
            // this call holds: no need for this handle's lock to read them
            if (!isBound(localPort)) throw Rc.of(Errno.EINVAL);
            VmEventRing r = rings[localPort];
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

    /**
     * Xen notified the remote end of a local port (notify_via_xen_event_channel after every request; called with the
     * hypervisor lock held). evtchn_2l_set_pending: only a port that was not pending yet is queued and wakes the
     * waiter; a port already pending changes nothing the consumer could see, so it costs the test-and-set only.
     * The test-and-set is a full fence: either it sees the bit the consumer cleared before draining (and queues the
     * port again), or the consumer's drain after clearing it sees the request just published.
     */
    void signal(int localPort) {
        if (!isBound(localPort) || (int) BIT.getAndSet(pendingBit, localPort, 1) != 0) return;
        lock.lock();
        try {
            pending[nPending++] = localPort;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private boolean isBound(int port) { return port > 0 && port < nextLocal && bound[port]; }

    /** Takes the port off the pending list and clears its pending bit (lock held). */
    private void removePending(int port) {
        for (int i = 0; i < nPending; i++) {
            if (pending[i] == port) {
                System.arraycopy(pending, i + 1, pending, i, --nPending - i);
                BIT.setVolatile(pendingBit, port, 0);
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
