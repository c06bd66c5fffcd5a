// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.EventChannel;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
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
    private final Map<Integer, VmEventRing> bindings = new HashMap<>();
    private final LinkedHashSet<Integer> pending = new LinkedHashSet<>();
    private final Set<Integer> masked = new HashSet<>();
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
                bindings.put(local, r);
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
                if (!bindings.containsKey(localPort)) throw Rc.of(Errno.EINVAL);
                r = bindings.remove(localPort);
                pending.remove(localPort);
                masked.remove(localPort);
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
                if (!bindings.containsKey(localPort)) throw Rc.of(Errno.EINVAL);
                r = bindings.get(localPort);
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
                for (Integer p : pending) {
                    if (!masked.contains(p)) {
                        pending.remove(p);
                        masked.add(p);
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
            masked.remove(localPort);
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
            if (bindings.containsKey(localPort)) {
                pending.add(localPort);
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Xen closed its end (ring disabled, domain destroyed): the local port stays bound but goes nowhere. */
    void remoteClosed(VmEventRing r) {
        lock.lock();
        try {
            bindings.replaceAll((p, ring) -> ring == r ? null : ring);
        } finally {
            lock.unlock();
        }
    }

    @Override public void close() {
        Set<Integer> ports;
        lock.lock();
        try {
            ports = new HashSet<>(bindings.keySet());
        } finally {
            lock.unlock();
        }
        for (int p : ports) {
            try { unbind(p); } catch (RuntimeException ignored) { /* host dead or already unbound */ }
        }
        wakeup();
    }
}
