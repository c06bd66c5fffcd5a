// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

/**
 * Something read from the shared ring page is impossible for a correct producer: indexes out of range, or an entry
 * with a bad version, reason, vCPU or payload. The consumer stops trusting the ring (no out-of-bounds read, no
 * endless loop). When {@link #consumed()} is true the entry was taken off the ring and its raw header is kept so the
 * caller can still {@link VmEventRing#acknowledge acknowledge} it (Xen ignores a response it cannot match).
 *
 * @serial exclude
 */
public final class RingCorruptException extends VmEventException {
    /** What was wrong. */
    public enum Kind {
        /** req_prod ran more than RING_SIZE ahead of what was answered, or went backwards. */
        INDEX_OUT_OF_RANGE,
        /** An entry whose version is not 7. */
        BAD_VERSION,
        /** An entry whose reason v7 does not define. */
        UNKNOWN_REASON,
        /** An entry naming a vCPU the domain does not have. */
        VCPU_OUT_OF_RANGE,
        /** A payload field outside its enumeration (e.g. a control register index above XCR0). */
        BAD_PAYLOAD
    }

    private final Kind kind;
    private final boolean consumed;
    private final int rawVcpu, rawReason, rawFlags;

    RingCorruptException(Kind kind, String detail) {
        super("vm_event ring corrupt (" + kind + "): " + detail);
        this.kind = kind;
        this.consumed = false;
        this.rawVcpu = this.rawReason = this.rawFlags = -1;
    }

    RingCorruptException(Kind kind, String detail, int rawVcpu, int rawReason, int rawFlags) {
        super("vm_event ring corrupt (" + kind + "): " + detail);
        this.kind = kind;
        this.consumed = true;
        this.rawVcpu = rawVcpu;
        this.rawReason = rawReason;
        this.rawFlags = rawFlags;
    }

    private RingCorruptException(RingCorruptException e) {
        super(e.getMessage());
        this.kind = e.kind;
        this.consumed = false;
        this.rawVcpu = e.rawVcpu;
        this.rawReason = e.rawReason;
        this.rawFlags = e.rawFlags;
    }

    /** The same error for an entry the ring already answered (nothing left to acknowledge). */
    RingCorruptException answered() { return new RingCorruptException(this); }

    /** {@return what was wrong} */
    public Kind kind() { return kind; }
    /** {@return whether the bad entry was taken off the ring (req_cons moved past it) and still needs acknowledge} */
    public boolean consumed() { return consumed; }
    /** {@return the entry's raw vcpu_id, -1 when no entry was consumed} */
    public int rawVcpu() { return rawVcpu; }
    /** {@return the entry's raw reason, -1 when no entry was consumed} */
    public int rawReason() { return rawReason; }
    /** {@return the entry's raw flags, -1 when no entry was consumed} */
    public int rawFlags() { return rawFlags; }
}
