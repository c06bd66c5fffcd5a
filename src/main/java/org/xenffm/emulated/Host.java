// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.HypervisorCrashedException;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenException;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The emulated machine: one big lock (like a hypervisor's), the frame table, the domains, the global sharing
 * counters, and the host-p2m write path that every family goes through ({@link #setHost}, which propagates into the
 * altp2m views exactly like ept_set_entry → p2m_altp2m_propagate_change).
 */
final class Host {
    final HostConfig cfg;
    final ReentrantLock lock = new ReentrantLock();
    final FrameTable frames;
    /** The domains by id; change it only through {@link #addDomain} / {@link #removeDomain}. */
    final TreeMap<Integer, Domain> domains = new TreeMap<>();
    /** {@link #domains}' values in id order, for the guest engine's pass after every call (no iterator per pass). */
    private Domain[] domainOrder = new Domain[0];
    final Domain dom0;
    int nextDomid = 1;
    /** mem_sharing.c next_handle: starts at 1, each new shared page takes ++next_handle, so the first is 2. */
    long nextHandle = 1;
    /** nr_shared_mfns ("used frames") and nr_saved_mfns ("freed pages"). */
    long nrSharedMfns, nrSavedMfns;
    /** Non-null once the emulated Xen has panicked. */
    String panic;
    String panicOp;
    /** The vCPU whose guest operation is running (current), or null for dom0 hypercalls. */
    Vcpu current;
    /** The libxenctrl operation being emulated (named in a panic). */
    String currentOp;

    final Memshr memshr = new Memshr(this);
    final Altp2m altp2m = new Altp2m(this);
    final HostMemAccess memAccess = new HostMemAccess(this);
    final Monitor monitor = new Monitor(this);
    final Domains domainsFamily = new Domains(this);
    final Physmap physmap = new Physmap(this);
    final HvmSave hvmSave = new HvmSave(this);
    final GuestEngine guest = new GuestEngine(this);
    final Console console = new Console();
    final EmulatedXenstore.Tree store = new EmulatedXenstore.Tree();

    Host(HostConfig cfg) {
        this.cfg = cfg;
        this.frames = new FrameTable(cfg.totalPages());
        this.dom0 = new Domain(0, cfg.dom0Hvm(), cfg.dom0Hvm(), false, 1, new P2m());
        addDomain(dom0);
        console.printk("Xen version " + cfg.version() + " (emulated by xenffm)");
    }

    /** The Xen release's line number of a statement (RELEASE-4.17.5 vs RELEASE-4.20.4 sources). */
    int line(int on417, int on420) { return cfg.version().atLeast(4, 19) ? on420 : on417; }

    /**
     * domain_crash(d) from one of d's own vCPUs: the sched.h macro prints its call site, domain.c:__domain_crash the
     * crashing vCPU (then a register dump, show_execution_state, which the emulator does not model).
     */
    void printDomainCrash(Vcpu v, String file, int line) {
        console.printk("domain_crash called from " + file + ":" + line);
        console.printk("Domain " + v.domain.id + " (vcpu#" + v.id + ") crashed on cpu#0:");
    }

    void addDomain(Domain d) {
        domains.put(d.id, d);
        domainOrder = domains.values().toArray(new Domain[0]);
    }

    void removeDomain(Domain d) {
        domains.remove(d.id);
        domainOrder = domains.values().toArray(new Domain[0]);
    }

    /** {@return the domains in id order (the array is replaced, never changed, when the set changes)} */
    Domain[] domainOrder() { return domainOrder; }

    /**
     * Rings whose consumer is still to be notified of requests put during this call, each once (see
     * {@link #notifyLater}).
     */
    private VmEventRing[] toNotify = new VmEventRing[4];
    private int nToNotify;

    /**
     * vm_event_put_request ends with notify_via_xen_event_channel. The emulator sends that notification as the call
     * that put the request ends: every request of the call is on the ring by then, and the consumer's port is set
     * pending once for all of them (evtchn_2l_set_pending: setting a pending port again changes nothing the
     * consumer sees). A consumer that delivered the port between two requests wakes again, as with Xen; one that
     * did not would find the port already pending. What it saves is the atomic test-and-set per request. Requests
     * are put only inside {@link #call} (guest operations and hypercalls), which sends them.
     */
    void notifyLater(VmEventRing r) {
        if (r.notifyQueued) return;
        r.notifyQueued = true;
        if (nToNotify == toNotify.length) toNotify = java.util.Arrays.copyOf(toNotify, nToNotify * 2);
        toNotify[nToNotify++] = r;
    }

    /** Sends the notifications {@link #notifyLater} queued (with the lock held, before it is released). */
    private void notifyConsumers() {
        for (int i = 0; i < nToNotify; i++) {
            VmEventRing r = toNotify[i];
            toNotify[i] = null;
            r.notifyQueued = false;
            if (r.consumer != null) r.consumer.signal(r.consumerPort);
        }
        nToNotify = 0;
    }

    // ---- the hypercall boundary ----------------------------------------------------------------------------------

    /** Runs one hypercall under the big lock: dead hosts refuse, Rc becomes a XenException, paused work resumes. */
    <T> T call(String op, DomainId d, Gfn gfn, ViewId view, Supplier<T> body) {
        lock.lock();
        try {
            checkAlive(op, d, gfn, view);
            currentOp = op;
            try {
                return body.get();
            } catch (Rc rc) {
                throw XenException.of(op, d, gfn, view, rc.errno);
            } finally {
                try {
                    if (panic == null) guest.runPending();
                } finally {
                    notifyConsumers();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    void run(String op, DomainId d, Gfn gfn, ViewId view, Runnable body) {
        call(op, d, gfn, view, () -> { body.run(); return null; });
    }

    void checkAlive(String op, DomainId d, Gfn gfn, ViewId view) {
        if (panic != null) throw new HypervisorCrashedException(op, d, gfn, view, panic);
        // like the FFM backend: the handle refuses every call after close (the guest side keeps running)
        if (closed && !GUEST_SIDE.contains(op)) throw new IllegalStateException(op + ": hypervisor handle closed");
    }

    private static final java.util.Set<String> GUEST_SIDE = java.util.Set.of("guest", "inspect", "peek");
    volatile boolean closed;
    /** Run before {@link #closed} is set: vm_event sessions tear down while the handle still works. */
    final org.xenffm.api.CloseHooks closeHooks = new org.xenffm.api.CloseHooks();

    /** A call sequence that panics real Xen: the emulated host is dead from now on. */
    RuntimeException crash(String op, Domain d, long gfn, int view, String text, String... consoleLines) {
        panic = text;
        panicOp = op;
        // what the console shows before the register dump, then panic()'s banner (register dump not modelled)
        for (String l : consoleLines) console.printk(l);
        console.printk("****************************************");
        console.printk("Panic on CPU 0:");
        console.printk(consoleLines.length > 0 ? consoleLines[consoleLines.length - 1] : text);
        console.printk("****************************************");
        return new HypervisorCrashedException(op, d == null ? null : DomainId.of(d.id),
                gfn < 0 ? null : Gfn.of(gfn), view < 0 ? null : ViewId.of(view), text);
    }

    // ---- domain lookup -------------------------------------------------------------------------------------------

    Domain domainOrNull(int id) {
        Domain d = domains.get(id);
        return d == null || d.destroyed ? null : d;
    }

    /** rcu_lock_domain_by_any_id: ESRCH when missing. */
    Domain lookup(DomainId id) {
        int v = id.value() == DomainId.SELF.value() ? 0 : id.value();
        Domain d = domainOrNull(v);
        if (d == null) throw Rc.of(Errno.ESRCH);
        return d;
    }

    /** rcu_lock_live_remote_domain_by_id: ESRCH missing, EPERM the caller itself (dom0), EINVAL dying. */
    Domain lookupLiveRemote(DomainId id) {
        Domain d = lookup(id);
        if (d == dom0) throw Rc.of(Errno.EPERM);
        if (d.dying) throw Rc.of(Errno.EINVAL);
        return d;
    }

    // ---- host p2m writes and their propagation into views ------------------------------------------------------------

    /** p2m->set_entry on a host p2m, followed by p2m_altp2m_propagate_change (altp2m.c). */
    void setHost(Domain d, long gfn, Entry e) {
        d.host.set(gfn, e);
        if (d.altp2mActive) propagate(d, gfn, e);
    }

    /** {@link #setHost(Domain, long, Entry)} with a packed entry (no object unless views need it). */
    void setHost(Domain d, long gfn, long packed) {
        d.host.set(gfn, packed);
        if (d.altp2mActive) propagate(d, gfn, Entry.unpack(packed));
    }

    private void propagate(Domain d, long gfn, Entry e) {
        int resets = 0;
        for (AltView v : d.views) {
            if (!v.active) continue;
            Entry m = v.table.get(gfn);
            if (!e.valid() && v.remapRangeOverlaps(gfn)) {
                // a dropped page may be the target of a remap in this view
                if (resets++ == 0) {
                    v.reset();
                } else {
                    // at least two views impacted: reset everything
                    for (AltView w : d.views) if (w.active) w.reset();
                    break;
                }
            } else if (m.valid()) {
                v.table.set(gfn, e.valid() ? new Entry(e.mfn(), e.type(), e.access(), m.suppressVe()) : Entry.HOLE);
            }
        }
    }

    /**
     * p2m_get_gfn_type_access on the host p2m: P2M_ALLOC populates a fork's hole (mem_sharing_fork_page),
     * P2M_UNSHARE unshares a ram_shared entry (and on ENOMEM raises a non-sleeping MEM_SHARING notification).
     */
    Entry hostLookup(Domain d, long gfn, boolean alloc, boolean unshare) {
        return Entry.unpack(hostLookupPacked(d, gfn, alloc, unshare));
    }

    /** {@link #hostLookup} returning the packed entry. */
    long hostLookupPacked(Domain d, long gfn, boolean alloc, boolean unshare) {
        long e = d.host.packed(gfn);
        if (alloc && Entry.typeOf(e).hole() && d.isFork()) {
            if (memshr.forkPage(d, gfn, unshare) == 0) e = d.host.packed(gfn);
        }
        if (unshare && Entry.typeOf(e) == P2mType.RAM_SHARED) {
            if (memshr.unshare(d, gfn, false) < 0) memshr.notifyEnomem(d, gfn, false);
            e = d.host.packed(gfn);
        }
        return e;
    }

    /** The contents-bearing frame of a valid mfn (materialising an implicit one). */
    Frame frame(long mfn) { return frames.get(mfn); }

    List<Domain> liveDomains() {
        List<Domain> out = new ArrayList<>();
        for (Domain d : domains.values()) if (!d.destroyed && d != dom0) out.add(d);
        return out;
    }
}
