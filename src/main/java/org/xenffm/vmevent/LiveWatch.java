// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

/**
 * A {@link Watch} a running {@link MonitorSession} holds: {@link #remove()} undoes it while the session goes on,
 * and the session's teardown undoes it if nobody did. Returned by {@link MonitorSession#add}.
 */
public final class LiveWatch implements AutoCloseable {
    private final MonitorSession session;
    private final Watch watch;
    /** Guarded by the session's watch table. */
    boolean active = true;
    /**
     * For an access watch: what each of its gfns had before the first watch of the session covered it (the
     * {@link MemAccess#ordinal()}, or {@link LiveWatches#HOLE}/{@link LiveWatches#ABSENT}); every watch covering a gfn
     * carries the same value, so whichever is removed last restores it.
     */
    final byte[] original;

    LiveWatch(MonitorSession session, Watch watch, byte[] original) {
        this.session = session;
        this.watch = watch;
        this.original = original;
    }

    /** {@return what is watched} */
    public Watch watch() { return watch; }

    /** {@return whether the watch is still in force (not removed, the session not torn down)} */
    public boolean isActive() { return session.isActive(this); }

    /**
     * Stops watching, with the same ordering as {@link MonitorSession#add}: from a handler at once (before its
     * response reaches Xen), from another thread between two drains of the ring. An access watch puts back, gfn by
     * gfn, the intersection of the other watches still covering it, or what the gfn had before the session's first
     * watch on it (xc_set_mem_access / xc_altp2m_set_mem_access; a view entry the watch made Xen copy is dropped
     * again with xc_altp2m_change_gfn to INVALID_GFN). An event kind is switched off (its xc_monitor_* call) once no
     * watch holds it. Events the watch raised before its removal are still handed to the handlers and answered.
     * Idempotent; after the session's teardown it does nothing (the teardown undid it).
     *
     * @throws org.xenffm.api.XenException from those calls: the watch then stays held (perhaps partly undone) and
     *         a later remove, or the teardown, undoes it
     */
    public void remove() { session.remove(this); }

    /** {@link #remove()}, for try-with-resources. */
    @Override public void close() { remove(); }

    @Override public String toString() { return "live watch " + watch; }
}
