// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import static org.xenffm.vmevent.VmEventAbi.*;

import java.util.Arrays;
import org.xenffm.api.VcpuId;
import org.xenffm.api.X86Registers;

/**
 * What every {@link VmEvent} type is: fields read on demand from a request's words. The words are either the ring's
 * reused private copy of the current request ({@code live}: the event a handler gets, valid only during the call) or
 * a copy of them owned by this event alone. Both are Java arrays, never the shared page: every read is bounds-checked
 * by the JVM, and the ring checked the header (and, before handing the event out, the payload enumerations).
 */
abstract class RingEvent {
    /** The request's 400 bytes as 8-byte words. */
    final long[] w;
    /** The domain's vCPU ids by index (shared with the ring; never changed); vcpu_id was checked against it. */
    final VcpuId[] ids;
    /**
     * The ring whose reused copy this event reads (the next request overwrites it), or null for an event that owns
     * its words. That copy holds the header and {@code u} at once, the registers only once asked for
     * ({@link VmEventRing#copyRegs}).
     */
    private final VmEventRing ring;
    private final EventRegisters regs;
    /** The header of an event that owns its words, once asked for. */
    private EventHeader header;

    RingEvent(long[] w, VcpuId[] ids, VmEventRing ring) {
        this.w = w;
        this.ids = ids;
        this.ring = ring;
        this.regs = new EventRegisters(w);
    }

    /** Whether this is the ring's reusable event (valid only during the handler's call). */
    final boolean live() { return ring != null; }

    /** The words, with the registers in them. */
    private long[] whole() {
        if (ring != null) ring.copyRegs();
        return w;
    }

    /** A private copy of the whole request, for {@code copy()} of a live event. */
    final long[] detached() { return whole().clone(); }

    /**
     * The common request fields (a handler's event builds the small record per call, which the JIT removes when it is
     * not kept; {@link #vcpu()} builds nothing).
     *
     * @return vCPU, flags, reason, view
     */
    public EventHeader header() {
        if (ring != null) return newHeader(); // changes with every request; the JIT drops it when not kept
        EventHeader h = header;
        if (h == null) header = h = newHeader(); // an event that owns its words: built once (next()'s callers ask often)
        return h;
    }

    private EventHeader newHeader() {
        return new EventHeader(vcpu(), Words.u32(w, FLAGS), Words.u32(w, REASON), Words.u16(w, ALTP2M_IDX));
    }

    /**
     * The vCPU's registers at the event, over the same words as the event (a handler's: valid only during the call).
     *
     * @return the registers
     */
    public X86Registers regs() {
        whole();
        return regs;
    }

    /**
     * The vCPU that raised the event.
     *
     * @return its id
     */
    public VcpuId vcpu() { return ids[Words.u32(w, VCPU_ID)]; }

    /** One line of the type's own fields, for {@link #toString()}. */
    abstract String fields();

    final long u64(long uOff) { return Words.u64(w, U + uOff); }
    final int u32(long uOff) { return Words.u32(w, U + uOff); }
    final int u8(long uOff) { return Words.u8(w, U + uOff); }

    /**
     * Equal when of the same type and carrying the same request bytes.
     *
     * @param o the other object
     * @return whether they are equal
     */
    @Override public final boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && Arrays.equals(whole(), ((RingEvent) o).whole());
    }

    /** {@return a hash of the type and the request bytes} */
    @Override public final int hashCode() { return getClass().hashCode() * 31 + Arrays.hashCode(whole()); }

    /** {@return the type, the header, RIP and the type's fields} */
    @Override public final String toString() {
        String f = fields();
        return getClass().getSimpleName() + "[" + header() + ", rip=0x" + Long.toHexString(regs().rip())
                + (f.isEmpty() ? "" : ", " + f) + "]";
    }
}
