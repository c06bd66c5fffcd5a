// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import static org.xenffm.vmevent.VmEventAbi.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import org.xenffm.api.ControlRegister;
import org.xenffm.api.MonitorRing;
import org.xenffm.api.VcpuId;

/**
 * The back end of a vm_event ring (Xen produces requests, we consume them and produce responses), over the 4096-byte
 * page that {@code monitorEnable} mapped — on either backend. It follows public/io/ring.h and tools/misc/xen-access.c
 * (docs/xen-semantics.md §7.4): free-running uint32 indexes, {@code req_prod} read with acquire semantics before a slot
 * is read, {@code rsp_prod} published with release semantics after the responses are written.
 *
 * <p>Nothing read from the page is trusted. Indexes are checked against what this consumer knows Xen may have
 * produced; every request's header and {@code u} union are copied out of its slot before they are looked at, and its
 * version, reason, vCPU and payload enumerations are checked there; violations raise {@link RingCorruptException}.
 * The register block, which nothing checks, is read from the slot only when a handler asks for it (the slot is ours
 * until we answer). Slot offsets come only from our own masked indexes, so no read or write can leave the page.
 *
 * <p>One consumer thread owns a ring, as on Xen. The one exception is {@link #takeOver}: a teardown that cannot wait
 * for a stuck handler takes the ring from the thread running it, and that thread's late answer is dropped.
 */
public final class VmEventRing {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private final MemorySegment page;
    private final int vcpus;
    private final VcpuId[] vcpuIds;
    private final long[] scratch = new long[SLOT_SIZE / 8]; // drain's reused private copy
    /**
     * The slot of the request drain is handing out, and whether its registers are in {@code scratch} yet. drain
     * copies the header and {@code u} (what is checked, and echoed) at once and the 344-byte register block only when
     * a handler asks for it: until its answer is written that slot is ours — Xen writes a slot only after the
     * response it held was consumed, and this ring writes answers at the end of the batch.
     */
    private long current;
    private boolean regsCopied;
    private final RequestView view = new RequestView(this, scratch);
    /** By reason: the reusable typed event over {@code scratch} that typed handlers get ({@link #view(int)}). */
    private final VmEvent[] views = new VmEvent[REASON_MAX + 1];
    /**
     * The ring's slot area as this consumer will write it: responses are encoded here (slot = page slot) and go to
     * the page together, under the lock, once per batch ({@link #flush}) — never from a drain that lost the ring.
     */
    private final long[] staged = new long[RING_SIZE * SLOT_WORDS];
    private final MemorySegment stagedSeg = MemorySegment.ofArray(staged);
    /** By slot: whether the staged response carries the data union (then the whole slot is written, else the head). */
    private final boolean[] stagedData = new boolean[RING_SIZE];
    /**
     * Responses staged since the last flush, for slots rsp_prod_pvt, rsp_prod_pvt + 1, …: written (release) by the
     * draining thread after each staged response, read (acquire) by a thread taking the ring over, which writes
     * those to the page for its successor.
     */
    private int pending;
    private static final VarHandle PENDING;

    // BACK_RING private state: req_cons and rsp_prod_pvt; plus what we last published and last saw from Xen
    private int reqCons, rspProdPvt, rspPushed, lastReqProd;
    /**
     * Who works on the ring, for what {@code synchronized} would give without a compare-and-set per event: LOCKED
     * while a thread works on the ring's state; DRAINING while {@link #drain} takes requests and runs handlers —
     * its thread touches only private state then (the page is read, the answers are staged) and checks the state
     * with a plain read per request, so {@link #takeOverFromHandler} may take the ring at any moment; IDLE when no
     * one works on it; ABANDONED once {@link #takeOver} gave it to a successor (this object never writes the page
     * again). Draining takes two compare-and-sets per batch (into LOCKED at the start and again to write the
     * batch), not one per event.
     */
    private volatile int state;
    private static final int IDLE = 0, LOCKED = 1, DRAINING = 2, REENTERED = -1;
    static final int ABANDONED = 3;
    private static final VarHandle STATE;
    static {
        try {
            var l = java.lang.invoke.MethodHandles.lookup();
            STATE = l.findVarHandle(VmEventRing.class, "state", int.class);
            PENDING = l.findVarHandle(VmEventRing.class, "pending", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    /** The thread holding LOCKED or DRAINING (a call back into the ring from inside, e.g. from resume, goes through). */
    private Thread holder;
    private static final int SLOT_WORDS = SLOT_SIZE / 8;

    private VmEventRing(MemorySegment page, int vcpus) {
        if (page.byteSize() != PAGE_SIZE) throw new IllegalArgumentException("a vm_event ring is one 4096-byte page");
        if (page.maxByteAlignment() < 8)
            throw new IllegalArgumentException("ring page must be 8-byte aligned (native memory or a long[])");
        if (vcpus < 1) throw new IllegalArgumentException("a domain has at least one vCPU");
        this.page = page;
        this.vcpus = vcpus;
        this.vcpuIds = new VcpuId[vcpus];
        for (int v = 0; v < vcpus; v++) vcpuIds[v] = VcpuId.of(v);
        for (int r = 0; r <= REASON_MAX; r++) views[r] = event(r, scratch, vcpuIds, this);
    }

    /**
     * Takes over a freshly enabled ring: checks the hypervisor's vm_event version, then SHARED_RING_INIT +
     * BACK_RING_INIT as xen-access does right after xc_monitor_enable (Xen only reset its private indexes). Call it
     * with the domain paused since before xc_monitor_enable (as {@link MonitorSession} does): a request Xen put in
     * between is wiped from req_prod, never answered, and its vCPU stays paused.
     *
     * @param ring              what {@code Hypervisor.monitorEnable} returned
     * @param hypervisorVersion xc_vm_event_get_version's answer
     * @param vcpus             the domain's vCPU count (max_vcpu_id + 1): requests naming another vCPU are corrupt
     * @return the consumer's side of the ring
     * @throws VmEventVersionException the hypervisor's version is not {@link VmEventAbi#VERSION}
     */
    public static VmEventRing attach(MonitorRing ring, int hypervisorVersion, int vcpus) {
        return attach(ring.page(), hypervisorVersion, vcpus);
    }

    /**
     * As {@link #attach(MonitorRing, int, int)} over a raw page (benchmarks, tests).
     *
     * @param page              the 4096-byte ring page
     * @param hypervisorVersion xc_vm_event_get_version's answer
     * @param vcpus             the domain's vCPU count
     * @return the consumer's side of the ring
     * @throws VmEventVersionException the hypervisor's version is not {@link VmEventAbi#VERSION}
     */
    public static VmEventRing attach(MemorySegment page, int hypervisorVersion, int vcpus) {
        if (hypervisorVersion != VERSION) throw new VmEventVersionException(VERSION, hypervisorVersion);
        VmEventRing r = new VmEventRing(page, vcpus);
        r.sharedRingInit();
        return r;
    }

    /** Tests and benchmarks: a ring whose free-running indexes start at {@code start} (uint32 wrap-around). */
    static VmEventRing attachAt(MemorySegment page, int vcpus, int start) {
        VmEventRing r = attach(page, VERSION, vcpus);
        page.set(ValueLayout.JAVA_INT, REQ_PROD, start);
        INT.setRelease(page, RSP_PROD, start);
        r.reqCons = r.rspProdPvt = r.rspPushed = r.lastReqProd = start;
        return r;
    }

    // ring.h:SHARED_RING_INIT — indexes to 0, event thresholds to 1, pvt and pad zeroed
    private void sharedRingInit() {
        page.asSlice(PVT, RING - PVT).fill((byte) 0);
        page.set(ValueLayout.JAVA_INT, REQ_EVENT, 1);
        page.set(ValueLayout.JAVA_INT, RSP_EVENT, 1);
        page.set(ValueLayout.JAVA_INT, REQ_PROD, 0);
        INT.setRelease(page, RSP_PROD, 0);
    }

    /**
     * RING_HAS_UNCONSUMED_REQUESTS with validation: reads req_prod (acquire) and returns how many requests may be
     * taken now. Throws when req_prod went backwards or is further ahead of our published responses than the ring
     * has slots — a correct Xen can never produce that (its free count is RING_SIZE − (req_prod − rsp_cons)).
     *
     * @return the number of requests that may be taken now, 0 to RING_SIZE
     * @throws RingCorruptException INDEX_OUT_OF_RANGE for impossible indexes
     */
    public int unconsumedRequests() {
        int reqProd = (int) INT.getAcquire(page, REQ_PROD);
        if (Integer.compareUnsigned(reqProd - lastReqProd, RING_SIZE) > 0
                || Integer.compareUnsigned(reqProd - rspPushed, RING_SIZE) > 0)
            throw new RingCorruptException(RingCorruptException.Kind.INDEX_OUT_OF_RANGE, String.format(
                    "req_prod %d, last seen %d, responses published up to %d, req_cons %d (ring size %d)",
                    Integer.toUnsignedLong(reqProd), Integer.toUnsignedLong(lastReqProd),
                    Integer.toUnsignedLong(rspPushed), Integer.toUnsignedLong(reqCons), RING_SIZE));
        lastReqProd = reqProd;
        return Math.min(reqProd - reqCons, RING_SIZE - (reqCons - rspProdPvt));
    }

    /**
     * Takes the next request off the ring (RING_COPY_REQUEST, req_cons += 1, req_event = req_cons + 1) and decodes
     * it. A corrupt entry is consumed and reported with its raw header.
     *
     * @return the decoded request, or null if there is none
     * @throws RingCorruptException impossible indexes, or a corrupt entry ({@link #acknowledge} it)
     */
    public VmEvent next() {
        if (unconsumedRequests() == 0) return null;
        long[] entry = new long[SLOT_SIZE / 8]; // RING_COPY_REQUEST: the event owns this private copy
        MemorySegment.copy(page, ValueLayout.JAVA_LONG, slotOffset(reqCons), entry, 0, entry.length);
        reqCons++;
        page.set(ValueLayout.JAVA_INT, REQ_EVENT, reqCons + 1);
        return decode(entry);
    }

    /**
     * Writes the response to {@code request} into slot rsp_prod_pvt &amp; 7 (reusing a consumed request slot),
     * echoing its vcpu_id, reason and VCPU_PAUSED. Visible to Xen after {@link #pushResponses()}.
     *
     * @param request  the request taken with {@link #next()}
     * @param response what Xen should do
     * @throws IllegalStateException more responses than requests taken
     */
    public void respond(VmEvent request, VmEventResponse response) {
        long[] entry = ((RingEvent) request).w;
        put(response, Words.u32(entry, VCPU_ID), Words.u32(entry, REASON), Words.u32(entry, FLAGS), entry);
    }

    /** Answers one request for {@link #drain}: gets a view of the ring's private copy, valid only during the call. */
    @FunctionalInterface
    public interface Handler {
        /**
         * Answers one request.
         *
         * @param request the request, valid only during the call
         * @return the response; null means {@link VmEventResponse#CONTINUE}
         */
        VmEventResponse handle(RequestView request);
    }

    /**
     * Takes and answers every request on the ring without allocating: each is copied into one reused private
     * buffer, its header checked as {@link #next()} does, and handed to {@code handler} as a {@link RequestView}
     * (call {@link RequestView#event()} for a typed copy that outlives the call). The fast path for consumers that
     * answer from a few fields, e.g. a fuzzer's breakpoint loop. Responses still need {@link #pushResponses()}.
     * A corrupt header throws as in {@link #next()} (acknowledge it); if the handler throws, its request is
     * answered with CONTINUE before the exception propagates.
     *
     * @param handler answers each request
     * @return the number of requests answered
     * @throws RingCorruptException impossible indexes or a corrupt header
     */
    public int drain(Handler handler) {
        int was = enterDrain();
        if (was == ABANDONED) return 0;
        for (int n = 0; ; ) { // LOCKED here
            int available = startBatch(was);
            if (available == 0) return n;
            Throwable thrown = null;
            try {
                for (int i = 0; i < available && draining(); i++, n++) {
                    take();
                    VmEventResponse r;
                    try {
                        r = handler.handle(view);
                    } catch (RuntimeException | Error e) {
                        throw answeredAfter(e);
                    }
                    answer(r);
                }
            } catch (RuntimeException | Error e) {
                thrown = e;
            }
            if (!endBatch(was, thrown)) return n;
        }
    }

    // ---- the steps of a drain, for drain(Handler) and SessionDispatch.drain (each its own loop: see there) ----

    /** Takes LOCKED for a drain; ABANDONED (unlocked again) when this ring was given to a successor. */
    int enterDrain() {
        int was = lock();
        if (was == REENTERED) throw new IllegalStateException("drain called from inside the ring's own work");
        if (was == ABANDONED) unlock(was);
        return was;
    }

    /**
     * Under LOCKED: how many requests the next batch has. None: unlocks and returns 0. Else enters DRAINING — from
     * here a takeover may take the ring; the drain only reads the page and stages answers.
     */
    int startBatch(int was) {
        int available;
        try {
            available = unconsumedRequests();
        } catch (RuntimeException e) {
            unlock(was);
            throw e;
        }
        if (available == 0) {
            unlock(was);
            return 0;
        }
        STATE.setRelease(this, DRAINING);
        return available;
    }

    /** Whether this thread still drains the ring (no takeover since the batch began): an opaque read per request. */
    boolean draining() { return (int) STATE.getOpaque(this) == DRAINING; }

    /** The view {@link #take} fills: the request being handled. */
    RequestView requestView() { return view; }

    /** Copies the next request's header and {@code u} into the private buffer and checks its header. */
    void take() {
        long[] s = scratch;
        long slot = slotOffset(reqCons);
        // seven loads: a MemorySegment.copy this short is a call to the copy stub (seen in the C2 code)
        for (int w = 0; w < VmEventResponse.HEAD_WORDS; w++) s[w] = page.get(ValueLayout.JAVA_LONG, slot + 8L * w);
        current = slot;
        regsCopied = false;
        reqCons++;
        validateHeader(s);
    }

    /** Stages the answer to the request taken last (null: CONTINUE). */
    void answer(VmEventResponse r) {
        long[] s = scratch;
        stage(r == null ? VmEventResponse.CONTINUE : r, Words.u32(s, VCPU_ID), Words.u32(s, REASON),
                Words.u32(s, FLAGS), s);
    }

    /**
     * A handler threw: its request is answered CONTINUE, then the exception goes on (a corrupt payload's is marked
     * answered).
     */
    RuntimeException answeredAfter(Throwable e) {
        answer(VmEventResponse.CONTINUE);
        if (e instanceof RingCorruptException c) return c.answered();
        return sneaky(e);
    }

    /**
     * Writes the batch under the lock — unless a takeover came first: its successor wrote what was staged before
     * it, and answers the rest; what this thread staged later is dropped. Rethrows what the batch threw. Returns
     * whether the drain goes on (LOCKED again).
     */
    boolean endBatch(int was, Throwable thrown) {
        if (!STATE.compareAndSet(this, DRAINING, LOCKED)) {
            if (thrown != null) throw sneaky(thrown);
            return false;
        }
        flush(pending);
        page.set(ValueLayout.JAVA_INT, REQ_EVENT, reqCons + 1);
        if (thrown != null) {
            unlock(was);
            throw sneaky(thrown);
        }
        return true;
    }

    private static RuntimeException sneaky(Throwable t) {
        if (t instanceof Error e) throw e;
        return (RuntimeException) t;
    }

    /**
     * Encodes a response to the request taken last-but-{@code pending} into its staging slot (the page slot it goes
     * to); the page gets it with {@link #flush}.
     */
    private void stage(VmEventResponse response, int vcpu, int reason, int requestFlags, long[] request) {
        int k = pending;
        if (rspProdPvt + k == reqCons) throw new IllegalStateException("more responses than consumed requests");
        int slot = (rspProdPvt + k) & (RING_SIZE - 1);
        stagedData[slot] = response.encode(staged, slot * SLOT_WORDS, stagedSeg, vcpu, reason, requestFlags, request);
        PENDING.setRelease(this, k + 1); // a takeover reads staged slots only below what it reads here
    }

    /** Writes the first {@code k} staged responses to their page slots (rsp_prod_pvt += k); under LOCKED. */
    private void flush(int k) {
        for (int i = 0; i < k; i++) {
            int slot = (rspProdPvt + i) & (RING_SIZE - 1);
            long off = slotOffset(slot);
            int first = slot * SLOT_WORDS;
            if (stagedData[slot]) {
                MemorySegment.copy(staged, first, page, ValueLayout.JAVA_LONG, off, SLOT_WORDS);
            } else { // the common answer: seven stores, not a call to the copy stub
                for (int w = 0; w < VmEventResponse.HEAD_WORDS; w++)
                    page.set(ValueLayout.JAVA_LONG, off + 8L * w, staged[first + w]);
            }
        }
        rspProdPvt += k;
        pending = 0;
    }

    /** The registers of the request being handled, into {@code scratch} (once per request). */
    void copyRegs() {
        if (regsCopied) return;
        MemorySegment.copy(page, ValueLayout.JAVA_LONG, current + DATA, scratch, (int) (DATA / 8), DATA_SIZE / 8);
        regsCopied = true;
    }

    /**
     * One register of the request being handled ({@code dataOffset} in the register block, 8-aligned): from the
     * copy once made, else from the request's slot — at an offset of our own, inside the page (checked).
     */
    long reg(long dataOffset) {
        return regsCopied ? scratch[(int) ((DATA + dataOffset) >>> 3)]
                : page.get(ValueLayout.JAVA_LONG, current + DATA + dataOffset);
    }

    /** Takes LOCKED, waiting out another thread's ring work or drain; returns the state to restore on unlock. */
    private int lock() {
        Thread me = Thread.currentThread();
        if (holder == me) return REENTERED;
        for (int spins = 0; ; spins++) {
            int st = state;
            if (st != LOCKED && st != DRAINING && STATE.compareAndSet(this, st, LOCKED)) {
                holder = me;
                return st;
            }
            if (spins < 100) Thread.onSpinWait();
            else Thread.yield();
        }
    }

    /** Leaves LOCKED for {@code next} (what {@link #lock} returned, or ABANDONED). */
    private void unlock(int next) {
        if (next == REENTERED) return;
        holder = null;
        STATE.setRelease(this, next);
    }

    /**
     * Takes LOCKED from a drain in progress (or, unless {@code onlyFromDrain}, from an idle ring); waits out short
     * ring work. Returns the state taken, or IDLE / ABANDONED when there was nothing to take.
     */
    private int grab(boolean onlyFromDrain) {
        for (int spins = 0; ; spins++) {
            int st = state;
            if (st == ABANDONED || (onlyFromDrain && st == IDLE)) return st == ABANDONED ? ABANDONED : IDLE;
            if (st != LOCKED && STATE.compareAndSet(this, st, LOCKED)) {
                holder = Thread.currentThread();
                return st;
            }
            if (spins < 100) Thread.onSpinWait();
            else Thread.yield();
        }
    }

    /**
     * Takes the ring away from the thread draining it — typically one stuck in (or spinning in) a handler — and
     * returns a successor that continues exactly where it stood: the answers that drain had decided go to the page
     * now, and the request whose handler is still running is the successor's first (its next {@link #drain} reads it
     * again from the page, where it stays until answered, and hands it to that drain's handler; teardown answers it
     * CONTINUE). From here on this object never writes to the page: the stuck handler's answer, should it ever
     * come, is dropped.
     *
     * @return the successor, which owns the ring from now on
     * @throws IllegalStateException the ring was taken over already
     */
    public VmEventRing takeOver() {
        if (grab(false) == ABANDONED) throw new IllegalStateException("ring already taken over");
        return successor();
    }

    /**
     * {@link #takeOver} if, and only if, a {@link #drain} is in progress (a handler runs, or its thread is between
     * two of them); else null and nothing changes.
     *
     * @return the successor, or null when no drain is in progress
     */
    public VmEventRing takeOverFromHandler() {
        return grab(true) == DRAINING ? successor() : null;
    }

    /** Under the lock: the successor; this object is ABANDONED from then on. */
    private VmEventRing successor() {
        // what the drain staged before this point is complete (release/acquire on pending); the drain's thread
        // writes only later slots from here on, and never the page
        flush((int) PENDING.getAcquire(this));
        VmEventRing s = new VmEventRing(page, vcpus);
        s.reqCons = s.rspProdPvt = rspProdPvt; // the request in a running handler is read again by the successor
        s.rspPushed = rspPushed;
        s.lastReqProd = lastReqProd;
        unlock(ABANDONED);
        return s;
    }

    /**
     * Releases every vCPU of a ring that can no longer be read (found corrupt): one response per vCPU, CONTINUE with
     * VCPU_PAUSED (plus {@code extraFlags} of that vCPU, e.g. switching single-step off), pushed in batches of at
     * most the ring's size, {@code resume} (xc_monitor_resume) after each batch. Xen unpauses only vCPUs that a
     * vm_event paused and ignores the response for any other (common/vm_event.c:vm_event_resume checks
     * vm_event_pause_count first; vm_event_vcpu_unpause refuses to underflow), so answering a vCPU that was not
     * waiting changes nothing. Nothing is read from the page.
     *
     * @param extraFlags response flags to add for a vCPU (by index), e.g. TOGGLE_SINGLESTEP
     * @param resume xc_monitor_resume, called after each batch is pushed
     */
    public void releaseEveryVcpu(java.util.function.IntUnaryOperator extraFlags, Runnable resume) {
        int was = lock();
        try {
            int batch = 0;
            for (int v = 0; v < vcpus; v++) {
                VmEventResponse r = VmEventResponse.CONTINUE;
                int extra = extraFlags.applyAsInt(v);
                if ((extra & FLAG_TOGGLE_SINGLESTEP) != 0) r = r.toggleSinglestep();
                reqCons = rspProdPvt + pending + 1; // keep the accounting whole; this page's requests are never read again
                stage(r, v, REASON_UNKNOWN, FLAG_VCPU_PAUSED, null);
                if (++batch == RING_SIZE || v == vcpus - 1) {
                    flush(pending);
                    INT.setRelease(page, RSP_PROD, rspProdPvt);
                    rspPushed = rspProdPvt;
                    resume.run();
                    batch = 0;
                }
            }
        } finally {
            unlock(was);
        }
    }

    /**
     * Answers an entry that {@link #next()} rejected after consuming it, so the ring's slot accounting stays whole
     * and, when the entry names a real vCPU, that vCPU is released rather than left paused.
     *
     * @param e the rejection {@link #next()} threw
     * @throws IllegalArgumentException the entry was not consumed
     */
    public void acknowledge(RingCorruptException e) {
        if (!e.consumed()) throw new IllegalArgumentException("the entry was not consumed", e);
        boolean realVcpu = Integer.compareUnsigned(e.rawVcpu(), vcpus) < 0;
        int was = lock();
        try {
            put(VmEventResponse.CONTINUE, e.rawVcpu(), e.rawReason(), realVcpu ? e.rawFlags() : 0, null);
        } finally {
            unlock(was);
        }
    }

    private void put(VmEventResponse response, int vcpu, int reason, int requestFlags, long[] request) {
        stage(response, vcpu, reason, requestFlags, request);
        flush(pending);
    }

    /**
     * RING_PUSH_RESPONSES: publishes rsp_prod with release semantics. Returns whether anything new was published,
     * i.e. whether the caller must notify Xen's event channel.
     *
     * @return whether new responses were published
     */
    public boolean pushResponses() {
        int was = lock();
        try {
            if (was == ABANDONED || rspPushed == rspProdPvt) return false;
            INT.setRelease(page, RSP_PROD, rspProdPvt);
            rspPushed = rspProdPvt;
            return true;
        } finally {
            unlock(was);
        }
    }

    /** {@return the number of requests taken but not yet answered} */
    public int unanswered() { return reqCons - rspProdPvt; }

    /** {@return the number of responses written but not yet pushed} */
    public int unpushed() { return rspProdPvt - rspPushed; }

    /** {@return the domain's vCPU count the ring checks requests against} */
    public int vcpus() { return vcpus; }

    VcpuId vcpuId(int v) { return vcpuIds[v]; }

    // ---- decoding (from the private copy only) ----

    /** Checks version, reason and vCPU of a private copy (every request, on every path). */
    private void validateHeader(long[] s) {
        int version = Words.u32(s, VERSION_OFF), flags = Words.u32(s, FLAGS), reason = Words.u32(s, REASON),
                vcpu = Words.u32(s, VCPU_ID);
        if (version != VERSION)
            throw corrupt(RingCorruptException.Kind.BAD_VERSION, "request version " + version + ", expected " + VERSION,
                    vcpu, reason, flags);
        if (Integer.compareUnsigned(reason, REASON_MAX) > 0)
            throw corrupt(RingCorruptException.Kind.UNKNOWN_REASON, "reason " + Integer.toUnsignedLong(reason),
                    vcpu, reason, flags);
        if (Integer.compareUnsigned(vcpu, vcpus) >= 0)
            throw corrupt(RingCorruptException.Kind.VCPU_OUT_OF_RANGE,
                    "vcpu_id " + Integer.toUnsignedLong(vcpu) + " in a domain of " + vcpus + " vCPUs", vcpu, reason,
                    flags);
    }

    /**
     * Checks the payload fields a typed event turns into enumerations (control register index, descriptor) of a
     * private copy whose header passed {@link #validateHeader}; what {@link #decode} relies on.
     */
    void validatePayload(long[] s) {
        int reason = Words.u32(s, REASON);
        if (reason == REASON_WRITE_CTRLREG) {
            int idx = u32(s, CTRLREG_INDEX);
            if (Integer.compareUnsigned(idx, ControlRegister.XCR0.index()) > 0)
                throw corrupt(RingCorruptException.Kind.BAD_PAYLOAD, "control register index " + idx,
                        Words.u32(s, VCPU_ID), reason, Words.u32(s, FLAGS));
        } else if (reason == REASON_DESCRIPTOR_ACCESS) {
            int d = u8(s, DESC_DESCRIPTOR);
            if (VmEvent.Descriptor.of(d) == null)
                throw corrupt(RingCorruptException.Kind.BAD_PAYLOAD, "descriptor " + d, Words.u32(s, VCPU_ID),
                        reason, Words.u32(s, FLAGS));
        }
    }

    /** Validates and decodes a private copy; the event keeps {@code s}. */
    VmEvent decode(long[] s) {
        validateHeader(s);
        validatePayload(s);
        return decodeValid(s);
    }

    /** Decodes a private copy that passed {@link #validateHeader} and {@link #validatePayload}; keeps {@code s}. */
    VmEvent decodeValid(long[] s) { return event(Words.u32(s, REASON), s, vcpuIds, null); }

    /**
     * The ring's reusable event of a reason's type over its private copy of the current request: what typed handlers
     * get. Valid only while that request is being handled (the next one overwrites the copy).
     */
    VmEvent view(int reason) { return views[reason]; }

    /** The event type of {@code reason} over the words {@code s} (a reason above REASON_MAX was rejected before). */
    private static VmEvent event(int reason, long[] s, VcpuId[] ids, VmEventRing live) {
        return switch (reason) {
            case REASON_MEM_ACCESS -> new VmEvent.MemAccess(s, ids, live);
            case REASON_WRITE_CTRLREG -> new VmEvent.WriteCtrlreg(s, ids, live);
            case REASON_MOV_TO_MSR -> new VmEvent.MovToMsr(s, ids, live);
            case REASON_SOFTWARE_BREAKPOINT -> new VmEvent.SoftwareBreakpoint(s, ids, live);
            case REASON_SINGLESTEP -> new VmEvent.Singlestep(s, ids, live);
            case REASON_GUEST_REQUEST -> new VmEvent.GuestRequest(s, ids, live);
            case REASON_DEBUG_EXCEPTION -> new VmEvent.DebugException(s, ids, live);
            case REASON_CPUID -> new VmEvent.Cpuid(s, ids, live);
            case REASON_INTERRUPT -> new VmEvent.Interrupt(s, ids, live);
            case REASON_DESCRIPTOR_ACCESS -> new VmEvent.DescriptorAccess(s, ids, live);
            case REASON_EMUL_UNIMPLEMENTED -> new VmEvent.EmulUnimplemented(s, ids, live);
            case REASON_VMEXIT -> new VmEvent.Vmexit(s, ids, live);
            case REASON_IO_INSTRUCTION -> new VmEvent.IoInstruction(s, ids, live);
            case REASON_MEM_SHARING -> new VmEvent.MemSharing(s, ids, live);
            default -> new VmEvent.Unknown(s, ids, live);
        };
    }

    private static RingCorruptException corrupt(RingCorruptException.Kind k, String detail, int vcpu, int reason,
                                                int flags) {
        return new RingCorruptException(k, detail, vcpu, reason, flags);
    }

    private static long u64(long[] s, long uOff) { return Words.u64(s, U + uOff); }
    private static int u32(long[] s, long uOff) { return Words.u32(s, U + uOff); }
    private static int u8(long[] s, long uOff) { return Words.u8(s, U + uOff); }
}
