// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xenffm.api.DomainId;
import org.xenffm.api.Errno;
import org.xenffm.api.Gfn;
import org.xenffm.api.GfnAccess;
import org.xenffm.api.Hypervisor;
import org.xenffm.api.MemAccess;
import org.xenffm.api.ViewId;
import org.xenffm.api.XenException;

/**
 * The watches a {@link MonitorSession} holds, and what each gfn and event kind had before them. Overlapping access
 * watches in one p2m combine: a gfn gets the intersection of their rights (so each still traps what it asked for);
 * when the last watch covering it goes, it gets back what it had before the first. Event kinds are counted: on with
 * the first holder, off with the last. Every method is synchronized: changes, from any thread, and the teardown's
 * {@link #closeAll} never interleave, and nothing is applied once the teardown began.
 */
final class LiveWatches {
    /** A host gfn without a mapping (xc_get_mem_access ESRCH): a hole keeps no access, nothing to put back. */
    static final byte HOLE = -1;
    /** A gfn the view held no entry for (xc_altp2m_get_mem_access ESRCH): put back by dropping the view's entry. */
    static final byte ABSENT = -2;

    /** A teardown step: runs the action, records a failure, never throws. */
    @FunctionalInterface interface Step { boolean run(String what, Runnable action); }

    private final Hypervisor hv;
    private final DomainId domain;
    private final List<LiveWatch> access = new ArrayList<>();
    /** By {@link Watch.Event#slot()}: the kind's settings (from its first holder) and who holds it. */
    private final Map<String, List<LiveWatch>> events = new LinkedHashMap<>();
    private boolean closed;

    LiveWatches(Hypervisor hv, DomainId domain) {
        this.hv = hv;
        this.domain = domain;
    }

    synchronized LiveWatch add(MonitorSession session, Watch w) {
        if (closed) throw new IllegalStateException("the vm_event session on " + domain + " has ended");
        return switch (w) {
            case Watch.Access a -> addAccess(session, a);
            case Watch.Event e -> addEvent(session, e);
        };
    }

    synchronized void remove(LiveWatch lw) {
        if (!lw.active) return;
        switch (lw.watch()) {
            case Watch.Access a -> {
                access.remove(lw);
                lw.active = false;
                try {
                    put(a.viewOrNull(), a.first().value(), a.nr(), lw.original);
                } catch (RuntimeException e) {
                    access.add(lw); // still held: the teardown puts its gfns back
                    lw.active = true;
                    throw e;
                }
            }
            case Watch.Event e -> {
                List<LiveWatch> holders = events.get(e.slot());
                holders.remove(lw);
                lw.active = false;
                if (holders.isEmpty()) {
                    try {
                        off(e);
                    } catch (RuntimeException x) {
                        holders.add(lw);
                        lw.active = true;
                        throw x;
                    }
                    events.remove(e.slot());
                }
            }
        }
    }

    synchronized boolean isActive(LiveWatch lw) { return lw.active; }

    /** The teardown's part: every event kind off, every watched gfn back to what it had; later changes refused. */
    synchronized void closeAll(Step step) {
        closed = true;
        for (List<LiveWatch> holders : events.values()) {
            Watch.Event e = (Watch.Event) holders.getFirst().watch();
            step.run(e.op(), () -> off(e));
            for (LiveWatch lw : holders) lw.active = false;
        }
        events.clear();
        List<LiveWatch> all = new ArrayList<>(access);
        access.clear(); // nothing covers any gfn now: put() writes back each watch's originals
        // the host first: its restores reach the views' entries, which the views' own restores then correct
        all.sort(java.util.Comparator.comparing(lw -> ((Watch.Access) lw.watch()).view().isPresent()));
        for (LiveWatch lw : all) {
            Watch.Access a = (Watch.Access) lw.watch();
            lw.active = false;
            step.run(a.view().isPresent() ? "xc_altp2m_set_mem_access" : "xc_set_mem_access",
                    () -> put(a.viewOrNull(), a.first().value(), a.nr(), lw.original));
        }
    }

    /** Drops everything without a Xen call (the domain is gone). */
    synchronized void forget() {
        closed = true;
        events.values().forEach(h -> h.forEach(lw -> lw.active = false));
        access.forEach(lw -> lw.active = false);
        events.clear();
        access.clear();
    }

    // ---- access ----------------------------------------------------------------------------------------------------

    private LiveWatch addAccess(MonitorSession session, Watch.Access a) {
        if (a.nr() > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("at most 2^31 - 9 gfns per watch");
        ViewId view = a.viewOrNull();
        long first = a.first().value();
        // host watches reach the views' entries too (below), so rights are checked against every p2m's watches
        for (LiveWatch o : overlappingAny(first, a.nr())) combine(a.access(), access(o));
        List<LiveWatch> same = overlapping(view, first, a.nr());
        List<LiveWatch> host = view == null ? same : overlapping(null, first, a.nr());
        byte[] original = new byte[(int) a.nr()];
        for (int i = 0; i < original.length; i++) {
            long g = first + i;
            LiveWatch cover = coverOf(same, g);
            if (cover != null) {
                original[i] = originalOf(cover, g);
                continue;
            }
            byte now = read(view, g);
            LiveWatch hostCover = view == null || now == ABSENT ? null : coverOf(host, g);
            // a host watch's change already reached the view's entry (p2m_altp2m_propagate_change): what the entry
            // gets back when that watch goes is the host's original, so that is the view's original too
            original[i] = hostCover != null && originalOf(hostCover, g) != HOLE ? originalOf(hostCover, g) : now;
        }
        LiveWatch lw = new LiveWatch(session, a, original);
        access.add(lw);
        try {
            put(view, first, a.nr(), original);
        } catch (RuntimeException e) {
            access.remove(lw);
            lw.active = false;
            try {
                put(view, first, a.nr(), original); // what the others (or nothing) asked for
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
        return lw;
    }

    /** The access watches of {@code view} (null: the host) overlapping [first, first + nr). */
    private List<LiveWatch> overlapping(ViewId view, long first, long nr) {
        return overlappingIn(w -> java.util.Objects.equals(w.viewOrNull(), view), first, nr);
    }

    /** The access watches of every p2m overlapping [first, first + nr). */
    private List<LiveWatch> overlappingAny(long first, long nr) { return overlappingIn(w -> true, first, nr); }

    private List<LiveWatch> overlappingIn(java.util.function.Predicate<Watch.Access> p2m, long first, long nr) {
        List<LiveWatch> r = new ArrayList<>();
        for (LiveWatch o : access) {
            Watch.Access w = (Watch.Access) o.watch();
            if (p2m.test(w) && w.first().value() < first + nr && first < w.first().value() + w.nr()) r.add(o);
        }
        return r;
    }

    private static MemAccess access(LiveWatch lw) { return ((Watch.Access) lw.watch()).access(); }

    private static LiveWatch coverOf(List<LiveWatch> watches, long gfn) {
        for (LiveWatch o : watches) if (((Watch.Access) o.watch()).covers(gfn)) return o;
        return null;
    }

    private static byte originalOf(LiveWatch lw, long gfn) {
        return lw.original[(int) (gfn - ((Watch.Access) lw.watch()).first().value())];
    }

    /** What the gfn has now, before any watch of this session on that p2m covers it. */
    private byte read(ViewId view, long gfn) {
        try {
            MemAccess m = view == null ? hv.getMemAccess(domain, Gfn.of(gfn))
                    : hv.altp2mGetMemAccess(domain, view, Gfn.of(gfn));
            return (byte) m.ordinal();
        } catch (XenException e) {
            if (e.errno() != Errno.ESRCH) throw e;
            return view == null ? HOLE : ABSENT; // docs/xen-semantics.md §5.2 (host), §4.5 (a view's own entry)
        }
    }

    /**
     * Writes what each gfn of [first, first + nr) in that p2m should have now, runs of equal access in one call.
     * Host: the intersection of the host watches covering it, else its original. A view: the intersection of its
     * watches and the host watches covering the gfn (a host change reaches every view holding the gfn, Xen's
     * p2m_altp2m_propagate_change, so the view's watches must be written again after it); where no watch of the
     * view covers it, its original, or the host watches' rights while any covers it (what propagation left).
     */
    private void put(ViewId view, long first, long nr, byte[] original) {
        List<LiveWatch> same = overlapping(view, first, nr);
        List<LiveWatch> host = view == null ? same : overlapping(null, first, nr);
        int runStart = 0;
        byte runTarget = target(view, same, host, first, original[0]);
        for (int i = 1; i <= nr; i++) {
            byte t = i < nr ? target(view, same, host, first + i, original[i]) : Byte.MIN_VALUE;
            if (t != runTarget) {
                write(view, first + runStart, i - runStart, runTarget);
                runStart = i;
                runTarget = t;
            }
        }
        if (view == null) {
            for (LiveWatch o : overlappingAny(first, nr)) {
                Watch.Access w = (Watch.Access) o.watch();
                if (w.viewOrNull() != null) put(w.viewOrNull(), w.first().value(), w.nr(), o.original);
            }
        }
    }

    private static byte target(ViewId view, List<LiveWatch> same, List<LiveWatch> host, long gfn, byte original) {
        MemAccess own = intersection(same, gfn);
        if (view == null) return own != null ? (byte) own.ordinal() : original;
        MemAccess fromHost = intersection(host, gfn);
        if (own != null) return (byte) (fromHost == null ? own : combine(own, fromHost)).ordinal();
        if (original == ABSENT || fromHost == null) return original;
        return (byte) fromHost.ordinal();
    }

    /** The rights every watch covering the gfn leaves, or null if none covers it. */
    private static MemAccess intersection(List<LiveWatch> watches, long gfn) {
        MemAccess m = null;
        for (LiveWatch o : watches) {
            Watch.Access w = (Watch.Access) o.watch();
            if (w.covers(gfn)) m = m == null ? w.access() : combine(m, w.access());
        }
        return m;
    }

    private void write(ViewId view, long first, int nr, byte target) {
        if (target == HOLE) return;
        if (target == ABSENT) {
            // p2m_change_altp2m_gfn with INVALID_GFN removes the view's entry: the next access copies the host's
            for (int i = 0; i < nr; i++) hv.altp2mChangeGfn(domain, view, Gfn.of(first + i), Gfn.INVALID);
            return;
        }
        MemAccess m = MemAccess.values()[target];
        if (view == null) {
            hv.setMemAccess(domain, m, Gfn.of(first), nr);
        } else if (nr == 1) {
            hv.altp2mSetMemAccess(domain, view, Gfn.of(first), m);
        } else {
            List<GfnAccess> entries = new ArrayList<>(nr);
            for (int i = 0; i < nr; i++) entries.add(new GfnAccess(Gfn.of(first + i), m));
            hv.altp2mSetMemAccessMulti(domain, view, entries);
        }
    }

    /**
     * The rights two watches on one gfn leave: the intersection, so each still traps what it asked for. The
     * accesses with side effects (rx2rw, n2rwx, r_pw) combine only with themselves.
     */
    static MemAccess combine(MemAccess a, MemAccess b) {
        if (a == b) return a;
        if (a.ordinal() > MemAccess.RWX.ordinal() || b.ordinal() > MemAccess.RWX.ordinal())
            throw new IllegalArgumentException(a.label() + " and " + b.label()
                    + " cannot watch the same gfn: only plain r/w/x rights combine");
        return MemAccess.values()[a.ordinal() & b.ordinal()]; // N..RWX are the xenmem_access_t bit sets r=1 w=2 x=4
    }

    // ---- event kinds -----------------------------------------------------------------------------------------------

    private LiveWatch addEvent(MonitorSession session, Watch.Event e) {
        List<LiveWatch> holders = events.get(e.slot());
        if (holders != null) {
            Watch.Event held = (Watch.Event) holders.getFirst().watch();
            if (!held.settings().equals(e.settings()))
                throw new IllegalArgumentException(e.slot() + " is already watched with other settings (" + held
                        + "); remove that watch first");
        } else {
            e.on(hv, domain);
            holders = new ArrayList<>();
            events.put(e.slot(), holders);
        }
        LiveWatch lw = new LiveWatch(session, e, null);
        holders.add(lw);
        return lw;
    }

    private void off(Watch.Event e) {
        try {
            e.off(hv, domain);
        } catch (XenException x) {
            if (x.errno() != Errno.EEXIST) throw x; // already off (e.g. wiped): fine
        }
    }
}
