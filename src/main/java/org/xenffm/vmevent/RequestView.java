// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import org.xenffm.api.X86Registers;
import static org.xenffm.vmevent.VmEventAbi.*;

import java.util.Objects;
import java.util.Optional;
import org.xenffm.api.VcpuId;
import org.xenffm.api.ViewId;

/**
 * A request during {@link VmEventRing#drain}, valid only until the handler returns: a read-only view of the ring's
 * private copy of its header and {@code u} union (checked: version, reason, vCPU), read raw through the
 * {@link VmEventAbi} offsets or decoded and checked in full by {@link #event()}. Registers ({@link #reg}) are read from
 * the request's slot, which stays the consumer's until it is answered, at offsets of the ring's own.
 */
public final class RequestView {
    private final VmEventRing ring;
    private final long[] w;

    RequestView(VmEventRing ring, long[] words) {
        this.ring = ring;
        this.w = words;
    }

    /** {@return the vCPU that raised the request} */
    public VcpuId vcpu() { return ring.vcpuId(Words.u32(w, VCPU_ID)); }

    /** {@return the VM_EVENT_FLAG_* bits} */
    public int flags() { return Words.u32(w, FLAGS); }

    /** {@return the VM_EVENT_REASON_* number ({@link VmEventAbi})} */
    public int reason() { return Words.u32(w, REASON); }

    /** {@return whether the vCPU waits paused for the response} */
    public boolean vcpuPaused() { return (flags() & FLAG_VCPU_PAUSED) != 0; }

    /** {@return the vCPU's altp2m view, when the request has ALTERNATE_P2M} */
    public Optional<ViewId> view() {
        return (flags() & FLAG_ALTERNATE_P2M) != 0 ? Optional.of(ViewId.of(Words.u16(w, ALTP2M_IDX)))
                : Optional.empty();
    }

    /**
     * A 64-bit field of the {@code u} union, e.g. {@code u64(VmEventAbi.MEM_ACCESS_GFN)}.
     *
     * @param uOffset the field's offset in the union
     * @return its value
     * @throws IndexOutOfBoundsException a field outside the union
     */
    public long u64(long uOffset) { return Words.u64(w, U + Objects.checkFromIndexSize(uOffset, 8, U_SIZE)); }

    /**
     * A 32-bit field of the {@code u} union.
     *
     * @param uOffset the field's offset in the union
     * @return its value
     * @throws IndexOutOfBoundsException a field outside the union
     */
    public int u32(long uOffset) { return Words.u32(w, U + Objects.checkFromIndexSize(uOffset, 4, U_SIZE)); }

    /**
     * An 8-bit field of the {@code u} union.
     *
     * @param uOffset the field's offset in the union
     * @return its value, 0 to 255
     * @throws IndexOutOfBoundsException a field outside the union
     */
    public int u8(long uOffset) { return Words.u8(w, U + Objects.checkFromIndexSize(uOffset, 1, U_SIZE)); }

    /**
     * A register from the request's x86 register block.
     *
     * @param r the register
     * @return its value
     */
    public long reg(X86Registers.Gpr r) { return ring.reg(r.offset()); }

    /** {@return RIP at the event} */
    public long rip() { return reg(X86Registers.Gpr.RIP); }

    /**
     * The typed event (a copy that outlives the handler).
     *
     * @return the decoded event
     * @throws RingCorruptException a payload field outside its enumeration
     */
    public VmEvent event() {
        ring.validatePayload(w);
        ring.copyRegs();
        return ring.decodeValid(w.clone());
    }

    /** Checks what {@link #event()} checks, without decoding (MonitorSession: a corrupt entry ends the session). */
    void validatePayload() { ring.validatePayload(w); }

    /** The ring's reusable typed event over the same copy (payload checked by the caller): valid as this view is. */
    VmEvent typed() { return ring.view(reason()); }

    /** The header's vcpu_id, already checked to be below the domain's vCPU count. */
    int vcpuIndex() { return Words.u32(w, VCPU_ID); }
}
