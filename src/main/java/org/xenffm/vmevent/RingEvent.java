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
    /** Over the ring's reused copy: the next request overwrites it. */
    final boolean live;
    private final EventRegisters regs;

    RingEvent(long[] w, VcpuId[] ids, boolean live) {
        this.w = w;
        this.ids = ids;
        this.live = live;
        this.regs = new EventRegisters(w);
    }

    /**
     * The common request fields (allocates the small header record; {@link #vcpu()} does not).
     *
     * @return vCPU, flags, reason, view
     */
    public EventHeader header() {
        return new EventHeader(vcpu(), Words.u32(w, FLAGS), Words.u32(w, REASON), Words.u16(w, ALTP2M_IDX));
    }

    /**
     * The vCPU's registers at the event, over the same words as the event (a handler's: valid only during the call).
     *
     * @return the registers
     */
    public X86Registers regs() { return regs; }

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
        return o != null && o.getClass() == getClass() && Arrays.equals(w, ((RingEvent) o).w);
    }

    /** {@return a hash of the type and the request bytes} */
    @Override public final int hashCode() { return getClass().hashCode() * 31 + Arrays.hashCode(w); }

    /** {@return the type, the header, RIP and the type's fields} */
    @Override public final String toString() {
        String f = fields();
        return getClass().getSimpleName() + "[" + header() + ", rip=0x" + Long.toHexString(regs.rip())
                + (f.isEmpty() ? "" : ", " + f) + "]";
    }
}
